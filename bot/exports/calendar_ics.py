"""The school's calendar as a one-off iCalendar file (``/scep export calendar``), written by the
live feed's writer (``bot.feeds.ics``): the same events, UIDs, zones and descriptions as
``/scep calendar`` gives, so a file imported before a subscription is replaced, not doubled.

A file cannot be re-fetched, so every event's ``SEQUENCE`` is the minutes since 2020 at export:
importing a newer file updates the events instead of being ignored as an older copy."""

from __future__ import annotations

from datetime import datetime

from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.dates import SchoolYear
from bot.core.schools import SchoolState
from bot.errors import UserError
from bot.feeds import ics


def calendar_ics(state: SchoolState, library: CycleLibrary, now: datetime, year: SchoolYear | None = None) -> bytes:
    """Windows (all-day), deadlines (timed in the school's zone, or all-day when the document gives
    no time), scheduled and cancelled visits of each cycle's current year and the next (or only
    ``year``); UserError when there is nothing dated to put in it."""
    sequence = max(0, int((now - ics.EPOCH).total_seconds()) // 60)
    data = ics.feed([state], library, now, f"SCEP: {state.school.name}", year=year, sequence=sequence)
    if b"BEGIN:VEVENT" not in data:
        raise UserError("This school's cycles have no dated steps to put in a calendar.")
    return data
