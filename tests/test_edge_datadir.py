"""Settings and operator input at the edge: a data directory the bot cannot write, and the admin
endpoint's body. Each is one clear line (exit code 2, or a 400 with the reason), never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request

import pytest

from bot.root.admin import ADMIN_FILE, AdminServer, BadRequest, call
from tests.harness import SECRET
from tests.test_running import run_cli


@pytest.fixture
def read_only_dir(tmp_path):
    """A data directory as a bot left it (``schools/``, ``index.json``) on a file system mounted
    read-only: chmod does not stop root, a read-only mount does."""
    mount_point = tmp_path / "ro-data"
    mount_point.mkdir()
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], capture_output=True, text=True)
    if ok.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs for the read-only test: {ok.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs here ({ok.stderr.strip()}); CI runs it as root")
    try:
        (mount_point / "schools").mkdir()
        (mount_point / "index.json").write_text('{"schools": {}, "settings": {}}')
        subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True, capture_output=True)
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], capture_output=True)


@pytest.mark.parametrize("args", [["serve", "--port", "0"], ["sweep", "--at", "2021-11-02T09:00-04:00", "--dry-run"]])
def test_a_read_only_data_directory_is_one_line_naming_scep_data_dir(tmp_path, read_only_dir, args, fake):
    proc = run_cli(args, tmp_path, SCEP_DATA_DIR=str(read_only_dir), SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET,
                   SLACK_API_URL=fake.url)
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    lines = [l for l in err.splitlines() if l.startswith("scep-bot")]
    assert len(lines) == 1 and "SCEP_DATA_DIR" in lines[0] and str(read_only_dir) in lines[0], err
    assert "read-only" in lines[0] or "not writable" in lines[0], err


def test_the_admin_endpoint_answers_a_body_that_is_not_an_object_with_400(tmp_path):
    seen = []
    server = AdminServer(tmp_path, {"/sweep": lambda body: seen.append(body) or {"ok": True, "at": body.get("at")}}).start()
    try:
        info = json.loads((tmp_path / ADMIN_FILE).read_text())

        def raw(data: bytes) -> tuple[int, dict]:
            req = urllib.request.Request(f"http://127.0.0.1:{info['port']}/sweep", data=data, method="POST",
                                         headers={"Authorization": f"Bearer {info['token']}", "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as exc:
                return exc.code, json.loads(exc.read())

        for body in (b'["at", "2021-11-02"]', b'"sweep"', b"42", b"null", b"[]"):
            status, answer = raw(body)
            assert status == 400, (body, status, answer)
            assert "JSON object" in answer["error"], answer
        status, answer = raw(b"{not json")
        assert status == 400
        assert raw(b'{"at": "2021-11-02"}') == (200, {"ok": True, "at": "2021-11-02"})
        assert seen == [{"at": "2021-11-02"}]  # the route never saw the bad bodies
        with pytest.raises(BadRequest, match="JSON object"):
            call(tmp_path, "/sweep", ["not", "an", "object"])  # type: ignore[arg-type]
    finally:
        server.stop()
