"""The HTTP edge: nothing is decoded, parsed or logged before Slack's signature is checked.

Over HTTP anyone can post to ``/slack/events``. Bolt's WSGI adapter reads the body, decodes it as
UTF-8 and parses it (form or JSON) before its own middleware checks the signature, and that
middleware logs the whole body of a refused request. So an unsigned caller could make the bot
hold and parse any body (memory), write any text into the log (a body with a newline forges a
log line) and, with a body that is not UTF-8, get a 500 and a traceback.

``SignedBodyGuard`` sits in front of Bolt's adapter and looks at the raw bytes first:

- a body over ``MAX_BODY`` (1 MiB; Slack's payloads are a few KB) is refused with 413 unread
  (waitress refuses it too, before the application is called: see ``waitress_settings``);
- no ``X-Slack-Signature``/``X-Slack-Request-Timestamp``, a timestamp more than 5 minutes away,
  or an HMAC-SHA256 (``v0:<ts>:<raw body>``, the signing secret as key) that does not match:
  401, without decoding or parsing anything; the log gets one INFO line with a summary
  (``summary``: at most 200 characters, escaped like ``repr``, so no raw newline), and no more
  than one such line a minute (the others are counted in the next);
- signed but not UTF-8: an empty 200 and one warning (Slack never sends that; nothing to retry);
- otherwise the same bytes go on to Bolt, which checks the signature again and parses.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import threading
import time
from typing import Any, Callable, Iterable

from bot.core import logtext

log = logging.getLogger("scep-bot")

MAX_BODY = 1024 * 1024  # bytes: Slack's commands, events and interactions are a few KB; big views stay well under
SIGNATURE_WINDOW = 300  # seconds between X-Slack-Request-Timestamp and now, as Slack documents
SUMMARY_CHARS = 200  # of an unauthenticated request's body, at most, in the log
REFUSAL_LOG_INTERVAL = 60.0  # seconds: at most one INFO line about refused requests per interval


def summary(data: bytes | str, limit: int = SUMMARY_CHARS, total: int | None = None) -> str:
    """What the log may show of text a stranger sent: ``repr``-escaped (no raw newline or control
    character), at most ``limit`` characters of it, and its length (``total`` when ``data`` is
    only its beginning)."""
    total = len(data) if total is None else total
    text = repr(data[:limit])
    if len(text) > limit or total > len(data) or len(data) > limit:
        text = text[:limit] + "..."
    return f"{text} ({total} bytes)"


def signature_of(secret: bytes, timestamp: str, body: bytes) -> str:
    return "v0=" + hmac.new(secret, b"v0:" + timestamp.encode("ascii") + b":" + body, hashlib.sha256).hexdigest()


class _Throttled:
    """Logs the first of a kind at once, then at most one line per ``interval`` with a count."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = 0.0
        self._skipped = 0
        self._lock = threading.Lock()

    def __call__(self, level: int, msg: str, *args: Any) -> None:
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                self._skipped += 1
                return
            skipped, self._skipped, self._next = self._skipped, 0, now + self.interval
        if skipped:
            msg += f" (and {skipped} more since the last such line)"
        log.log(level, msg, *args)


class SignedBodyGuard:
    """WSGI middleware for Slack's endpoint: size, signature, then encoding, on the raw bytes,
    before ``inner`` (Bolt's adapter) reads anything."""

    def __init__(self, inner: Callable, signing_secret: str, *, max_body: int = MAX_BODY, window: int = SIGNATURE_WINDOW,
                 clock: Callable[[], float] = time.time) -> None:
        self.inner = inner
        self._secret = signing_secret.encode()
        self.max_body = max_body
        self.window = window
        self.clock = clock
        self._refusals = _Throttled(REFUSAL_LOG_INTERVAL)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return self.inner(environ, start_response)  # Bolt's adapter reads no body for these (404)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _answer(start_response, "400 Bad Request", {"error": "bad Content-Length"})
        if length < 0:
            return _answer(start_response, "400 Bad Request", {"error": "bad Content-Length"})
        if length > self.max_body:
            self._refused(environ, f"a body over the {self.max_body}-byte limit", b"", length)
            return _answer(start_response, "413 Payload Too Large", {"error": f"the body is over {self.max_body} bytes"})
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or ""
        signature = environ.get("HTTP_X_SLACK_SIGNATURE") or ""
        why = self._headers_problem(timestamp, signature)
        if why is not None:
            # refused on its headers: the body is not read beyond what the log's summary shows
            self._refused(environ, why, _read(environ, min(length, SUMMARY_CHARS)), length)
            return _answer(start_response, "401 Unauthorized", {"error": "invalid request"})
        raw = _read(environ, length)
        if not hmac.compare_digest(signature_of(self._secret, timestamp, raw), signature):
            self._refused(environ, "the signature does not match the body", raw)
            return _answer(start_response, "401 Unauthorized", {"error": "invalid request"})
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            log.warning("ignored a signed request whose body is not UTF-8 (%d bytes, invalid byte at %d)", len(raw), exc.start)
            return _answer(start_response, "200 OK", None)
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        return self.inner(environ, start_response)

    def _headers_problem(self, timestamp: str, signature: str) -> str | None:
        if not timestamp or not signature:
            return "no X-Slack-Signature or X-Slack-Request-Timestamp"
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return "X-Slack-Request-Timestamp is not a Unix time"
        if abs(self.clock() - int(timestamp)) > self.window:
            return f"X-Slack-Request-Timestamp is more than {self.window // 60} minutes away"
        if not (signature.startswith("v0=") and len(signature) == 67):
            return "X-Slack-Signature is not a v0 signature"
        return None

    def _refused(self, environ: dict[str, Any], why: str, body: bytes, length: int | None = None) -> None:
        # a real Slack request refused (a wrong SLACK_SIGNING_SECRET) carries what people typed
        shown = summary(body, total=length) if logtext.SHOW_USER_TEXT else f"of {len(body) if length is None else length} bytes (SCEP_LOG_USER_TEXT=1 shows it)"
        self._refusals(logging.INFO, "refused a request from %s: %s; body %s", environ.get("REMOTE_ADDR", "?"), why, shown)


def _read(environ: dict[str, Any], n: int) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None or n <= 0:
        return b""
    chunks, left = [], n
    while left > 0:
        chunk = stream.read(min(left, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _answer(start_response: Callable, status: str, body: dict[str, Any] | None) -> list[bytes]:
    data = json.dumps(body).encode() if body is not None else b""
    headers = [("Content-Length", str(len(data)))]
    if body is not None:
        headers.append(("Content-Type", "application/json"))
    start_response(status, headers)
    return [data]


# -- the server in front: waitress
#
# waitress reads requests on one event loop and hands only complete ones to its threads, so a
# slow client costs a connection, not a thread. Its defaults still let slow clients lock others
# out: 100 connections at most (the 101st waits in the kernel's backlog), and a connection is
# closed only after 120 s *without a byte*, so a client that sends one byte every few seconds
# keeps its connection for ever. 150 such clients stopped /healthz and Slack's requests
# entirely. Here: room for many connections (poll() rather than select(), which cannot watch
# more than 1024 descriptors), idle connections closed after 10 s, and a request that has not
# fully arrived 10 s after its first byte is dropped, however it trickles (``_harden``).

REQUEST_DEADLINE = 10.0  # seconds from a request's first byte to its last (headers and body); Slack sends one in milliseconds
IDLE_TIMEOUT = 10  # seconds a connection may stay open without sending anything (keep-alive included)
CONNECTION_LIMIT = 1000  # open connections at most (fewer if the process may not open that many files)
_SLOW_LOG = _Throttled(REFUSAL_LOG_INTERVAL)


def waitress_settings() -> dict[str, Any]:
    """How ``scep-bot serve`` runs waitress (see RELIABILITY.md, "The HTTP edge")."""
    return {
        "threads": 8,  # they only parse and acknowledge; listeners run on Bolt's own 64 threads
        "ident": "scep-bot",
        # waitress answers 413 itself, before reading the body, when Content-Length is >= this
        # (and stops a chunked body there), so no oversized body is buffered at all
        "max_request_body_size": MAX_BODY + 1,
        "max_request_header_size": 64 * 1024,  # Slack's headers are well under 2 KB
        "connection_limit": _connection_limit(),
        "channel_timeout": IDLE_TIMEOUT,
        "cleanup_interval": 1,  # look for idle and late connections every second
        "backlog": 1024,  # connections the kernel holds while the limit is reached
        "asyncore_use_poll": True,  # select() fails past file descriptor 1023
    }


DRAIN_S = 20.0  # seconds a stopping server keeps answering the requests it had already taken


def serve(app: Callable, *, host: str, port: int, stop: Any = None) -> None:
    """Serve the WSGI ``app`` with ``waitress_settings`` until the process is stopped, or, given
    ``stop`` (a ``threading.Event``), until it is set: then it stops accepting connections,
    finishes the requests it has (at most ``DRAIN_S`` seconds) and returns."""
    from waitress.server import create_server

    _raise_file_limit(CONNECTION_LIMIT + 200)
    server = create_server(app, host=host, port=port, **waitress_settings())
    _harden(server)
    if stop is None:
        server.run()
        return
    loop = server.asyncore.loop
    try:
        while not stop.is_set():
            loop(timeout=0.2, map=server._map, use_poll=True, count=1)
        _drain(server, loop)
    finally:
        server.task_dispatcher.shutdown(timeout=DRAIN_S)


def _drain(server: Any, loop: Callable) -> None:
    """Stop listening, then run the event loop until every connection's requests are answered
    and flushed (or ``DRAIN_S`` has passed)."""
    import time

    from waitress import wasyncore
    from waitress.channel import HTTPChannel

    wasyncore.dispatcher.close(server)  # the listening socket only (the loop's trigger stays)
    deadline = time.monotonic() + DRAIN_S

    def busy() -> bool:
        return any(isinstance(ch, HTTPChannel) and (ch.requests or ch.total_outbufs_len) for ch in list(server._map.values()))

    while busy() and time.monotonic() < deadline:
        loop(timeout=0.05, map=server._map, use_poll=True, count=1)


def _raise_file_limit(want: int) -> None:
    """Raise the soft limit of open files towards ``want`` (never past the hard limit)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= want:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
    except (ValueError, OSError):
        pass


def _connection_limit() -> int:
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return CONNECTION_LIMIT
    return max(50, min(CONNECTION_LIMIT, soft - 200))  # the store, the logs and the Web API client need files too


def _harden(server: Any) -> None:
    """Give each of waitress's listening servers the request deadline."""
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser
    from waitress.server import BaseWSGIServer

    class TimedParser(HTTPRequestParser):
        """waitress's parser of one request, which remembers when the request's first byte came."""

        def __init__(self, adj: Any) -> None:
            super().__init__(adj)
            self.first_byte_at = time.monotonic()

    class DeadlineChannel(HTTPChannel):
        parser_class = TimedParser

    def with_deadline(listener: Any, maintenance: Callable[[float], None]) -> Callable[[float], None]:
        def run(now: float) -> None:
            maintenance(now)  # waitress's own: idle connections (channel_timeout)
            late = time.monotonic() - REQUEST_DEADLINE
            dropped = 0
            for channel in list(listener.active_channels.values()):
                request = channel.request  # the request still arriving, if any
                if request is None or channel.requests or channel.will_close or getattr(request, "first_byte_at", late) >= late:
                    continue
                channel.will_close = True  # closed by the event loop, which runs this
                dropped += 1
            if dropped:
                _SLOW_LOG(logging.INFO, "closed %d connections whose request had not arrived %d s after its first byte "
                          "(slow or stalled clients)", dropped, int(REQUEST_DEADLINE))

        return run

    listeners = [server] if isinstance(server, BaseWSGIServer) else [d for d in server.map.values() if isinstance(d, BaseWSGIServer)]
    for listener in listeners:
        listener.channel_class = DeadlineChannel
        listener.maintenance = with_deadline(listener, listener.maintenance)
