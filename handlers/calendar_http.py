"""The calendar feeds' HTTP edge: ``GET /calendar/<token>.ics``, read-only, rate-limited per address.

Answers: 200 ``text/calendar``; 404 ``not found`` (the same few bytes) for a wrong, revoked or
truncated token, a role lost or a school gone, so a URL never tells what exists; 429 with
``Retry-After`` (seconds) past ``rate`` requests a minute from one address; 405 for other methods.
Mounted by the bot's HTTP server (``make_wsgi``) and by ``scep-bot serve-calendars``.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import deque

from bot.feeds.access import fetch

log = logging.getLogger("scep-bot")

PATH = re.compile(r"^/calendar/([^/]{1,200})\.ics$")
NOT_FOUND = b"not found\n"


class RateLimit:
    """At most ``per_minute`` requests per address in any 60 s (a sliding window)."""

    def __init__(self, per_minute: int, clock=time.monotonic, max_addresses: int = 100_000) -> None:
        self.per_minute, self.clock, self.max_addresses = per_minute, clock, max_addresses
        self.seen: dict[str, deque] = {}
        self.lock = threading.Lock()

    def wait(self, address: str) -> float:
        """0 when the request may go on (and counts it), else the seconds until it may."""
        now = self.clock()
        with self.lock:
            q = self.seen.get(address)
            if q is None:
                if len(self.seen) >= self.max_addresses:  # forget idle addresses, never grow without bound
                    for a in [a for a, d in self.seen.items() if not d or now - d[-1] >= 60]:
                        del self.seen[a]
                q = self.seen[address] = deque()
            while q and now - q[0] >= 60:
                q.popleft()
            if len(q) >= self.per_minute:
                return 60 - (now - q[0])
            q.append(now)
            return 0.0


def is_calendar_path(path: str) -> bool:
    return path.startswith("/calendar/")


def calendar_app(services, rate: RateLimit):
    """The WSGI app of the feeds, on ``services`` (store, cycles, clock)."""

    def app(environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")])
            return [b"calendar feeds are read-only\n"]
        wait = rate.wait(environ.get("REMOTE_ADDR") or "?")
        if wait > 0:
            body = b"too many requests: calendars need one fetch an hour\n"
            start_response("429 Too Many Requests", [("Retry-After", str(max(1, math.ceil(wait)))), ("Content-Type", "text/plain"),
                                                     ("Content-Length", str(len(body)))])
            return [body]
        m = PATH.match(environ.get("PATH_INFO", ""))
        data = None
        if m:
            try:
                data = fetch(services.store, services.library, services.clock(), m.group(1))
            except Exception:  # noqa: BLE001 - a damaged file or a bug: logged, and the answer tells nothing
                log.exception("calendar feed failed")
                start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Retry-After", "300")])
                return [b"try again later\n"]
        if data is None:
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(NOT_FOUND)))])
            return [NOT_FOUND]
        start_response("200 OK", [("Content-Type", "text/calendar; charset=utf-8"), ("Content-Length", str(len(data))),
                                  ("Cache-Control", "private, max-age=300"), ("X-Robots-Tag", "noindex")])
        return [b"" if method == "HEAD" else data]

    return app
