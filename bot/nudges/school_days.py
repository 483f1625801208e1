"""School days: when a school may be nudged (the nudge hour, quiet weekdays, the school's
calendar of record), and the school's nudge settings they come from.

A nudge goes out at 09:00 school-local (the school may choose another hour) on a school day:
never Saturday or Sunday, nor the school's extra quiet weekdays, nor a public holiday of its
state, nor a district or school closure (bot.core.school_calendar). Days are local dates in the school's zone; instants are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.calendar import closures, dates
from bot.calendar.closures import Calendar
from bot.core.school_calendar import DISTRICT_KEY, attach_district, school_calendar  # noqa: F401 (re-exported)
from bot.core.schools import School
from bot.store.schema import POLICY_KEY

NUDGE_TIME = time(9, 0)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKEND = closures.WEEKEND
MAX_HOLIDAY_RANGE = closures.MAX_RANGE_DAYS  # days in one holiday range


@dataclass(frozen=True)
class SchoolDays:
    """When a school may be nudged: ``at`` local time on a school day of its calendar of record
    (``calendar``: weekends, public holidays, closures) that is not one of its quiet weekdays."""

    tz: str
    at: time = NUDGE_TIME
    quiet: frozenset[int] = WEEKEND
    calendar: Calendar = Calendar()

    def is_school_day(self, day: date) -> bool:
        return day.weekday() not in self.quiet and self.calendar.is_open(day)

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
        return (self.tz, self.at, self.quiet, self.calendar)


def parse_holiday(text: str) -> tuple[date, date]:
    """``2021-12-24`` or ``2021-12-24..2022-01-02`` -> (first, last); ValueError saying the form."""
    return closures.parse_range(text)


def school_policy(school: School) -> dict[str, Any]:
    """The school's nudge overrides (``School.extra["nudges"]``), always a dict."""
    doc = school.extra.get(POLICY_KEY)
    return doc if isinstance(doc, dict) else {}


def school_days(school: School) -> SchoolDays:
    pol = school_policy(school)
    at = NUDGE_TIME
    if pol.get("time"):
        try:
            at = time.fromisoformat(pol["time"])
        except ValueError:
            pass
    quiet = set(WEEKEND) | {WEEKDAYS.index(d) for d in pol.get("quiet", []) if d in WEEKDAYS}
    return SchoolDays(school.tz, at, frozenset(quiet), school_calendar(school))


def next_school_morning(school: School, now: datetime, days_ahead: int) -> datetime:
    """The nudge hour on the first school day at least ``days_ahead`` local days after ``now``."""
    days = school_days(school)
    day = days.roll(dates.local_today(now, school.tz) + timedelta(days=days_ahead), +1) or (dates.local_today(now, school.tz) + timedelta(days=days_ahead))
    return days.instant(day)
