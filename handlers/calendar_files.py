"""An .ics file shared in a school's channel with the message ``holidays import`` (or
``holidays import all``, a mention of the bot allowed): the district's closures are imported
from it (``bot.nudges.holidays.import_shared_file``), the file read with the bot token. The
answer is posted in the file's thread; a file that cannot be read or parsed changes nothing."""

from __future__ import annotations

import re
from typing import Any

from bot.core.result import Result
from bot.nudges.holidays import import_shared_file
from handlers.context import make_ctx
from handlers.executor import carry_out, guarded

_COMMAND = re.compile(r"^(?:/?scep\s+)?holidays\s+import(\s+all)?\s*$", re.IGNORECASE)
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def wanted(event: dict[str, Any]) -> bool:
    """A person's message with a file and the words ``holidays import``."""
    if event.get("bot_id") or event.get("subtype") not in (None, "file_share") or not event.get("files"):
        return False
    return bool(_COMMAND.match(_MENTION.sub(" ", event.get("text") or "").strip()))


def import_from_message(services, client, body: dict[str, Any]) -> bool:
    """Handle the message if it asks for an import (True), else leave it to the notes (False)."""
    event = body.get("event") or {}
    if not wanted(event):
        return False
    every = bool(_COMMAND.match(_MENTION.sub(" ", event.get("text") or "").strip()).group(1))
    channel, ts = event.get("channel") or "", event.get("ts") or ""
    ctx = make_ctx(services, {"team_id": body.get("team_id") or event.get("team") or "", "user_id": event.get("user") or "",
                              "channel_id": channel}, client)
    file_id = str((event["files"][0] or {}).get("id") or "")
    out = guarded(lambda: import_shared_file(ctx, file_id, every), "holidays import of a shared file")

    def answer(result: Result) -> None:
        client.chat_postMessage(channel=channel, thread_ts=ts, text=result.text, blocks=result.blocks or None)

    carry_out(out, ctx, services, client, None, None, answer=answer)
    return True
