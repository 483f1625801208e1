"""Fail fast and be watchable: the tokens are checked at start (a refused one is one line and
exit 2; Slack not answering, exit 3), Socket Mode serves GET /healthz on SCEP_HEALTH_PORT with
the JSON of HTTP mode, and every malformed setting is one line naming it, never a traceback."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.harness import SECRET
from tests.test_running import env_for, free_port, run_cli, scep_bot


def one_line(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("scep-bot: ") and "are set:" not in ln]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("mode", ["serve", "socket"])
def test_a_bot_token_slack_refuses_stops_the_start_in_one_line(tmp_path, fake, mode):
    fake.fail_next("auth.test", error="invalid_auth")
    extra = {"SLACK_SIGNING_SECRET": SECRET} if mode == "serve" else {"SLACK_APP_TOKEN": "xapp-1-test"}
    proc = run_cli([mode, *(["--port", str(free_port())] if mode == "serve" else [])], tmp_path,
                   SLACK_BOT_TOKEN="xoxb-revoked", SLACK_API_URL=fake.url, **extra)
    assert proc.returncode == 2
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in one_line(proc)


def test_an_app_token_slack_refuses_stops_socket_mode_in_one_line(tmp_path, fake):
    fake.fail_next("apps.connections.open", error="invalid_auth")
    proc = run_cli(["socket"], tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-1-wrong", SLACK_API_URL=fake.url)
    assert proc.returncode == 2
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in one_line(proc)


@pytest.mark.parametrize("mode", ["serve", "socket"])
def test_slack_not_answering_at_start_is_one_line_and_exit_3(tmp_path, mode):
    unused = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    extra = {"SLACK_SIGNING_SECRET": SECRET} if mode == "serve" else {"SLACK_APP_TOKEN": "xapp-1-test"}
    proc = run_cli([mode], tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=unused, SLACK_API_TIMEOUT="2", **extra)
    assert proc.returncode == 3
    assert "Slack did not answer" in one_line(proc)


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_socket_mode_serves_healthz_on_scep_health_port(tmp_path, fake):
    from bot.root.emulator import FakeSocketMode

    ws = FakeSocketMode()
    fake.socket_mode_url = ws.url
    port = free_port()
    env = env_for(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-1-test", SLACK_API_URL=fake.url,
                  SCEP_HEALTH_PORT=str(port), HOST="127.0.0.1")
    proc = subprocess.Popen([*scep_bot(), "socket"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert ws.connected.wait(20), "no Socket Mode connection"
        status, info = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and info == {"ok": True, "store": "ok", "schools": 0, "slack_auth": "ok"}
        # Slack refuses the token later: 503, as HTTP mode answers
        fake.fail_next("users.info", error="token_revoked")
        base = {"team_id": "T0DEMO001", "channel_id": "C0SOCK001", "user_id": "U0ADMIN01", "command": "/scep",
                "response_url": fake.response_url("s"), "trigger_id": "1.t"}
        ws.send("slash_commands", {**base, "text": "setup Health School"})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
            time.sleep(0.1)
        status, info = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 503 and info["ok"] is False and info["slack_auth"] == "token_revoked"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
        ws.close()


@pytest.mark.parametrize("name,value", [
    ("PORT", "abc"), ("PORT", "70000"), ("SCEP_ADMIN_PORT", "x"), ("SCEP_HEALTH_PORT", "-1"), ("LOG_LEVEL", "loud"),
    ("SCEP_LOG_USER_TEXT", "maybe"), ("SLACK_API_TIMEOUT", "soon"), ("SCEP_DATABASE_POOL_SIZE", "many"),
    ("SLACK_API_URL", "ftp://x"), ("SCEP_DATABASE_URL", "mysql://x"),
])
@pytest.mark.parametrize("args", [["console"], ["serve"], []])
def test_a_malformed_setting_is_one_line_naming_it(tmp_path, name, value, args):
    creds = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": SECRET} if args != ["console"] else {}
    proc = run_cli(args, tmp_path, "", **creds, **{name: value})
    assert proc.returncode == 2, proc.stderr
    assert name in one_line(proc)
