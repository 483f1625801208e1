"""Unlinking a school from its channel and linking it back.

An unlinked school stays in the store's index with no channel (``SchoolTx.bind`` with
``channel_id=None``): every document is kept and still reached by the retention sweep, by
``/scep privacy export|forget`` and by ``scep-bot export --all``; nothing falls due for it (no
nudges, digests or feed); its channel is free for another school. Its notes prompts stop
capturing replies (the threads are in the old channel). A workspace admin links it back to any
free channel of the same workspace with ``/scep relink <name>``; its calendar links work again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core import blocks as bk
from bot.core.schools import School
from bot.core.steps import audit
from bot.errors import UserError
from bot.privacy.records import log_privacy
from bot.store import schema
from bot.store.port import ChannelTaken, Store


def points_to(entry: Any, school_id: str) -> bool:
    """A setting's entry naming the school (a school id, or a dict with its ``school_id``)."""
    return entry == school_id or (isinstance(entry, dict) and entry.get("school_id") == school_id)


def drop_pointers(store: Store, school_id: str, settings: tuple[str, ...]) -> None:
    """Remove the entries of the workspace ``settings`` (dicts) that name the school."""
    for name in settings:
        value = store.get_setting(name)
        if isinstance(value, dict) and any(points_to(v, school_id) for v in value.values()):
            store.update_setting(name, lambda v: {k: e for k, e in (v or {}).items() if not points_to(e, school_id)}, {})


def unlink_school(store: Store, school_id: str, who: str, now: datetime) -> None:
    """Keep the school and its data, free its channel; recorded in its audit log and the
    workspace's privacy log (``now``: a UTC instant)."""
    entry = store.index_entry(school_id)
    if entry is None:
        raise UserError("That school is not linked to a channel any more.")
    with store.transaction(school_id) as tx:
        tx.bind(name=entry["name"], team_id=entry["team_id"], channel_id=None)
        audit(tx, who, now, "unlinked", channel=entry["channel_id"])
    drop_pointers(store, school_id, (schema.THREADS_SETTING,))
    log_privacy(store, who, now, "school unlinked", school_id=school_id)


def find_unlinked(store: Store, team_id: str, wanted: str) -> dict[str, Any]:
    """The unlinked school of the workspace named ``wanted`` (or with that school id); a
    UserError listing them when none or several match."""
    entries = store.unlinked(team_id)
    if not entries:
        raise UserError("This workspace has no unlinked school.")
    key = wanted.strip().lower()
    found = [e for e in entries if e["school_id"].lower() == key] or [e for e in entries if (e["name"] or "").lower() == key]
    if len(found) == 1:
        return found[0]
    if found:
        ids = ", ".join(f"`{e['school_id']}`" for e in found)
        raise UserError(f"{len(found)} unlinked schools are named *{bk.esc(found[0]['name'])}*: say which by its id ({ids}), "
                        f"like `/scep relink {found[0]['school_id']}`.")
    raise UserError(f"No unlinked school is named *{bk.esc(wanted[:80])}*. The unlinked schools: {listing(entries)}.")


def listing(entries: list[dict[str, Any]], limit: int = 30) -> str:
    shown = ", ".join(f"*{bk.esc(e['name'])}* (`{e['school_id']}`)" for e in entries[:limit])
    return shown + (f" and {len(entries) - limit} more" if len(entries) > limit else "")


def relink_school(store: Store, school_id: str, team_id: str, channel_id: str, who: str, now: datetime) -> School:
    """Bind the unlinked school to ``channel_id`` (a free channel of its workspace); its profile
    records the channel. A UserError when the channel is taken meanwhile."""
    try:
        with store.transaction(school_id) as tx:
            doc = tx.get(*schema.PROFILE)
            if doc is None:
                raise UserError("That school has no setup any more: it cannot be linked back.")
            school = School.from_doc(doc)
            school.channel_id = channel_id
            tx.put(*schema.PROFILE, school.to_doc())
            tx.bind(name=school.name, team_id=team_id, channel_id=channel_id)
            audit(tx, who, now, "relinked", channel=channel_id)
    except ChannelTaken:
        raise UserError("This channel was linked to another school a moment ago: run `/scep relink` in a channel with no school.") from None
    log_privacy(store, who, now, "school relinked", school_id=school_id)
    return school
