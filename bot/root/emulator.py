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

from bot.root import emulator_files

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
    response: dict[str, Any] | None = None  # what the emulator answered (e.g. the ts of a post)


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
    posted: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (channel, ts) -> message the bot posted
    reactions: set[tuple[str, str, str]] = field(default_factory=set)  # (channel, ts, name)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id -> filename, data, title, channel
    shared: dict[str, dict[str, Any]] = field(default_factory=dict)  # files people shared: id -> Slack's file object + data
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None
    socket_mode_url: str | None = None  # what apps.connections.open answers
    oauth: Any = None  # many workspaces: a ``emulator_oauth.FakeOAuth`` (authorize page, oauth.v2.access, tokens per team)

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
                if len(raw) < length:  # the caller died mid-request (crash tests): Slack would not act on it
                    self.close_connection = True
                    return
                if state.oauth is not None and self.path.startswith("/oauth/"):  # Slack's authorize page: HTML
                    status, body, headers = state.oauth.page(self.path)
                else:
                    status, body, headers = state.handle(self.path, raw, self.headers)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Type" not in headers:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the caller died (crash tests kill it)
                    self.close_connection = True

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

    def add_reply(self, channel: str, thread_ts: str, user: str, text: str, ts: str | None = None, **extra: Any) -> dict[str, Any]:
        """A reply in a thread, as ``conversations.replies`` will list it (not sent as an event)."""
        with self.lock:
            msg = {"type": "message", "user": user, "text": text, "ts": ts or self._next_ts(), "thread_ts": thread_ts, **extra}
            self.replies.setdefault((channel, thread_ts), []).append(msg)
        return msg

    def uploaded(self) -> list[dict[str, Any]]:
        """Files uploaded and shared (files.uploadV2), in order."""
        with self.lock:
            return [dict(u) for u in self.uploads.values() if u.get("channel")]

    def add_file(self, file_id: str, filename: str, data: bytes) -> None:
        """A file someone shared, with the id ``file_id`` (files.info and its url_private serve it)."""
        emulator_files.share(self, filename, data, "U0ADMIN01", file_id=file_id)

    def add_user(self, user_id: str, name: str, *, admin: bool = False, deleted: bool = False, tz: str = "America/New_York",
                 guest: bool = False, single_channel_guest: bool = False, is_bot: bool = False) -> None:
        """A member of the workspace; ``guest``: a multi-channel guest (``is_restricted``),
        ``single_channel_guest``: a single-channel guest (``is_ultra_restricted`` too)."""
        self.users[user_id] = {
            "id": user_id, "team_id": TEAM_ID, "name": name, "real_name": name, "deleted": deleted,
            "is_admin": admin, "is_owner": False, "is_bot": is_bot, "tz": tz,
            "is_restricted": guest or single_channel_guest, "is_ultra_restricted": single_channel_guest,
            "profile": {"display_name": name, "real_name": name},
        }

    # -- request handling
    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.{next(self._ts):06d}"

    def share_file(self, name: str, data: bytes, *, user: str = "U0ADMIN01") -> dict[str, Any]:
        """A file a person shared (``emulator_files.share``): Slack's file object, bytes at its url_private."""
        return emulator_files.share(self, name, data, user)

    def handle(self, path: str, raw: bytes, headers: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        parsed = urlparse(path)
        if parsed.path.startswith("/files-pri/"):  # a shared file's url_private: its bytes, with a bot token
            token = headers.get("Authorization", "").removeprefix("Bearer ").strip()
            with self.lock:
                self.calls.append(Call("file_download", {"path": parsed.path}, token or None, time.time(), parsed.path))
            return emulator_files.download(self, parsed.path, token)
        if parsed.path.startswith("/upload/"):  # files.uploadV2 step 2: the file's bytes
            file_id = parsed.path.rsplit("/", 1)[-1]
            with self.lock:
                self.calls.append(Call("upload", {"file_id": file_id, "bytes": len(raw)}, None, time.time(), parsed.path))
                self.uploads.setdefault(file_id, {})["data"] = raw
            return 200, {"ok": True}, {}
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
        call = Call(method, args, token, time.time(), parsed.path)
        with self.lock:
            self.calls.append(call)
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
        call.response = self.oauth.answer(method, args, token, headers.get("Authorization", "")) if self.oauth is not None else None
        call.response = call.response or self.answer(method, args)
        return 200, call.response, {}

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        if method == "apps.connections.open":
            if not self.socket_mode_url:
                return {"ok": False, "error": "not_allowed_token_type"}
            return {**ok, "url": self.socket_mode_url}
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
            if method == "chat.postMessage" and str(channel or "")[:1] in ("U", "W"):
                channel = "D" + str(channel)[1:]  # a DM: Slack answers with the IM channel's id
            if method == "chat.postEphemeral":
                return {**ok, "message_ts": ts}
            message = {"type": "message", "text": args.get("text"), "ts": ts, "user": BOT_USER_ID, "bot_id": BOT_ID}
            if args.get("metadata"):
                meta = args["metadata"]
                message["metadata"] = json.loads(meta) if isinstance(meta, str) else meta
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            with self.lock:
                self.posted[(channel, ts)] = message
            return {**ok, "channel": channel, "ts": ts, "message": message}
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
        if method in ("users.list", "conversations.list"):  # paged by limit and cursor, as Slack does
            items = list(self.users.values()) if method == "users.list" else [
                {"name": cid.lower(), **ch, "id": cid} for cid, ch in self.channels.items() if not ch.get("archived")]
            start, limit = int(args.get("cursor") or 0), int(args.get("limit") or 1000)
            more = start + limit < len(items)
            return {**ok, ("members" if method == "users.list" else "channels"): items[start : start + limit],
                    "response_metadata": {"next_cursor": str(start + limit) if more else ""}}
        if method == "conversations.info":
            ch = self.channels.get(args.get("channel", ""))
            return {**ok, "channel": ch or {"id": args.get("channel"), "name": "channel"}}
        if method == "conversations.replies":
            key = (args.get("channel", ""), args.get("ts", ""))
            with self.lock:
                msgs = list(self.replies.get(key, []))
                parent = self.posted.get(key)
            if parent is not None and not any(m.get("ts") == key[1] for m in msgs):
                msgs.insert(0, {**parent, "thread_ts": key[1], "reply_count": len(msgs)})
            if not msgs:
                return {"ok": False, "error": "thread_not_found"}
            limit = int(args.get("limit") or 1000)
            start = int(args.get("cursor") or 0)
            page = msgs[start : start + limit]
            more = start + limit < len(msgs)
            return {**ok, "messages": page, "has_more": more, "response_metadata": {"next_cursor": str(start + limit) if more else ""}}
        if method == "reactions.add":
            key3 = (args.get("channel", ""), args.get("timestamp", ""), args.get("name", ""))
            with self.lock:
                if key3 in self.reactions:
                    return {"ok": False, "error": "already_reacted"}
                self.reactions.add(key3)
            return ok
        if method == "conversations.open":
            return {**ok, "channel": {"id": "D" + str(args.get("users", "U"))[:10]}}
        if method == "files.info":
            return emulator_files.info(self, args)
        if method == "files.getUploadURLExternal":
            file_id = "F" + self._next_ts().replace(".", "")
            assert self.server is not None
            with self.lock:
                self.uploads[file_id] = {"id": file_id, "filename": args.get("filename"), "length": args.get("length")}
            return {**ok, "upload_url": f"http://127.0.0.1:{self.server.server_address[1]}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = args.get("files") or []
            if isinstance(files, str):
                files = json.loads(files)
            with self.lock:
                for f in files:
                    up = self.uploads.setdefault(f.get("id"), {"id": f.get("id")})
                    up.update(title=f.get("title"), channel=args.get("channel_id") or args.get("channels"), initial_comment=args.get("initial_comment"))
            return {**ok, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        return ok


class FakeSocketMode:
    """A Socket Mode endpoint on 127.0.0.1: ``apps.connections.open`` of a ``FakeSlack`` made with
    ``socket_mode=`` points here. ``send(type, payload)`` delivers an envelope to the connected
    app and returns its ``envelope_id``; ``ack_for(envelope_id)`` waits for the app's ack."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self) -> None:
        import socket

        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(4)
        self.conn = None
        self.acks: dict[str, dict[str, Any]] = {}
        self.connected = threading.Event()
        self._send_lock = threading.Lock()
        self._ids = itertools.count(1)
        threading.Thread(target=self._accept, daemon=True, name="fake-socket-mode").start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._sock.getsockname()[1]}/link"

    def close(self) -> None:
        for s in (self.conn, self._sock):
            try:
                if s is not None:
                    s.close()
            except OSError:
                pass

    def _accept(self) -> None:
        import base64
        import hashlib

        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(1024)
                if not chunk:
                    break
                head += chunk
            key = next((l.split(":", 1)[1].strip() for l in head.decode("latin-1").split("\r\n") if l.lower().startswith("sec-websocket-key")), "")
            accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()
            conn.sendall(f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n".encode())
            self.conn = conn
            self._frame(0x1, json.dumps({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}}).encode())
            self.connected.set()
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _frame(self, opcode: int, data: bytes) -> None:
        n = len(data)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([n])
        elif n < 65536:
            head += bytes([126]) + n.to_bytes(2, "big")
        else:
            head += bytes([127]) + n.to_bytes(8, "big")
        with self._send_lock:
            self.conn.sendall(head + data)

    def _read(self, conn) -> None:
        def exact(n: int) -> bytes:
            buf = b""
            while len(buf) < n:
                chunk = conn.recv(n - len(buf))
                if not chunk:
                    raise ConnectionError
                buf += chunk
            return buf

        try:
            while True:
                b0, b1 = exact(2)
                opcode, n = b0 & 0x0F, b1 & 0x7F
                if n == 126:
                    n = int.from_bytes(exact(2), "big")
                elif n == 127:
                    n = int.from_bytes(exact(8), "big")
                mask = exact(4) if b1 & 0x80 else b"\0\0\0\0"
                data = bytes(c ^ mask[i % 4] for i, c in enumerate(exact(n)))
                if opcode == 0x9:
                    self._frame(0xA, data)
                elif opcode == 0x8:
                    return
                elif opcode == 0x1:
                    msg = json.loads(data)
                    if msg.get("envelope_id"):
                        self.acks[msg["envelope_id"]] = msg
        except (ConnectionError, OSError, ValueError):
            return

    def send(self, type_: str, payload: dict[str, Any]) -> str:
        assert self.connected.wait(10), "no Socket Mode client connected"
        eid = f"env-{next(self._ids)}"
        self._frame(0x1, json.dumps({"envelope_id": eid, "type": type_, "payload": payload, "accepts_response_payload": type_ != "events_api"}).encode())
        return eid

    def ack_for(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any] | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if envelope_id in self.acks:
                return self.acks[envelope_id]
            time.sleep(0.01)
        return None
