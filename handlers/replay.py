"""Replays and retries: a request Slack delivers again is handled once.

Slack re-sends an event it thinks was not received (same ``event_id``, with the headers
``X-Slack-Retry-Num`` and ``X-Slack-Retry-Reason``), and a proxy in front of the bot may re-send
any request. This global middleware remembers what it has seen in this process (bounded, in
memory: retries come within minutes) and acknowledges a repeat with an empty 200 without running
any listener:

- an event whose ``event_id`` was seen, with or without the retry header;
- any request (command, click, form, shortcut) carrying ``X-Slack-Retry-Num`` whose body was seen.

A first attempt that failed (an exception in a listener) is forgotten again by the app's error
handler (``forget_failed``), so Slack's retry of it is handled. What survives a restart is
handled by the features themselves: a note is keyed by its message, a form sent twice changes
nothing the second time, a click on "Mark done" twice marks it once.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.response import BoltResponse

from handlers.app_state import app_state
from handlers.seen import Seen

log = logging.getLogger("scep-bot")

KEY = "scep_replay_key"


@dataclass
class Replays:
    """This app's memory of the deliveries it has seen."""

    seen: Seen = field(default_factory=Seen)


def _header(req, name: str) -> str | None:
    values = (req.headers or {}).get(name) or []
    if isinstance(values, str):
        return values
    return values[0] if values else None


def key_of(req) -> tuple[str | None, bool]:
    """(the key that identifies this delivery, is a repeat of it always to be skipped?)."""
    body: dict[str, Any] = req.body if isinstance(req.body, dict) else {}
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if isinstance(event_id, str) and event_id:
        return f"event:{event_id}", True
    raw = req.raw_body if isinstance(req.raw_body, str) else str(req.raw_body or "")
    return "body:" + hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest(), False


def register(app, services) -> None:
    seen = app_state(services, Replays).seen

    @app.middleware
    def replay_guard(req, resp, next):  # noqa: A002 - Bolt's name for it
        key, always = key_of(req)
        retry = _header(req, "x-slack-retry-num")
        if key is None:
            return next()
        fresh = seen.first(key)
        if not fresh and (always or retry is not None):
            log.info("skipped a repeated delivery (%s, retry %s, %s)", key[:24], retry or "-", _header(req, "x-slack-retry-reason") or "-")
            return BoltResponse(status=200, body="")
        req.context[KEY] = key
        return next()


def forget_failed(services, request) -> None:
    """The app's error handler calls this: a delivery that failed may be retried and handled."""
    key = (getattr(request, "context", None) or {}).get(KEY) if request is not None else None
    if key:
        app_state(services, Replays).seen.forget(key)
