"""What of people's words may reach the log: nothing, at any level, unless the operator sets
``SCEP_LOG_USER_TEXT=1`` (read by bot/root/settings.py at start; documented in docs/runbook.md).

Notes may name students; commands and form fields may too. Log lines name the request and the
error, and show typed text only through ``user_text``; tracebacks go through ``error_trace``,
which leaves out the exception's message (it may quote the input) unless the setting is on.
"""

from __future__ import annotations

import traceback

SHOW_USER_TEXT = False  # SCEP_LOG_USER_TEXT=1: the operator asked to see typed text in the log (debugging only)


def show_user_text(on: bool) -> None:
    global SHOW_USER_TEXT
    SHOW_USER_TEXT = bool(on)


def user_text(text: str | None, limit: int = 80) -> str:
    """``text`` for a log line: its first ``limit`` characters when allowed, else only its length."""
    text = text or ""
    if SHOW_USER_TEXT:
        return repr(text[:limit])
    return f"<{len(text)} characters, not logged: SCEP_LOG_USER_TEXT=1 shows them>"


def error_trace(exc: BaseException) -> str:
    """The traceback of ``exc`` for the log: where it happened and the exception's type; its
    message too only when SCEP_LOG_USER_TEXT=1 (a message may quote what someone typed)."""
    if SHOW_USER_TEXT:
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    frames = "".join(traceback.TracebackException.from_exception(exc).stack.format())
    return f"Traceback (most recent call last):\n{frames}{type(exc).__module__}.{type(exc).__qualname__} (message not logged: SCEP_LOG_USER_TEXT=1 shows it)"
