"""The weekly digest: 08:00 on the week's first school day (Monday, unless Monday is a public
holiday or a closure of the liaison's first school: then the next school day) in each liaison's
time zone, a DM with all their schools.

For every school where the person is a liaison: what is overdue, what is due (or closes) in the
next two weeks, and which open windows have no visit scheduled. A workspace provider of the
outbox; its keys are ``digest|<team>|<user>|<Monday, local date>`` in the workspace ledger.
The liaison's zone is Slack's (``users.info`` ``tz``), else their first school's.

The district picture of the same schools (bot.pictures.district: schools × months, those
needing attention first) is uploaded after the DM. A liaison turns the digest or the picture
off with ``/scep digests off weekly|picture``; a school leaves its liaisons' digests with
``/scep digests school off weekly`` (bot.digests.prefs).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any, Callable

from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.core import blocks as bk
from bot.core import progress
from bot.core.outbox import Outgoing
from bot.core.school_calendar import school_calendar
from bot.core.schools import SchoolState
from bot.digests import prefs
from bot.nudges.rules import SCHEDULABLE
from bot.pictures import district

DIGEST_TIME = time(8, 0)
AHEAD = timedelta(days=14)
STALE = timedelta(hours=24)  # a digest more than a day late is not sent
PER_SCHOOL = 8


def _created(state: SchoolState) -> datetime | None:
    try:
        return dates.parse_instant(state.school.created_at) if state.school.created_at else None
    except dates.DateError:
        return None


def weekly_digests(schools: list[SchoolState], library: CycleLibrary, now: datetime, people: Callable[[str], dict[str, Any] | None]) -> list[Outgoing]:
    by_liaison: dict[tuple[str, str], list[SchoolState]] = defaultdict(list)
    for state in schools:
        if not prefs.school_sends(state.school, "weekly"):
            continue
        for uid in state.school.roles.get("liaison") or []:
            by_liaison[(state.school.team_id, uid)].append(state)
    out: list[Outgoing] = []
    for (team, uid), states in sorted(by_liaison.items()):
        if not prefs.wants(states, uid, "weekly"):
            continue
        person = people(uid) or {}
        if person.get("deleted"):
            continue
        tz = person.get("tz") if person.get("tz") and dates.is_zone(person.get("tz")) else states[0].school.tz
        today = dates.local_today(now, tz)
        monday = today - timedelta(days=today.weekday())
        calendar = school_calendar(states[0].school)
        for week in (monday, monday + timedelta(days=7)):
            due = dates.local_instant(calendar.roll(week, +1), DIGEST_TIME, tz)
            mine = [s for s in states if not _created(s) or _created(s) <= due]
            if not mine:
                continue
            mine.sort(key=lambda s: s.school.name.lower())
            out.append(Outgoing(
                key=f"digest|{team}|{uid}|{week.isoformat()}",
                school_id="",
                due_at=due,
                render=_renderer(mine, library, tz),
                dm_users=[uid],
                expires_at=due + STALE,
                kind="digest",
                meta={"series": f"digest|{team}|{uid}"},
                files=_picture(mine, library, week) if prefs.wants(states, uid, "picture") else None,
            ))
    return out


def _picture(states: list[SchoolState], library: CycleLibrary, week):
    """The district picture of ``states``, drawn when the digest is sent."""
    return lambda now: [(f"schools-{week.isoformat()}.png", district.render(states, library, now).png(), "Your schools by month")]


def _renderer(states: list[SchoolState], library: CycleLibrary, tz: str):
    return lambda now: digest_message(states, library, now, tz)


def school_lines(state: SchoolState, library: CycleLibrary, now: datetime) -> tuple[list[str], list[str], list[str]]:
    """(overdue, due in the next two weeks, open windows with no visit scheduled) for one school."""
    tz = state.school.tz
    overdue, soon, unscheduled = [], [], []
    for item in progress.next_items(state, library, now, limit=10_000):
        title = bk.esc(item.title)
        if item.status == "overdue":
            overdue.append(f":red_circle: *{title}*: {bk.when_phrase(item, now, tz)}")
            continue
        if item.status == "open" and not item.label and item.dated.step.kind in SCHEDULABLE and not item.scheduled_at:
            unscheduled.append(f":calendar: *{title}*: nothing scheduled yet, {bk.when_phrase(item, now, tz)}")
        elif item.at is not None and item.status in ("open", "upcoming") and item.at - now <= AHEAD and (item.label or item.status == "open"):
            soon.append(f":spiral_calendar_pad: *{title}*: {bk.when_phrase(item, now, tz)}")
    return overdue, soon, unscheduled


def digest_message(states: list[SchoolState], library: CycleLibrary, now: datetime, tz: str) -> tuple[str, list[dict[str, Any]]]:
    head = f"Your week · {dates.fmt_local(now, tz, with_time=False)} · {dates.plural(len(states), 'school')}"
    blocks: list[dict[str, Any]] = [bk.header(head)]
    quiet: list[str] = []
    lines = [head]
    for state in states:
        overdue, soon, unscheduled = school_lines(state, library, now)
        name = bk.esc(state.school.name)
        if not (overdue or soon or unscheduled):
            quiet.append(name)
            continue
        rows = overdue + soon + unscheduled
        shown = rows[:PER_SCHOOL]
        more = f"\n…and {len(rows) - PER_SCHOOL} more: `/scep next 10` in <#{state.school.channel_id}>" if len(rows) > PER_SCHOOL else ""
        problem = state.school.extra.get("delivery_problem")
        warn = f"\n:warning: {bk.esc(problem)}" if problem else ""
        blocks.append(bk.section(f"*{name}* · <#{state.school.channel_id}>{warn}\n" + "\n".join(shown) + more))
        lines.append(f"{name}: {len(overdue)} overdue, {len(soon)} due within two weeks, {len(unscheduled)} open windows without a visit")
    if quiet:
        blocks.append(bk.context("Nothing overdue or due within two weeks: " + ", ".join(quiet)))
        lines.append("Nothing due: " + ", ".join(quiet))
    blocks.append(bk.context("`/scep digests off weekly` stops this digest, `/scep digests off picture` the picture with it."))
    return "\n".join(lines)[:3000], bk.fit(blocks, "…more schools not shown: `/scep schools` lists them all")
