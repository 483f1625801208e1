"""School days: when a school may be nudged (the nudge hour, quiet weekdays, school and district
holidays), and the school's nudge settings they come from.

A nudge goes out at 09:00 school-local (the school may choose another hour) on a school day:
never Saturday or Sunday, nor the school's extra quiet weekdays, nor a school or district
holiday. Days are local dates in the school's zone; instants are UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable

from bot.calendar import dates
from bot.core.schools import School, SchoolState
from bot.store.schema import POLICY_KEY

NUDGE_TIME = time(9, 0)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKEND = frozenset({5, 6})
MAX_HOLIDAY_RANGE = 120  # days in one holiday range
DISTRICT_KEY = "_district"  # School.extra["_district"]: the workspace's settings, attached by readers


@dataclass(frozen=True)
class SchoolDays:
    """When a school may be nudged: ``at`` local time on a day that is not quiet."""

    tz: str
    at: time = NUDGE_TIME
    quiet: frozenset[int] = WEEKEND
    holidays: frozenset[date] = frozenset()

    def is_school_day(self, day: date) -> bool:
        return day.weekday() not in self.quiet and day not in self.holidays

    def roll(self, day: date, step: int) -> date | None:
        """``day`` if it is a school day, else the nearest one in direction ``step`` (+1/-1)."""
        for _ in range(400):
            if self.is_school_day(day):
                return day
            day = day + timedelta(days=step)
        return None

    def instant(self, day: date) -> datetime:
        return dates.local_instant(day, self.at, self.tz)

    @property
    def signature(self) -> tuple:
        return (self.tz, self.at, self.quiet, self.holidays)


def parse_holidays(entries: Iterable[str]) -> frozenset[date]:
    """Days from ``YYYY-MM-DD`` and ``YYYY-MM-DD..YYYY-MM-DD`` entries (bad entries are ignored
    here: they are refused when typed)."""
    out: set[date] = set()
    for entry in entries or ():
        try:
            first, last = parse_holiday(str(entry))
        except ValueError:
            continue
        d = first
        while d <= last:
            out.add(d)
            d += timedelta(days=1)
    return frozenset(out)


_HOLIDAY_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?$")


def parse_holiday(text: str) -> tuple[date, date]:
    """``2021-12-24`` or ``2021-12-24..2022-01-02`` -> (first, last); ValueError saying the form."""
    form = "write a holiday as a date like 2021-11-25, or a range like 2021-12-24..2022-01-02"
    m = _HOLIDAY_RE.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not a holiday: {form}")
    try:
        first = date.fromisoformat(m.group(1))
        last = date.fromisoformat(m.group(2)) if m.group(2) else first
    except ValueError:
        raise ValueError(f"'{text}' is not a real date: {form}") from None
    if last < first:
        raise ValueError(f"'{text}' ends before it starts: {form}")
    if (last - first).days >= MAX_HOLIDAY_RANGE:
        raise ValueError(f"'{text}' is {(last - first).days + 1} days long: a holiday range is at most {MAX_HOLIDAY_RANGE} days")
    return first, last


def school_policy(school: School) -> dict[str, Any]:
    """The school's nudge overrides (``School.extra["nudges"]``), always a dict."""
    doc = school.extra.get(POLICY_KEY)
    return doc if isinstance(doc, dict) else {}


def attach_district(state: SchoolState, holidays: list[str] | None) -> SchoolState:
    """Give ``state`` the district's holidays (a workspace setting) so its calendar knows them."""
    state.school.extra[DISTRICT_KEY] = {"holidays": list(holidays or [])}
    return state


def school_days(school: School) -> SchoolDays:
    pol = school_policy(school)
    at = NUDGE_TIME
    if pol.get("time"):
        try:
            at = time.fromisoformat(pol["time"])
        except ValueError:
            pass
    quiet = set(WEEKEND) | {WEEKDAYS.index(d) for d in pol.get("quiet", []) if d in WEEKDAYS}
    district = (school.extra.get(DISTRICT_KEY) or {}).get("holidays") or []
    return SchoolDays(school.tz, at, frozenset(quiet), parse_holidays([*(school.holidays or []), *district]))


def next_school_morning(school: School, now: datetime, days_ahead: int) -> datetime:
    """The nudge hour on the first school day at least ``days_ahead`` local days after ``now``."""
    days = school_days(school)
    day = days.roll(dates.local_today(now, school.tz) + timedelta(days=days_ahead), +1) or (dates.local_today(now, school.tz) + timedelta(days=days_ahead))
    return days.instant(day)
