"""People's display names, for notes listed and exported (Slack's ``users.info`` profiles)."""

from __future__ import annotations

from typing import Any

from bot.core.context import Ctx


def display_name(user: dict[str, Any] | None) -> str | None:
    """The name Slack shows for a ``users.info`` user: real name, else display name, else handle."""
    if not user:
        return None
    prof = user.get("profile") or {}
    return prof.get("real_name") or user.get("real_name") or prof.get("display_name") or user.get("name")


def names_for(ctx: Ctx, user_ids) -> dict[str, str]:
    """Display names of people by id, through the listener's cached ``users.info``."""
    out: dict[str, str] = {}
    if ctx.lookup_user is None:
        return out
    for uid in {u for u in user_ids if u}:
        try:
            user = ctx.lookup_user(uid) or {}
        except Exception:  # noqa: BLE001 - a name is a nicety; the id stands in
            user = {}
        name = display_name(user)
        if name:
            out[uid] = name
    return out
