"""Closed days: the school's calendar of record (weekends, public holidays, closures).

A school day is a weekday that is not a public holiday of the school's state (from the
``holidays`` package) and not a closure of the district or the school. Days are local dates of
the school; nothing here knows a time zone or a clock.

Public holidays: ``holidays.US(subdiv=<state>)``, minus the legal holidays on which the state's
schools stay open (New York Education Law §3604(8): general election day, Lincoln's birthday
and flag day; Susan B. Anthony Day is a commemoration, not a day off). Observed days count
("Christmas Day (observed)" on Friday Dec 24 2027).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Iterable, Literal

import holidays as holidays_lib

WEEKEND = frozenset({5, 6})
MAX_RANGE_DAYS = 120  # days in one closure (a summer is not a closure: the cycles know it)
COUNTRY = "US"
# Legal holidays of a state on which its public schools are in session.
SCHOOLS_OPEN_ON: dict[str, frozenset[str]] = {
    "NY": frozenset({"Lincoln's Birthday", "Election Day", "Susan B. Anthony Day", "Flag Day"}),
}
MOVE_RULES = ("previous", "next", "keep")
MoveRule = Literal["previous", "next", "keep"]


def us_states() -> tuple[str, ...]:
    """Every subdivision code the package knows for the US (states, DC, territories)."""
    return tuple(sorted(holidays_lib.country_holidays(COUNTRY).subdivisions))


def check_state(code: str) -> str:
    """``ny`` -> ``NY``; ValueError listing the form when it is not a US state code."""
    c = str(code or "").strip().upper()
    if c not in us_states():
        raise ValueError(f"'{code}' is not a US state code: write two letters, like NY, MA or MS")
    return c


@lru_cache(maxsize=512)
def _public_year(state: str, year: int) -> tuple[tuple[date, str], ...]:
    open_on = SCHOOLS_OPEN_ON.get(state, frozenset())
    cal = holidays_lib.country_holidays(COUNTRY, subdiv=state, years=year)
    out = []
    for day, names in sorted(cal.items()):
        kept = [n for n in names.split("; ") if n.replace(" (observed)", "") not in open_on]
        if kept:
            out.append((day, "; ".join(kept)))
    return tuple(out)


def public_holidays(state: str, first: date, last: date) -> dict[date, str]:
    """The state's public holidays on which schools close, ``first``..``last`` inclusive."""
    out: dict[date, str] = {}
    for y in range(first.year, last.year + 1):
        out.update((d, n) for d, n in _public_year(state, y) if first <= d <= last)
    return out


@dataclass(frozen=True)
class Closure:
    """Days ``first``..``last`` (local dates, inclusive) closed for ``name``; ``source`` says who
    said so: ``district`` (typed in Slack), ``school`` (``/scep remind holiday:``), or
    ``import <file or URL>`` (a district's iCalendar file)."""

    first: date
    last: date
    name: str = ""
    source: str = "district"

    @property
    def dates_text(self) -> str:
        return self.first.isoformat() + ("" if self.last == self.first else f"..{self.last.isoformat()}")

    def days(self) -> Iterable[date]:
        d = self.first
        while d <= self.last:
            yield d
            d += timedelta(days=1)


_RANGE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?$")
RANGE_FORM = "write a date like 2026-11-25, or a range like 2026-12-24..2027-01-01"


def parse_range(text: str) -> tuple[date, date]:
    """``2026-12-24`` or ``2026-12-24..2027-01-01`` -> (first, last); ValueError saying the form."""
    m = _RANGE_RE.match(str(text).strip())
    if not m:
        raise ValueError(f"'{text}' is not a date or a range: {RANGE_FORM}")
    try:
        first = date.fromisoformat(m.group(1))
        last = date.fromisoformat(m.group(2)) if m.group(2) else first
    except ValueError:
        raise ValueError(f"'{text}' is not a real date: {RANGE_FORM}") from None
    if last < first:
        raise ValueError(f"'{text}' ends before it starts: {RANGE_FORM}")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ValueError(f"'{text}' is {(last - first).days + 1} days long: a closure is at most {MAX_RANGE_DAYS} days")
    return first, last


def closure_from_entry(entry: object, default_source: str) -> Closure | None:
    """A stored entry (``"2026-12-24..2027-01-01"`` or ``{"dates", "name", "source"}``) as a
    Closure; None for an entry that cannot be read (typed entries are checked when typed)."""
    if isinstance(entry, dict):
        text, name, source = entry.get("dates", ""), str(entry.get("name") or ""), str(entry.get("source") or default_source)
    else:
        text, name, source = entry, "", default_source
    try:
        first, last = parse_range(str(text))
    except ValueError:
        return None
    return Closure(first, last, name, source)


@dataclass(frozen=True)
class Calendar:
    """A school's closed days: weekends, the public holidays of ``state`` (None: none), closures."""

    state: str | None = None
    closures: tuple[Closure, ...] = ()

    def why_closed(self, day: date) -> str | None:
        """``weekend``, the holiday's name, or the closure's; None on a school day."""
        if day.weekday() in WEEKEND:
            return "weekend"
        if self.state:
            name = dict(_public_year(self.state, day.year)).get(day)
            if name:
                return name
        for c in self.closures:
            if c.first <= day <= c.last:
                return c.name or ("school holiday" if c.source == "school" else "district closure")
        return None

    def is_open(self, day: date) -> bool:
        return self.why_closed(day) is None

    def roll(self, day: date, step: int) -> date:
        """``day`` if it is a school day, else the nearest one in direction ``step`` (+1/-1)."""
        for _ in range(400):
            if self.is_open(day):
                return day
            day += timedelta(days=step)
        raise ValueError("no school day within 400 days")  # closures are at most 120 days

    def move(self, day: date, rule: MoveRule) -> tuple[date, str | None]:
        """Where a deadline on ``day`` goes by ``rule``, and why it moved (None: it stays)."""
        why = self.why_closed(day)
        if why is None or rule == "keep":
            return day, None
        return self.roll(day, -1 if rule == "previous" else +1), why

    def closed_days(self, first: date, last: date) -> list[tuple[date, str, str]]:
        """Every closed weekday ``first``..``last``: (day, why, source), in date order."""
        public = public_holidays(self.state, first, last) if self.state else {}
        out: dict[date, tuple[str, str]] = {d: (n, f"public holiday ({self.state})") for d, n in public.items()}
        for c in self.closures:
            for d in c.days():
                if first <= d <= last and d.weekday() not in WEEKEND and d not in out:
                    out[d] = (c.name or "closed", c.source)
        return [(d, *out[d]) for d in sorted(out) if d.weekday() not in WEEKEND]
