"""Drive a running ``scep-bot serve`` the way Slack does, from a script: signed slash commands,
``message`` events and ``block_actions`` POSTed to ``/slack/events`` on 127.0.0.1, and the Slack
Web API faked in this process (``bot.emulator.FakeSlack``) recording everything the bot sends.

Shared by ``benchmarks/crash.py``, ``benchmarks/load.py`` and their pytest versions.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.root.emulator import TEAM_ID, FakeSlack

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchsigningsecret0123456789abcdef"
ADMIN = "U0ADMIN01"
TEACHER = "U0TEACH01"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scep_bot() -> list[str]:
    exe = Path(sys.executable).with_name("scep-bot")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.root.cli"]


def signed(body: str, content_type: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
            "Content-Type": content_type}


class Server:
    """One ``scep-bot serve`` process on a data directory, restartable."""

    def __init__(self, data_dir: Path, fake: FakeSlack, *, port: int | None = None, log_path: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.fake = fake
        self.port = port or free_port()
        self.log_path = log_path or self.data_dir.parent / "server.log"
        self.proc: subprocess.Popen | None = None
        self.extra_env = env or {}
        self.base = f"http://127.0.0.1:{self.port}"
        self._local = threading.local()

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env.update({"SCEP_DATA_DIR": str(self.data_dir), "PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": "xoxb-bench",
                    "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": self.fake.url, "LOG_LEVEL": "WARNING"})
        env.update(self.extra_env)
        return env

    def start(self, now: str | None = None, timeout: float = 30.0) -> float:
        """Start and wait for /healthz; returns the seconds it took."""
        t0 = time.monotonic()
        args = [*scep_bot(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if now:
            args += ["--now", now]
        logf = open(self.log_path, "a")
        self.proc = subprocess.Popen(args, env=self.env(), cwd=ROOT, stdout=logf, stderr=subprocess.STDOUT)
        logf.close()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"scep-bot serve exited with {self.proc.returncode}: see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as r:
                    if r.status in (200, 503):
                        return time.monotonic() - t0
            except urllib.error.HTTPError:
                return time.monotonic() - t0
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("scep-bot serve did not answer /healthz")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def health(self) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    # -- requests, as Slack sends them (a kept-alive connection per thread)
    def _conn(self) -> http.client.HTTPConnection:
        c = getattr(self._local, "conn", None)
        if c is None or getattr(self._local, "port", None) != self.port:
            c = self._local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self._local.port = self.port
        return c

    def post(self, body: str, content_type: str, extra: dict[str, str] | None = None) -> tuple[int, bytes]:
        """POST to /slack/events; (status, body). Raises OSError when the bot is down."""
        headers = signed(body, content_type)
        headers.update(extra or {})
        for attempt in (1, 2):
            c = self._conn()
            try:
                c.request("POST", "/slack/events", body=body.encode(), headers=headers)
                r = c.getresponse()
                return r.status, r.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, http.client.CannotSendRequest,
                    http.client.ResponseNotReady) as exc:
                c.close()
                self._local.conn = None
                if attempt == 2 or not isinstance(exc, (http.client.RemoteDisconnected, http.client.CannotSendRequest)):
                    raise ConnectionError(str(exc)) from None
            except OSError:
                c.close()
                self._local.conn = None
                raise
        raise ConnectionError("unreachable")

    def command(self, text: str, *, channel: str, key: str, user: str = ADMIN) -> tuple[int, bytes]:
        body = urlencode({"token": "legacy", "team_id": TEAM_ID, "team_domain": "demo", "channel_id": channel,
                          "channel_name": channel.lower(), "user_id": user, "user_name": user.lower(), "command": "/scep",
                          "text": text, "api_app_id": "A0BENCH", "response_url": self.fake.response_url(key), "trigger_id": f"{key}.trigger"})
        return self.post(body, "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any], *, event_id: str, retry: int | None = None) -> tuple[int, bytes]:
        envelope = {"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0BENCH", "type": "event_callback", "event_id": event_id,
                    "event_time": int(time.time()), "event": event,
                    "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT0001", "is_bot": True}]}
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return self.post(json.dumps(envelope), "application/json", extra)

    def interactive(self, payload: dict[str, Any]) -> tuple[int, bytes]:
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def reply_event(channel: str, thread_ts: str, ts: str, text: str, user: str = TEACHER) -> dict[str, Any]:
    return {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "thread_ts": thread_ts,
            "channel_type": "channel", "event_ts": ts}


def checkbox_groups(blocks: list[dict[str, Any]]) -> list[tuple[str, str, list[str], list[str]]]:
    """(block_id, action_id, option values, selected values) of each checkbox group of a checklist message."""
    out = []
    for b in blocks or []:
        if b.get("type") != "actions":
            continue
        for e in b.get("elements") or []:
            if e.get("type") == "checkboxes":
                out.append((b["block_id"], e["action_id"], [o["value"] for o in e.get("options") or []],
                            [o["value"] for o in e.get("initial_options") or []]))
    return out


def tick_payload(fake: FakeSlack, channel: str, ts: str, blocks: list[dict[str, Any]], group: int, selected: list[str],
                 user: str = ADMIN) -> dict[str, Any]:
    """A click on the ``group``-th checkbox group of a checklist message as Slack shows it
    (``blocks``): ``selected`` is that group's selection after the click."""
    block_id, action_id, values, _ = checkbox_groups(blocks)[group]
    options = {}
    for b in blocks:
        if b.get("block_id") == block_id:
            for e in b.get("elements") or []:
                options = {o["value"]: o for o in e.get("options") or []}
    chosen = [options[v] for v in selected if v in options]
    return {
        "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID}, "api_app_id": "A0BENCH",
        "token": "legacy", "trigger_id": "1.trigger", "team": {"id": TEAM_ID, "domain": "demo"},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": channel.lower()},
        "message": {"type": "message", "ts": ts, "text": "", "blocks": blocks, "user": "UBOT0001", "bot_id": "BBOT0001"},
        "response_url": fake.response_url(f"act-{ts}"),
        "actions": [{"action_id": action_id, "block_id": block_id, "type": "checkboxes", "action_ts": "1.2", "selected_options": chosen}],
        "state": {"values": {block_id: {action_id: {"type": "checkboxes", "selected_options": chosen}}}},
    }


class CallLog:
    """Read the fake's recorded calls incrementally (no copy of the whole list per look)."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake

    def since(self, start: int) -> tuple[int, list]:
        with self.fake.lock:
            calls = self.fake.calls[start:]
            return start + len(calls), calls

    def count(self) -> int:
        with self.fake.lock:
            return len(self.fake.calls)
