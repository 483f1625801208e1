"""Credentials never in the log, at any level: every log record (ours, Bolt's, slack_sdk's, whose
DEBUG lines show request bodies and answers, ``oauth.v2.access``'s token included) has Slack
tokens, OAuth codes and the secrets of the settings replaced before any handler sees it."""

from __future__ import annotations

import logging
import re
import threading

_PATTERNS = [
    (re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+"), r"\1-(redacted)"),  # bot, user, app-level and refresh tokens
    (re.compile(r"""(['"](?:access_token|refresh_token|code|client_secret|token)['"]\s*:\s*['"])[^'"]+"""), r"\1(redacted)"),
    (re.compile(r"([?&](?:code|client_secret|token)=)[^&\s'\"]+"), r"\1(redacted)"),
]
_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    for secret in _secrets:
        text = text.replace(secret, "(redacted)")
    return text


def install(*secrets: str | None) -> None:
    """Redact from every log record from now on (once per process; each call adds ``secrets``)."""
    global _installed
    with _lock:
        _secrets.update(s for s in secrets if s and len(s) >= 8)
        if _installed:
            return
        _installed = True
        make = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:  # noqa: ANN002, ANN003 - logging's signature
        record = make(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: logging reports it as usual
            return record
        clean = redact(text)
        if clean != text:
            record.msg, record.args = clean, ()
        return record

    logging.setLogRecordFactory(factory)
