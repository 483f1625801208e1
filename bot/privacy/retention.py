"""Retention: notes, notes prompts and the audit log are kept ``years`` school years after the
school year they belong to (a note: its step's year; an audit entry: the school year of the day
it was written, in the school's zone), then the sweep deletes them for good, once a day.

Default ``DEFAULT_YEARS`` = 3: a note of 2021-22 is deleted when 2025-26 begins (July 1). The
shortest is 0 (kept until the school year ends); anything shorter would delete the current
school year's notes while people still write them, and is refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.calendar import dates
from bot.calendar.dates import SchoolYear
from bot.core.schools import iso
from bot.core.steps import audit
from bot.errors import UserError
from bot.privacy.records import log_privacy
from bot.store import schema
from bot.store.port import Store

DEFAULT_YEARS = 3
MAX_YEARS = 50
LAST_RUN_SETTING = "retention_last_run"  # the UTC day the retention sweep last ran


def setting(store: Store, team_id: str | None) -> dict[str, Any]:
    """Workspace ``team_id``'s retention entry ({"years", "by", "at"}; {} when never set)."""
    value = store.get_setting(schema.RETENTION_SETTING) or {}
    ours = value.get(team_id or "") if isinstance(value, dict) else None
    return dict(ours) if isinstance(ours, dict) else {}


def years(store: Store, team_id: str | None) -> int:
    """Workspace ``team_id``'s retention in school years (``DEFAULT_YEARS`` when never set)."""
    return int(setting(store, team_id).get("years", DEFAULT_YEARS))


def parse_years(text: str) -> int:
    """What an admin typed -> whole school years; UserError saying why otherwise."""
    try:
        n = int(text)
    except ValueError:
        raise UserError(f"`{text}` is not a number of school years: `/scep retention 3` keeps notes and the audit log 3 school years after their year.") from None
    if n < 0:
        raise UserError("That is shorter than the current school year: its notes are still being written and would be deleted. "
                        "The shortest is `/scep retention 0` (kept until the school year ends).")
    if n > MAX_YEARS:
        raise UserError(f"At most {MAX_YEARS} school years.")
    return n


def set_years(store: Store, team_id: str | None, n: int, who: str, now: datetime) -> None:
    """Workspace ``team_id``'s retention set to ``n`` school years (the others' kept)."""
    def change(value):
        value = dict(value) if isinstance(value, dict) else {}
        value[team_id or ""] = {"years": n, "by": who, "at": iso(now)}
        return value

    store.update_setting(schema.RETENTION_SETTING, change, {})
    log_privacy(store, who, now, "retention set", years=n, team=team_id)


def oldest_kept(now: datetime, tz: str, n: int) -> SchoolYear:
    """The oldest school year still kept at ``now`` with ``n`` years of retention."""
    return SchoolYear.containing(dates.local_today(now, tz)) + (-n)


def _year_of(name: Any) -> SchoolYear | None:
    try:
        return SchoolYear.parse(str(name))
    except dates.DateError:
        return None


def apply_to_school(store: Store, school_id: str, now: datetime, n: int) -> dict[str, int]:
    """Delete the school's notes, prompts and audit entries older than ``n`` years; purged."""
    view = store.view(school_id)
    profile = view.get(*schema.PROFILE) or {}
    tz = profile.get("tz") or "America/New_York"
    keep_from = oldest_kept(now, tz, n)
    old: dict[str, list[str]] = {}
    for kind in (schema.NOTE_KIND, schema.PROMPT_KIND):
        for key, doc in view.all(kind).items():
            y = _year_of(doc.get("year"))
            if y is not None and y < keep_from:
                old.setdefault(kind, []).append(key)
    for key, doc in view.all(schema.AUDIT_KIND).items():
        try:
            day = dates.local_today(dates.parse_instant(doc.get("at") or key.split("#")[0]), tz)
        except (ValueError, dates.DateError):
            continue
        if SchoolYear.containing(day) < keep_from:
            old.setdefault(schema.AUDIT_KIND, []).append(key)
    counts = {kind: len(keys) for kind, keys in old.items()}
    if not old:
        return counts
    with store.transaction(school_id) as tx:
        for kind, keys in old.items():
            for key in keys:
                tx.delete(kind, key)
        tx.purge()
        audit(tx, "bot", now, "retention applied", before=keep_from.name, **counts)
    return counts


def apply(store: Store, now: datetime) -> dict[str, int]:
    """The retention sweep over every school, unlinked ones included (each with its workspace's
    retention), and the privacy log (kept as long as the longest retention of any workspace); totals by kind."""
    totals: dict[str, int] = {}
    longest = DEFAULT_YEARS
    for sid in store.school_ids(unlinked=True):
        n = years(store, (store.index_entry(sid, unlinked=True) or {}).get("team_id"))
        longest = max(longest, n)
        for kind, c in apply_to_school(store, sid, now, n).items():
            totals[kind] = totals.get(kind, 0) + c
    value = store.get_setting(schema.RETENTION_SETTING) or {}
    longest = max([longest, *(int(e.get("years", 0)) for e in value.values() if isinstance(e, dict))])
    keep_from = oldest_kept(now, "UTC", longest)
    log = store.get_setting(schema.PRIVACY_LOG_SETTING) or []
    if any(SchoolYear.containing(dates.parse_instant(e["at"]).date()) < keep_from for e in log):
        store.update_setting(schema.PRIVACY_LOG_SETTING, lambda entries: [e for e in entries or []
                                                                          if SchoolYear.containing(dates.parse_instant(e["at"]).date()) >= keep_from], [])
        store.purge_settings()
    return totals


def apply_if_due(store: Store, now: datetime) -> dict[str, int] | None:
    """Run ``apply`` at most once per UTC day (the sweep calls this every minute)."""
    today = now.date().isoformat()
    if store.get_setting(LAST_RUN_SETTING) == today:
        return None
    store.set_setting(LAST_RUN_SETTING, today)
    return apply(store, now)
