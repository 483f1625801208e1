"""The school's calendar as iCalendar (.ics): windows (all-day), deadlines and scheduled visits,
with UIDs that depend only on school, year, step and what the event is, so a re-import updates
events instead of adding more."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.dates import SchoolYear
from bot.core import progress
from bot.core.schools import SchoolState
from bot.errors import UserError
from bot.notes.held import visit_minutes

PRODID = "-//scep-bot//SCEP calendar//EN"


def uid(school_id: str, year: str, step_key_: str, what: str) -> str:
    """Stable: the same school, year, step and event always give the same UID."""
    return f"{school_id}.{year}.{step_key_.replace('/', '.')}.{what}@scep-bot"


def calendar_ics(state: SchoolState, library: CycleLibrary, now: datetime, year: SchoolYear | None = None) -> bytes:
    """Windows (all-day events), deadlines (timed, or all-day when the document gives no time)
    and scheduled visits of each cycle's current year (or ``year``)."""
    from icalendar import Calendar, Event

    school = state.school
    tz = school.tz
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"SCEP: {school.name}")
    cal.add("x-wr-timezone", tz)
    stamp = now.astimezone(dates.UTC).replace(microsecond=0)
    sequence = int(now.timestamp()) // 60  # grows with time: a re-import replaces older copies
    count = 0

    def event(uid_: str, summary_: str, description: str) -> Event:
        ev = Event()
        ev.add("uid", uid_)
        ev.add("dtstamp", stamp)
        ev.add("sequence", sequence)
        ev.add("summary", summary_)
        if description:
            ev.add("description", description)
        return ev

    for cycle, y, _items in progress.timeline(state, library, now, year):
        for d in progress._dated_steps(cycle, y, state):
            step = d.step
            st = state.step_state(y, d.key)
            desc = " ".join(p for p in (step.purpose, f"{cycle.title} {y}.") if p)
            if d.opens_at and d.closes_at:
                ev = event(uid(school.school_id, y.name, d.key, "window"), f"{step.title}: window" + (" (estimated)" if d.estimated else ""), desc)
                ev.add("dtstart", dates.local_today(d.opens_at, tz))
                ev.add("dtend", dates.local_today(d.closes_at, tz) + timedelta(days=1))
                ev.add("transp", "TRANSPARENT")
                cal.add_component(ev)
                count += 1
            for dl in d.deadlines:
                label = {"due": "due", "draft": "DRAFT due", "final": "FINAL due"}[dl.label]
                ev = event(uid(school.school_id, y.name, d.key, dl.label), f"{step.title}: {label}", desc)
                if dl.timed:
                    ev.add("dtstart", dl.at.replace(microsecond=0))
                    ev.add("dtend", dl.at.replace(microsecond=0))
                else:
                    local_day = dates.local_today(dl.at, tz)
                    ev.add("dtstart", local_day)
                    ev.add("dtend", local_day + timedelta(days=1))
                cal.add_component(ev)
                count += 1
            if st.get("scheduled_at"):
                start = dates.parse_instant(st["scheduled_at"]).replace(microsecond=0)
                ev = event(uid(school.school_id, y.name, d.key, "scheduled"), f"{step.title} ({school.name})", desc)
                ev.add("dtstart", start)
                ev.add("dtend", start + timedelta(minutes=visit_minutes(d)))
                cal.add_component(ev)
                count += 1
    if count == 0:
        raise UserError("This school's cycles have no dated steps to put in a calendar.")
    return cal.to_ical()
