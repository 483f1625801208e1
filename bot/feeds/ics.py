"""A live calendar feed (RFC 5545 text) of one or more schools, written directly for speed.

Events, per school and per cycle, for the current school year of each cycle and the next one:

- a window (visits, sessions, meetings): an all-day span, local dates, ``TRANSP:TRANSPARENT``;
- a deadline: at its local time with the school's ``TZID`` (all-day when the document gives no
  time), DRAFT and FINAL as two events;
- a scheduled visit or meeting: a timed event in the school's zone, with what to bring and the
  agenda (the checklist's "before" items) and a link back to the Slack channel; a cancelled date
  is sent as ``STATUS:CANCELLED`` so that calendars remove it.

UIDs depend only on school, year, step and what the event is. ``SEQUENCE`` grows with every
change: for a scheduled event the step's ``schedule_rev`` (bumped on every set and cancel); for a
window or deadline that moves with the school's reported dates (data ready, team meeting), the
minutes since 2020 of the latest report. One ``VTIMEZONE`` per zone used (icalendar's, cached).
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from functools import lru_cache

from bot.calendar import dates
from bot.calendar.dates import SchoolYear
from bot.calendar.instances import DatedStep
from bot.checklists.model import build as build_checklist
from bot.core import progress
from bot.core.school_calendar import school_calendar
from bot.core.schools import SchoolState
from bot.core.steps import schedulable
from bot.notes.held import visit_minutes

PRODID = "-//scep-bot//SCEP calendar feed//EN"
REFRESH = "PT1H"  # how often subscribed calendars should fetch again (Outlook, Apple; Google decides itself)
EPOCH = datetime(2020, 1, 1, tzinfo=dates.UTC)
ESSENTIALS = 8  # checklist lines in a scheduled event's description at most


def esc(text: str) -> str:
    """RFC 5545 TEXT escaping (backslash, semicolon, comma, newline)."""
    return str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Lines of at most 75 octets, continued with CRLF + space (never splitting a UTF-8 character)."""
    if len(line) <= 75 and line.isascii():
        return line + "\r\n"
    if line.isascii():  # one octet per character: cut by slicing
        return "\r\n ".join([line[:75]] + [line[i:i + 74] for i in range(75, len(line), 74)]) + "\r\n"
    out, chunk, size, limit = [], [], 0, 75
    for ch in line:
        n = len(ch.encode())
        if size + n > limit:
            out.append("".join(chunk))
            chunk, size, limit = [], 0, 74
        chunk.append(ch)
        size += n
    out.append("".join(chunk))
    return "\r\n ".join(out) + "\r\n"


@lru_cache(maxsize=64)
def vtimezone(tz: str) -> str:
    from icalendar import Timezone

    return Timezone.from_tzid(tz).to_ical().decode().replace("\r\n", "\n").replace("\n", "\r\n")


def slack_link(team_id: str, channel_id: str) -> str:
    return f"slack://channel?team={team_id}&id={channel_id}"


def uid(school_id: str, year: str, step_key: str, what: str) -> str:
    return f"{school_id}.{year}.{step_key.replace('/', '.')}.{what}@scep-bot"


def _day(d: date) -> str:
    return f"{d:%Y%m%d}"


def _local(instant: datetime, tz: str) -> str:
    return f"{dates.to_local(instant, tz):%Y%m%dT%H%M%S}"


def _utc(instant: datetime) -> str:
    return f"{instant.astimezone(dates.UTC):%Y%m%dT%H%M%SZ}"


def _anchor_sequence(state: SchoolState, dated: DatedStep) -> int:
    """Minutes since 2020 of the latest report of this step's anchors (0: none reported)."""
    if not dated.step.anchors:
        return 0
    latest = 0
    for name in (dated.step.anchors.opens, dated.step.anchors.closes):
        doc = state.anchors.get(f"{dated.year.name}:{name}") if name else None
        if doc and doc.get("at"):
            latest = max(latest, int((dates.parse_instant(doc["at"]) - EPOCH).total_seconds() // 60))
    return max(latest, 0)


_CACHE: dict[tuple, str] = {}
_CACHE_LOCK = threading.Lock()


def cached_events(state: SchoolState, revision: int | None, library, now: datetime, *, prefix: bool) -> str:
    """``school_events`` as text, kept per (school, store revision, school years shown, cycles, calendar):
    a school unchanged since the last fetch costs a dictionary look-up. ``revision`` None: no cache."""
    if revision is None:
        return "".join(school_events(state, library, now, prefix=prefix))
    years = tuple(progress.current_year(c, state, now).start for c in progress.school_cycles(state, library))
    # the calendar (holidays, the district's closures) is not in the school's revision: it keys too
    key = (state.school.school_id, revision, years, id(library), prefix, school_calendar(state.school))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is None:
        hit = "".join(school_events(state, library, now, prefix=prefix))
        with _CACHE_LOCK:
            if len(_CACHE) > 20_000:
                _CACHE.clear()
            _CACHE[key] = hit
    return hit


_STEP_TEXT: dict[int, tuple[DatedStep, str, tuple[tuple[str, str, str, str], ...]]] = {}


def _step_text(d: DatedStep) -> tuple[str, tuple[tuple[str, str, str, str], ...]]:
    """The escaped description without its Slack line, and (what, folded timing lines, title,
    folded extra lines) of each window or deadline event of ``d``: the same for every school that
    shares the dated step (see ``progress._dated_steps``), so they are formatted once per step,
    year, zone and calendar, not once per school."""
    hit = _STEP_TEXT.get(id(d))
    if hit is not None and hit[0] is d:
        return hit[1], hit[2]
    tz, step, out = d.tz, d.step, []
    about = esc("\n".join(p for p in (step.purpose, f"{d.cycle.title}, {d.year}. Owner: {step.owner}.") if p))
    transparent = "TRANSP:TRANSPARENT\r\n"
    if d.opens_at and d.closes_at:
        first_day, last_day = dates.local_today(d.opens_at, tz), dates.local_today(d.closes_at, tz)
        out.append(("window", f"DTSTART;VALUE=DATE:{_day(first_day)}\r\nDTEND;VALUE=DATE:{_day(last_day + timedelta(days=1))}\r\n",
                    f"{step.title}: window" + (" (estimated)" if d.estimated else ""), transparent))
    for dl in d.deadlines:
        label = {"due": "due", "draft": "DRAFT due", "final": "FINAL due"}[dl.label]
        if dl.timed:
            timing = fold(f"DTSTART;TZID={tz}:{_local(dl.at, tz)}") + fold(f"DTEND;TZID={tz}:{_local(dl.at, tz)}")
        else:
            day = dates.local_today(dl.at, tz)
            timing = f"DTSTART;VALUE=DATE:{_day(day)}\r\nDTEND;VALUE=DATE:{_day(day + timedelta(days=1))}\r\n"
        out.append((dl.label, timing, f"{step.title}: {label}", transparent))
    with _CACHE_LOCK:
        if len(_STEP_TEXT) > 50_000:
            _STEP_TEXT.clear()
        _STEP_TEXT[id(d)] = (d, about, tuple(out))
    return about, tuple(out)


def school_events(state: SchoolState, library, now: datetime, *, prefix: bool, year: SchoolYear | None = None,
                  sequence: int | None = None) -> list[str]:
    """The event lines of one school: each cycle's current year and the next, or only ``year``.
    ``sequence``: every event's SEQUENCE (a one-off file's, growing with time), else per event."""
    school = state.school
    tz = school.tz
    link = slack_link(school.team_id, school.channel_id)
    url = fold(f"URL;VALUE=URI:{link}")
    where = f" ({school.name})" if prefix else ""
    lines: list[str] = []
    stamp = f"DTSTAMP:{_utc(now)}\r\n"
    slack = esc(f"Slack: {link}")

    def event(uid_: str, seq: int, summary: str, timing: str, description: str, extra: str) -> None:
        lines.append(f"BEGIN:VEVENT\r\n{fold('UID:' + uid_)}{stamp}SEQUENCE:{seq if sequence is None else sequence}\r\n{timing}"
                     f"{fold('SUMMARY:' + esc(summary))}{description}{url}{extra}END:VEVENT\r\n")

    for cycle in progress.school_cycles(state, library):
        first = year or progress.current_year(cycle, state, now)
        for y in ((year,) if year else (first, first + 1)):
            year_name = y.name
            for d in progress._dated_steps(cycle, y, state):
                step = d.step
                about, texts = _step_text(d)
                described = fold(f"DESCRIPTION:{about}\\n{slack}")
                seq = _anchor_sequence(state, d)
                for what, timing, title, extra in texts:
                    event(uid(school.school_id, year_name, d.key, what), seq, title + where, timing, described, extra)
                st = state.step_state(y, d.key)
                at_text = st.get("scheduled_at") or st.get("cancelled_at")
                if at_text and schedulable(d):
                    about = "\n".join(p for p in (step.purpose, f"{cycle.title}, {y}. Owner: {step.owner}.", f"Slack: {link}") if p)
                    start = dates.parse_instant(at_text)
                    end = start + timedelta(minutes=visit_minutes(d))
                    cancelled = not st.get("scheduled_at")
                    event(uid(school.school_id, year_name, d.key, "scheduled"), int(st.get("schedule_rev") or 1),
                          f"{step.title}{where}", fold(f"DTSTART;TZID={tz}:{_local(start, tz)}") + fold(f"DTEND;TZID={tz}:{_local(end, tz)}"),
                          fold(f"DESCRIPTION:{esc(_essentials(state, d, about))}"), "STATUS:CANCELLED\r\n" if cancelled else "STATUS:CONFIRMED\r\n")
    return lines


def _essentials(state: SchoolState, dated: DatedStep, about: str) -> str:
    items = [i.text for i in build_checklist(dated, state.school).items if i.phase == "before"]
    if not items:
        return about
    shown = "\n".join(f"- {t}" for t in items[:ESSENTIALS])
    more = f"\n(and {len(items) - ESSENTIALS} more in the checklist)" if len(items) > ESSENTIALS else ""
    return f"{about}\n\nBefore the visit:\n{shown}{more}"


def feed(states: list[SchoolState], library, now: datetime, name: str, revisions: list[int] | None = None, *,
             year: SchoolYear | None = None, sequence: int | None = None) -> bytes:
    """The whole feed: ``VCALENDAR`` with the calendar's name, refresh hints, one ``VTIMEZONE``
    per zone used and every school's events (a school's name follows each title when several).
    ``revisions``: the schools' store revisions, to reuse events rendered before (DTSTAMP then
    says when they were rendered). ``year``/``sequence``: see ``school_events`` (a one-off file,
    never cached)."""
    head = ["BEGIN:VCALENDAR\r\n", "VERSION:2.0\r\n", fold(f"PRODID:{PRODID}"), "CALSCALE:GREGORIAN\r\n", "METHOD:PUBLISH\r\n",
            fold(f"X-WR-CALNAME:{esc(name)}"), fold(f"NAME:{esc(name)}"), f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}\r\n",
            f"X-PUBLISHED-TTL:{REFRESH}\r\n"]
    zones: set[str] = set()
    body: list[str] = []
    for n, state in enumerate(states):
        if year or sequence is not None:
            body.append("".join(school_events(state, library, now, prefix=len(states) > 1, year=year, sequence=sequence)))
        else:
            body.append(cached_events(state, revisions[n] if revisions else None, library, now, prefix=len(states) > 1))
        zones.add(state.school.tz)
    if len(zones) == 1:
        head.append(fold(f"X-WR-TIMEZONE:{next(iter(zones))}"))
    head.extend(vtimezone(z) for z in sorted(zones))
    return "".join(head + body + ["END:VCALENDAR\r\n"]).encode()
