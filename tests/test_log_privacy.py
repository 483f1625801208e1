"""Nothing people type reaches the log, at any level, unless the operator sets
SCEP_LOG_USER_TEXT=1: ``scep-bot serve`` runs with LOG_LEVEL=DEBUG, gets a note about a student
in a prompt thread, commands quoting the same words (a known one, an unknown one, one that fails
to parse) and a request whose signature does not match (a wrong SLACK_SIGNING_SECRET would refuse
real traffic), and everything it wrote is searched. With the setting on the same run shows the
words (so this test can fail)."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request

from tests.harness import SECRET, signed_headers
from tests.test_running import command_body, env_for, free_port, post, scep_bot

WORDS = ("Maria", "Lopez", "123456789")
TEXT = "student Maria Lopez 123456789 reads two grades below level"


def run_bot(tmp_path, fake, **env: str) -> str:
    port = free_port()
    env = env_for(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url, LOG_LEVEL="DEBUG", **env)
    proc = subprocess.Popen([*scep_bot(), "serve", "--host", "127.0.0.1", "--port", str(port), "--now", "2021-11-03T14:00:00Z"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1):
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                time.sleep(0.05)
        n = 0

        def command(text: str) -> None:
            nonlocal n
            n += 1
            body = command_body(text, fake, n)
            assert post(url + "/slack/events", body, signed_headers(body))[0] == 200
            fake.wait_for("response_url", n, 10)  # one command at a time, as a person types them

        command("setup Lincoln Elementary model:TSI")
        command("notes start visit 1")
        fake.wait_for("chat.postMessage", 1, 10)
        assert fake.posted, [json.dumps(c.args)[:300] for c in fake.of("response_url")]
        (channel, thread), _ = next(iter(fake.posted.items()))
        event = {"token": "legacy", "team_id": "T0DEMO001", "api_app_id": "A0TEST", "type": "event_callback", "event_id": "Ev0001",
                 "event_time": 1635955200, "authorizations": [{"team_id": "T0DEMO001", "user_id": "UBOT0001", "is_bot": True}],
                 "event": {"type": "message", "channel": channel, "user": "U0ADMIN01", "text": TEXT, "ts": "1635955500.000100",
                           "thread_ts": thread, "channel_type": "channel", "event_ts": "1635955500.000100"}}
        body = json.dumps(event)
        assert post(url + "/slack/events", body, signed_headers(body, content_type="application/json"))[0] == 200
        command("notes visit 1")
        command(f"remind visit 1 {TEXT}")
        command(TEXT)
        command(f"schedule visit 1 {TEXT}")
        forged = command_body(TEXT, fake, 99)
        assert post(url + "/slack/events", forged, signed_headers(forged, secret="wrongsecret0123456789abcdef"))[0] == 401
        time.sleep(0.5)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0]
    return out


def test_debug_logging_shows_no_typed_text(tmp_path, fake):
    out = run_bot(tmp_path, fake)
    assert " DEBUG " in out, "debug logging was not on"
    assert "refused a request" in out  # the forged request was logged (without its body)
    found = [w for w in WORDS if w in out]
    assert not found, f"the log shows typed text {found}:\n" + "\n".join(line for line in out.splitlines() if any(w in line for w in WORDS))[:3000]


def test_the_operator_can_turn_typed_text_on_for_debugging(tmp_path, fake):
    out = run_bot(tmp_path, fake, SCEP_LOG_USER_TEXT="1")
    assert "SCEP_LOG_USER_TEXT=1: the log shows what people type" in out
    assert "Maria Lopez" in out
