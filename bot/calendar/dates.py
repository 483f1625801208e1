"""Dates and instants: school years, local wall-clock time and UTC.

Rules used everywhere in scep-bot:
- a school year runs July 1 to June 30 and is named like ``2021-22``;
- templates speak local wall-clock time of the school's IANA zone;
- instants are timezone-aware ``datetime`` objects in UTC;
- nothing here reads the clock: ``now`` is always passed in.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC = timezone.utc
DEFAULT_TZ = "America/New_York"
END_OF_DAY = time(23, 59, 59)

_YEAR_RE = re.compile(r"^\s*(\d{4})\s*[-/–]\s*(\d{2}|\d{4})\s*$")


class DateError(ValueError):
    """A date, year or zone a person typed that we cannot use; the message says what to type."""


@dataclass(frozen=True, order=True)
class SchoolYear:
    """A school year, July 1 of ``start`` to June 30 of ``start + 1``."""

    start: int

    @classmethod
    def parse(cls, text: str) -> "SchoolYear":
        """Parse ``2021-22`` (or ``2021-2022``); raise DateError with the valid form otherwise."""
        m = _YEAR_RE.match(str(text))
        if not m:
            raise DateError(f"'{text}' is not a school year: write it like 2026-27")
        first, second = int(m.group(1)), m.group(2)
        end = int(second) if len(second) == 4 else (first + 1) % 100
        if (len(second) == 4 and end != first + 1) or (len(second) == 2 and int(second) != (first + 1) % 100):
            raise DateError(f"'{text}' is not a school year: the second year must follow the first, like 2026-27")
        if not 1990 <= first <= 2200:
            raise DateError(f"'{text}' is out of range: write a school year like 2026-27")
        return cls(first)

    @classmethod
    def containing(cls, day: date) -> "SchoolYear":
        """The school year a local calendar day belongs to."""
        return cls(day.year if day.month >= 7 else day.year - 1)

    @property
    def name(self) -> str:
        return f"{self.start}-{(self.start + 1) % 100:02d}"

    @property
    def first_day(self) -> date:
        return date(self.start, 7, 1)

    @property
    def last_day(self) -> date:
        return date(self.start + 1, 6, 30)

    def __add__(self, years: int) -> "SchoolYear":
        return SchoolYear(self.start + years)

    def __sub__(self, other: "SchoolYear") -> int:
        return self.start - other.start

    def __str__(self) -> str:
        return self.name


def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; DateError naming examples if there is none."""
    try:
        if not name or "/" not in name and name not in ("UTC",):
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise DateError(
            f"'{name}' is not a time zone I know: use an IANA name such as America/New_York, "
            "America/Chicago, America/Denver, America/Los_Angeles or Pacific/Honolulu"
        ) from None


def is_zone(name: str) -> bool:
    try:
        zone(name)
        return True
    except DateError:
        return False


def zone_names() -> list[str]:
    return sorted(available_timezones())


def local_instant(day: date, at: time | None, tz: str) -> datetime:
    """The UTC instant of wall-clock ``at`` (end of day when None) on ``day`` in zone ``tz``.

    Non-existent local times (spring-forward gap) move forward; ambiguous ones take the first.
    """
    zi = zone(tz)
    local = datetime.combine(day, at or END_OF_DAY).replace(tzinfo=zi, fold=0)
    # Round-trip through UTC normalises a time inside the DST gap to a real instant.
    return local.astimezone(UTC)


def to_local(instant: datetime, tz: str) -> datetime:
    return instant.astimezone(zone(tz))


def local_today(now: datetime, tz: str) -> date:
    return to_local(now, tz).date()


def last_day_of_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def shift_years(day: date, years: int, *, carry: str = "same-date") -> date:
    """Carry a reference-year date ``years`` later, keeping its pattern.

    ``same-date``: same month and day; the last day of a month stays the last day (Feb 28 ->
    Feb 29 in a leap year). ``same-weekday``: the same nth weekday of the month (the 1st Friday
    of May stays the 1st Friday); a 5th weekday becomes the last one.
    """
    if years == 0:
        return day
    y = day.year + years
    if carry == "same-weekday":
        nth = (day.day - 1) // 7  # 0-based
        first = date(y, day.month, 1)
        offset = (day.weekday() - first.weekday()) % 7
        candidate = 1 + offset + 7 * min(nth, 3)
        if nth >= 4:
            while candidate + 7 <= last_day_of_month(y, day.month):
                candidate += 7
        return date(y, day.month, candidate)
    if day.day == last_day_of_month(day.year, day.month):
        return date(y, day.month, last_day_of_month(y, day.month))
    return date(y, day.month, min(day.day, last_day_of_month(y, day.month)))


def days_between(now: datetime, then: datetime, tz: str) -> int:
    """Whole local calendar days from ``now`` to ``then`` in ``tz`` (negative when past)."""
    return (local_today(then, tz) - local_today(now, tz)).days


def parse_instant(text: str) -> datetime:
    """Parse an ISO-8601 instant for operators (``--now``); naive means UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise DateError(f"'{text}' is not an ISO-8601 time: write it like 2021-11-02T09:00-04:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def fmt_local(instant: datetime, tz: str, *, with_time: bool = True) -> str:
    """``Fri May 6 2022, 4:00 PM EDT`` in the school's zone; end-of-day shows as ``end of day``."""
    local = to_local(instant, tz)
    day = f"{local:%a} {local:%b} {local.day} {local.year}"
    if not with_time:
        return day
    if local.time() == END_OF_DAY:
        return f"{day}, end of day {local:%Z}"
    hour = local.hour % 12 or 12
    return f"{day}, {hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'} {local:%Z}"


def fmt_day(day: date) -> str:
    return f"{day:%a} {day:%b} {day.day} {day.year}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if abs(n) == 1 else 's'}"


def days_phrase(days: int) -> str:
    """``today``, ``tomorrow``, ``in 3 days``, ``yesterday``, ``5 days ago``."""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


MIDNIGHT = time(0, 0)


def add_days(day: date, n: int) -> date:
    return day + timedelta(days=n)
