"""A Slack message as plain data: who wrote it, when, its files, its permalink, a digest of its text.

Messages come in as dicts shaped like Slack's (``ts``, ``user``, ``bot_id``, ``files``...).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from bot.calendar import dates


def is_from_bot(msg: dict[str, Any], bot_user_id: str | None = None) -> bool:
    return bool(msg.get("bot_id") or msg.get("subtype") == "bot_message" or (bot_user_id and msg.get("user") == bot_user_id))


def files_of(msg: dict[str, Any]) -> list[dict[str, str]]:
    """Attached files kept as links (never downloaded)."""
    out = []
    for f in msg.get("files") or []:
        if not isinstance(f, dict) or f.get("mode") == "tombstone":
            continue
        link = f.get("permalink") or f.get("url_private") or ""
        out.append({"id": str(f.get("id", "")), "name": str(f.get("name") or f.get("title") or "file")[:200], "link": str(link)[:1000]})
    return out


def message_time(ts: str) -> datetime:
    try:
        # the part after the dot is a sequence number, not a fraction of a second
        return datetime.fromtimestamp(int(str(ts).split(".")[0]), dates.UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.fromtimestamp(0, dates.UTC)


def build_permalink(base_url: str | None, channel: str, ts: str, thread_ts: str | None = None) -> str:
    """Slack's permalink shape, built without a call: ``<workspace>/archives/<C>/p<ts digits>``."""
    if not base_url:
        return ""
    link = f"{base_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel}"
    return link


def text_hash(text: str) -> str:
    """A digest of a message's text: tells an edit from a re-delivery, even once redacted."""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]
