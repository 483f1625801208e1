"""The error every layer may raise for bad input from a person."""

from __future__ import annotations


class UserError(ValueError):
    """Bad input from a person; the message says what to type instead (Slack mrkdwn, escaped)."""
