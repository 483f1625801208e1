"""A small Slack Web API emulator on 127.0.0.1 that records every call.

The console runs the real Bolt app against it, and the tests assert on what it received. It
answers the Web API methods scep-bot uses with Slack-shaped JSON, serves ``response_url``
posts at ``/response/<id>``, and can be told to fail (``fail_next``) with a status, a Slack
error or a delay, to test how the bot meets Slack's faults.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0DEMO001"


@dataclass
class Call:
    method: str  # Web API method, or "response_url"
    args: dict[str, Any]
    token: str | None
    at: float
    path: str = ""


@dataclass
class Fault:
    method: str  # Web API method name or "*"
    status: int = 200
    error: str | None = None  # Slack error code with ok=false
    retry_after: int | None = None
    delay: float = 0.0
    times: int = 1


@dataclass
class FakeSlack:
    """The emulator's state: users, channels, recorded calls and planned faults."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    replies: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    # -- lifecycle
    def start(self, port: int = 0) -> "FakeSlack":
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body, headers = state.handle(self.path, raw, self.headers)
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="fake-slack")
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def response_url(self, key: str = "r") -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/response/{key}"

    # -- test helpers
    def fail_next(self, method: str = "*", **kw: Any) -> None:
        with self.lock:
            self.faults.append(Fault(method=method, **kw))

    def of(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def clear(self) -> None:
        with self.lock:
            self.calls.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.of(method)
            if len(found) >= count:
                return found
            time.sleep(0.005)
        return self.of(method)

    def add_user(self, user_id: str, name: str, *, admin: bool = False, deleted: bool = False, tz: str = "America/New_York") -> None:
        self.users[user_id] = {
            "id": user_id, "team_id": TEAM_ID, "name": name, "real_name": name, "deleted": deleted,
            "is_admin": admin, "is_owner": False, "is_bot": False, "tz": tz,
            "profile": {"display_name": name, "real_name": name},
        }

    # -- request handling
    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ts):06d}"

    def handle(self, path: str, raw: bytes, headers: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        parsed = urlparse(path)
        ctype = headers.get("Content-Type", "")
        if "json" in ctype:
            try:
                args = json.loads(raw or b"{}")
            except ValueError:
                args = {}
        else:
            args = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
            for k, v in list(args.items()):
                if isinstance(v, str) and v[:1] in "[{":
                    try:
                        args[k] = json.loads(v)
                    except ValueError:
                        pass
        auth = headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() or args.get("token")
        if parsed.path.startswith("/response/"):
            method = "response_url"
        else:
            method = parsed.path.rsplit("/", 1)[-1]
        with self.lock:
            self.calls.append(Call(method, args, token, time.time(), parsed.path))
            fault = next((f for f in self.faults if f.method in (method, "*")), None)
            if fault:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
        if fault:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status != 200:
                hdrs = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                return fault.status, {"ok": False, "error": fault.error or "internal_error"}, hdrs
            if fault.error:
                return 200, {"ok": False, "error": fault.error}, {}
        if method == "response_url":
            return 200, {"ok": True}, {}
        return 200, self.answer(method, args), {}

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            return {**ok, "url": "https://demo.slack.com/", "team": "Demo District", "user": "scep-bot",
                    "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            channel = args.get("channel")
            ch = self.channels.get(channel, {})
            if ch.get("archived"):
                return {"ok": False, "error": "is_archived"}
            if ch.get("missing"):
                return {"ok": False, "error": "channel_not_found"}
            ts = args.get("ts") or self._next_ts()
            if method == "chat.postEphemeral":
                return {**ok, "message_ts": ts}
            return {**ok, "channel": channel, "ts": ts, "message": {"text": args.get("text"), "ts": ts, "user": BOT_USER_ID, "bot_id": BOT_ID}}
        if method == "chat.getPermalink":
            return {**ok, "permalink": f"https://demo.slack.com/archives/{args.get('channel')}/p{str(args.get('message_ts', '')).replace('.', '')}"}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            view = args.get("view") or {}
            if isinstance(view, str):
                view = json.loads(view)
            return {**ok, "view": {**view, "id": "V" + self._next_ts().replace(".", "")}}
        if method == "users.info":
            user = self.users.get(args.get("user", ""))
            return {**ok, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "users.list":
            return {**ok, "members": list(self.users.values()), "response_metadata": {"next_cursor": ""}}
        if method == "conversations.info":
            ch = self.channels.get(args.get("channel", ""))
            return {**ok, "channel": ch or {"id": args.get("channel"), "name": "channel"}}
        if method == "conversations.replies":
            msgs = self.replies.get((args.get("channel", ""), args.get("ts", "")), [])
            return {**ok, "messages": msgs, "has_more": False, "response_metadata": {"next_cursor": ""}}
        if method == "conversations.open":
            return {**ok, "channel": {"id": "D" + str(args.get("users", "U"))[:10]}}
        if method == "files.getUploadURLExternal":
            return {**ok, "upload_url": self.response_url("upload"), "file_id": "F" + self._next_ts().replace(".", "")}
        if method == "files.completeUploadExternal":
            files = args.get("files") or []
            if isinstance(files, str):
                files = json.loads(files)
            return {**ok, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        return ok
