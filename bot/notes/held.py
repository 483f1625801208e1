"""When a visit or session was held: its scheduled time plus its length, or when it was marked
done. Instants are UTC; ``now`` is passed in."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.calendar import dates
from bot.calendar.instances import DatedStep

DEFAULT_VISIT_MINUTES = 60


def visit_minutes(dated: DatedStep) -> int:
    """How long the visit or session lasts: the longest duration of each required event."""
    total = 0
    for ev in dated.step.events:
        if ev.optional:
            continue
        m = ev.minutes
        total += (m[1] if isinstance(m, tuple) else m) or 0
    return min(total or DEFAULT_VISIT_MINUTES, 8 * 60)


def held_at(dated: DatedStep, state: dict[str, Any]) -> datetime | None:
    """When the visit or session was held: the end of its scheduled time if that has passed
    by the time it is looked at, else when it was marked done; None while neither is known."""
    ends = []
    if state.get("scheduled_at"):
        ends.append(dates.parse_instant(state["scheduled_at"]) + timedelta(minutes=visit_minutes(dated)))
    done = state.get("done") or {}
    if done:
        ends.append(min(dates.parse_instant(v["at"]) for v in done.values() if v.get("at")))
    return min(ends) if ends else None


def held_day(state: dict[str, Any], now: datetime) -> datetime | None:
    """The instant to name as the day it was held: the scheduled time when it has come, else
    the time it was marked done."""
    sched = dates.parse_instant(state["scheduled_at"]) if state.get("scheduled_at") else None
    done = state.get("done") or {}
    done_at = min((dates.parse_instant(v["at"]) for v in done.values() if v.get("at")), default=None)
    if sched and sched <= (done_at or now):
        return sched
    return done_at
