"""The `scep-bot` command as people run it: HTTP mode over the network, the console, the checks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.harness import SECRET, signed_headers

ROOT = Path(__file__).resolve().parent.parent


def scep_bot() -> list[str]:
    """The installed `scep-bot` script next to this Python, else the module."""
    exe = Path(sys.executable).with_name("scep-bot")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.root.cli"]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update({"SCEP_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)})
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def server(tmp_path, fake):
    port = free_port()
    env = env_for(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url)
    proc = subprocess.Popen([*scep_bot(), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read())
            time.sleep(0.05)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def command_body(text: str, fake, n: int = 1) -> str:
    return urlencode({"team_id": "T0DEMO001", "channel_id": "C0HTTP001", "channel_name": "ps-1", "user_id": "U0ADMIN01",
                      "user_name": "ada", "command": "/scep", "text": text, "response_url": fake.response_url(str(n)),
                      "trigger_id": "1.t"})


def test_http_mode_answers_signed_commands_and_refuses_bad_signatures(server, fake):
    with urllib.request.urlopen(server + "/healthz") as r:
        assert json.loads(r.read()) == {"ok": True, "store": "ok", "schools": 0, "slack_auth": "ok"}
    body = command_body("setup PS 1 model:ATSI", fake)
    status, text = post(server + "/slack/events", body, signed_headers(body))
    assert status == 200
    calls = fake.wait_for("response_url")
    assert calls and "PS 1" in calls[-1].args["text"]

    body = command_body("next 2", fake, 2)
    status, text = post(server + "/slack/events", body, signed_headers(body))
    assert status == 200
    answer = json.loads(text)
    assert answer["response_type"] == "ephemeral" and answer["blocks"]
    assert "Next for PS 1" in answer["text"]

    forged = dict(signed_headers(body))
    forged["X-Slack-Signature"] = "v0=" + "0" * 64
    assert post(server + "/slack/events", body, forged)[0] == 401
    stale = signed_headers(body, ts=int(time.time()) - 6 * 60)
    assert post(server + "/slack/events", body, stale)[0] == 401
    wrong_secret = signed_headers(body, secret="someoneelsessecret0123456789")
    assert post(server + "/slack/events", body, wrong_secret)[0] == 401


def run_cli(args: list[str], tmp_path: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*scep_bot(), *args], input=stdin, capture_output=True, text=True, env=env_for(tmp_path, **env), cwd=ROOT, timeout=60)


def test_the_console_runs_the_bot_from_standard_input(tmp_path):
    script = "\n".join([
        "/scep next",
        "channel ps-9",
        "/scep next",
        "/scep setup PS 9 model:CSI tz:America/Chicago",
        "/scep next 1",
        "/scep setup",
        "now 2022-01-10T15:00:00Z",
        "/scep timeline",
        "next",
    ]) + "\n"
    proc = run_cli(["console", "--now", "2021-11-02T13:00:00Z"], tmp_path, script)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "Next for Lincoln Elementary" in out and "SCEP Support Visit 1" in out and "28 days left" in out
    assert "isn't linked to a school yet" in out
    assert "linked to PS 9 (CSI)" in out
    assert "8:00 AM CDT" in out  # 13:00 UTC in Chicago
    assert 'would open the form "Set up this school"' in out
    assert "Pre-SCEP Team Meeting Planning Session 2" in out
    assert "Slash commands start with /" in out
    assert "Traceback" not in out + proc.stderr


def test_scep_bot_alone_picks_the_console_without_credentials(tmp_path):
    proc = run_cli([], tmp_path, "/scep help\n")
    assert proc.returncode == 0
    assert "the local console" in proc.stderr
    assert "/scep next" in proc.stdout


def test_malformed_settings_name_the_variable(tmp_path):
    proc = run_cli(["serve"], tmp_path, SLACK_BOT_TOKEN="not-a-token", SLACK_SIGNING_SECRET=SECRET)
    assert proc.returncode == 2 and "SLACK_BOT_TOKEN" in proc.stderr and "xoxb-" in proc.stderr
    proc = run_cli(["serve"], tmp_path, SLACK_BOT_TOKEN="xoxb-1")
    assert proc.returncode == 2 and "SLACK_SIGNING_SECRET must be set" in proc.stderr
    proc = run_cli(["socket"], tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xoxb-wrong")
    assert proc.returncode == 2 and "SLACK_APP_TOKEN" in proc.stderr
    proc = run_cli(["console"], tmp_path, SLACK_API_URL="ftp://x")
    assert proc.returncode == 2 and "SLACK_API_URL" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cycles_check_validates_a_district_file(tmp_path):
    good = ROOT / "schedules" / "cycles" / "nysed-tsi-visits.yaml"
    proc = run_cli(["cycles", "check", str(good)], tmp_path)
    assert proc.returncode == 0 and "ok: 'nysed-tsi-visits'" in proc.stdout
    bad = tmp_path / "mine.yaml"
    bad.write_text(good.read_text().replace("window: {opens: 2021-12-01, closes: 2021-12-31}", "window: {opens: 2021-12-01, closes: 2021-11-01}"))
    proc = run_cli(["cycles", "check", str(bad)], tmp_path)
    line = next(i for i, l in enumerate(bad.read_text().splitlines(), 1) if "closes: 2021-11-01" in l)
    assert proc.returncode == 1
    assert f"{bad}:{line}: step 'visit-2' field 'window'" in proc.stderr and "closes before it opens" in proc.stderr


def test_a_district_cycle_file_in_the_data_directory_replaces_the_builtin(tmp_path):
    (tmp_path / "data" / "cycles").mkdir(parents=True)
    src = (ROOT / "schedules" / "cycles" / "district-plan-review.yaml").read_text()
    (tmp_path / "data" / "cycles" / "district-plan-review.yaml").write_text(src.replace("title: District Review of School Plans", "title: Springfield Plan Review"))
    (tmp_path / "data" / "cycles" / "broken.yaml").write_text("id: broken\nsteps: []\n")
    proc = run_cli(["console", "--now", "2021-11-02T13:00:00Z"], tmp_path, "/scep cycles\n")
    assert "Springfield Plan Review" in proc.stdout
    assert "could not be loaded" in proc.stdout and "broken.yaml" in proc.stdout


def test_socket_mode_runs_the_same_listeners(tmp_path, fake):
    from bot.root.emulator import FakeSocketMode

    ws = FakeSocketMode()
    fake.socket_mode_url = ws.url
    env = env_for(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-1-test", SLACK_API_URL=fake.url)
    proc = subprocess.Popen([*scep_bot()], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert ws.connected.wait(20), "the bot never opened a Socket Mode connection"
        opened = fake.of("apps.connections.open")
        assert opened and opened[0].token == "xapp-1-test"
        base = {"team_id": "T0DEMO001", "channel_id": "C0SOCK001", "user_id": "U0ADMIN01", "command": "/scep",
                "response_url": fake.response_url("s"), "trigger_id": "1.t"}
        ws.send("slash_commands", {**base, "text": "setup Socket School model:TSI"})
        calls = fake.wait_for("response_url", timeout=10)
        assert calls and "Socket School" in calls[-1].args["text"]
        eid = ws.send("slash_commands", {**base, "text": "next 1"})
        ack = ws.ack_for(eid)
        assert ack is not None and "Next for Socket School" in ack["payload"]["text"]
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0]
        ws.close()
    assert "Socket Mode" in out
