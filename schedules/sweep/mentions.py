"""Mentions of people who left the workspace: found in a rendered message (text and blocks), and
replaced by the person's name (no ping), so a nudge still reads right.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from bot.core.blocks import esc

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def left_users(person: Callable[[str], dict[str, Any] | None], text: str, blocks) -> list[dict[str, Any]]:
    """The people mentioned in (``text``, ``blocks``) whom ``person(user_id)`` knows to have left."""
    ids = set(MENTION.findall(text)) | set(MENTION.findall(_flatten(blocks)))
    out = []
    for uid in sorted(ids):
        who = person(uid)
        if who is not None and who.get("deleted"):
            out.append(who)
    return out


def _flatten(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(_flatten(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_flatten(v) for v in value)
    return ""


def unmention(text: str, blocks, left: list[dict[str, Any]]):
    """(``text``, ``blocks``) with each mention of a ``left`` person replaced by their name;
    action ids, button values and block ids are kept as they are."""
    names = {p["id"]: p.get("name") or p["id"] for p in left}

    def sub(s: str) -> str:
        return MENTION.sub(lambda m: f"@{esc(names[m.group(1)])} (left the workspace)" if m.group(1) in names else m.group(0), s)

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return sub(v)
        if isinstance(v, dict):
            return {k: (walk(x) if k not in ("action_id", "value", "block_id") else x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return sub(text), walk(blocks)
