"""Settings and operator input at the edge: a data directory the bot cannot write, and the admin
endpoint's body. Each is one clear line (exit code 2, or a 400 with the reason), never a traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

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
