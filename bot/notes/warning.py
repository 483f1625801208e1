"""What a captured message becomes in Slack: the saved reaction, and, ephemeral to its author in
its thread, the privacy warning (with Redact and Keep as is) and any notices."""

from __future__ import annotations

from typing import Any

from bot.core import blocks as bk
from bot.core.metadata import FlagButton
from bot.core.result import Ephemeral, Reaction, Result
from bot.notes import privacy
from bot.notes.capture import SAVED_REACTION, Capture

ACTION_REDACT = "note_redact"
ACTION_KEEP = "note_keep"


def capture_result(out: Capture) -> Result:
    """What becomes of a saved message in Slack: the saved reaction, the privacy warning and any
    notices, ephemeral to its author in its thread."""
    note = out.note or {}
    channel, ts, author = note.get("channel"), note.get("ts"), note.get("author")
    if not channel or not ts:
        return Result()
    result = Result()
    if out.react:
        result.reactions.append(Reaction(channel, ts, SAVED_REACTION))
    thread_ts = note.get("thread_ts") or None
    if out.warn:
        text, blocks = privacy_warning(out.school_id or "", out.key or "", out.warn)
        result.ephemerals.append(Ephemeral(channel, author, text, blocks, thread_ts))
    for notice in out.notices:
        result.ephemerals.append(Ephemeral(channel, author, notice, [{"type": "section", "text": {"type": "mrkdwn", "text": notice}}], thread_ts))
    return result


def privacy_warning(school_id: str, key: str, flags: list[str]) -> tuple[str, list[dict[str, Any]]]:
    """The ephemeral warning to a note's author, with one-click Redact and Keep as is."""
    what = privacy.describe(flags)
    text = (f":warning: Your note looks like it holds {what}. Notes end up in summaries for the state: please keep students "
            "anonymous. *Redact* masks it in the saved note (and in every export); then edit or delete your Slack message too.")
    value = FlagButton(school_id, key).encode()
    blocks = [bk.section(text), bk.actions(bk.button("Redact", ACTION_REDACT, value, style="danger"), bk.button("Keep as is", ACTION_KEEP, value))]
    return text, blocks
