"""HTTP mode needs a signing secret, and tokens and secrets never reach the logs: the bot runs in
each mode (HTTP, Socket Mode, the console) with LOG_LEVEL=DEBUG (the Slack libraries' debug lines
included), is driven through requests, good and bad, and Slack errors, and everything it wrote to
standard output and standard error is searched for the token and secret values."""

from __future__ import annotations

import subprocess
import time
import urllib.request

import pytest

from bot.root.app import build_app
from bot.root.services import build_services
from bot.root.settings import ConfigError, Settings
from tests.test_running import (
    command_body,
    env_for,
    free_port,
    post,
    run_cli,
    scep_bot,
    signed_headers,
)

BOT_TOKEN = "xoxb-4242-SECRETBOTTOKENVALUE"
APP_TOKEN = "xapp-1-A42-SECRETAPPTOKENVALUE"
SIGNING_SECRET = "SIGNINGSECRETVALUE0123456789abcd"
SECRETS = (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, "SECRETBOTTOKENVALUE", "SECRETAPPTOKENVALUE", "SIGNINGSECRETVALUE")


def assert_no_secret(text: str, where: str) -> None:
    for s in SECRETS:
        assert s not in text, f"{where}: the log shows a secret ({s[:12]}…)"


def test_http_mode_refuses_to_start_without_a_signing_secret(tmp_path):
    proc = run_cli(["serve", "--port", str(free_port())], tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN)
    assert proc.returncode == 2 and "SLACK_SIGNING_SECRET must be set" in proc.stderr
    # scep-bot alone with a bot token and nothing else: it does not guess (no unverified HTTP, no console)
    proc = run_cli([], tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN)
    assert proc.returncode == 2 and "neither SLACK_SIGNING_SECRET" in proc.stderr and "Traceback" not in proc.stderr
    assert_no_secret(proc.stdout + proc.stderr, "refusal")


def test_the_http_entry_point_refuses_an_app_that_does_not_verify_signatures(tmp_path):
    from bot.root.serving import make_wsgi

    services = build_services(Settings(data_dir=tmp_path / "d"))
    try:
        unverified = build_app(services, token="xoxb-1", signing_secret=None, background=False)
        with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
            make_wsgi(unverified, services)
        verified = build_app(services, token="xoxb-1", signing_secret=SIGNING_SECRET, background=False)
        assert callable(make_wsgi(verified, services))
    finally:
        services.store.close()


def test_settings_never_show_their_secrets():
    s = Settings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, app_token=APP_TOKEN)
    assert_no_secret(repr(s) + str(s), "repr(Settings)")


def test_http_mode_with_debug_logging_never_logs_tokens(tmp_path, fake):
    port = free_port()
    env = env_for(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.url, LOG_LEVEL="DEBUG")
    proc = subprocess.Popen([*scep_bot(), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1):
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.05)
        url = base + "/slack/events"
        for n, text in enumerate(["setup Secret School", "next", "schools", "nosuchcommand", "done visit 1"], 1):
            body = command_body(text, fake, n)
            assert post(url, body, signed_headers(body, secret=SIGNING_SECRET))[0] == 200
        body = command_body("next", fake, 9)
        assert post(url, body, signed_headers(body, secret="wrongsecret0123456789abcdef"))[0] == 401  # a forged request
        assert post(url, "payload=%7B%22user%22%3A%20false%7D", signed_headers("payload=%7B%22user%22%3A%20false%7D", secret=SIGNING_SECRET))[0] == 200
        fake.fail_next("chat.postMessage", error="invalid_auth")  # Slack refusing the token
        fake.fail_next("users.info", status=500)
        body = command_body("checklist visit 1", fake, 10)
        post(url, body, signed_headers(body, secret=SIGNING_SECRET))
        fake.wait_for("response_url", 5)
        time.sleep(0.3)
        assert any(c.token == BOT_TOKEN for c in fake.calls), "the bot did not use its token"
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0]
    assert "DEBUG" in out, "debug logging was not on"
    assert "slack_sdk" in out or "slack_bolt" in out, "the libraries' debug lines were not on"
    assert_no_secret(out, "HTTP mode")


def test_socket_mode_with_debug_logging_never_logs_tokens(tmp_path, fake):
    from bot.root.emulator import FakeSocketMode

    ws = FakeSocketMode()
    fake.socket_mode_url = ws.url + "?ticket=abc"
    env = env_for(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=fake.url, LOG_LEVEL="DEBUG")
    proc = subprocess.Popen([*scep_bot()], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert ws.connected.wait(20), "no Socket Mode connection"
        base = {"team_id": "T0DEMO001", "channel_id": "C0SOCK001", "user_id": "U0ADMIN01", "command": "/scep",
                "response_url": fake.response_url("s"), "trigger_id": "1.t"}
        ws.send("slash_commands", {**base, "text": "setup Socket Secret School"})
        assert ws.ack_for(ws.send("slash_commands", {**base, "text": "next 1"})) is not None
        assert ws.ack_for(ws.send("interactive", {"type": "block_actions", "user": False})) is not None  # malformed: acked, ignored
        fake.wait_for("response_url", 10)
        assert any(c.token == APP_TOKEN for c in fake.of("apps.connections.open"))
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0]
        ws.close()
    assert "DEBUG" in out
    assert_no_secret(out, "Socket Mode")


def test_the_console_with_debug_logging_never_logs_a_secret(tmp_path):
    proc = run_cli(["console", "--now", "2021-11-02T13:00:00Z"], tmp_path, "/scep next\n/scep setup\n/scep nosuch\n",
                   SLACK_SIGNING_SECRET=SIGNING_SECRET, LOG_LEVEL="DEBUG")
    assert proc.returncode == 0, proc.stderr
    assert_no_secret(proc.stdout + proc.stderr, "console")
