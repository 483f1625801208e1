"""The monthly digest, in the shape of the monthly work updates of a state's support to its
low-performing schools (seeds/003): what happened last month, for whom, and what comes next.

On the first school day of each month (by the school's calendar of record: no weekend, public
holiday or closure), at 09:00 in the school's zone, its channel gets "In November: Visit 1 held on Nov 3 (6 notes on 3
commitments); Priority Levers Form DRAFT submitted on Nov 5. Coming in December: ...", and each
liaison a roll-up of their schools by DM (sent with the first of their schools, by id). Built
from what the bot knows (visits held, deliverables done, notes captured) at send time. Every
month, as the seed's log is: a quiet month is one line with what is coming next ("Quiet in
August: nothing was recorded. Next: Visit 1 window opens Oct 1."). Not sent for a month that
ended before the school was set up, nor when the school (``/scep digests school off monthly``)
or the liaison (``/scep digests off monthly``) turned it off (bot.digests.prefs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.calendar import dates
from bot.calendar.closures import Calendar
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.dates import SchoolYear
from bot.core import blocks as bk
from bot.core import progress
from bot.core.outbox import Outgoing
from bot.core.school_calendar import school_calendar
from bot.digests import prefs
from bot.core.schools import School, SchoolState, iso
from bot.notes.held import held_at, held_day
from bot.notes.prompts import PROMPT_KINDS

DIGEST_AT = time(9, 0)
DIGEST_EXPIRES = timedelta(days=7)


def first_school_day(year: int, month: int, calendar: Calendar | None = None) -> date:
    """The first school day of the month by the school's calendar of record (weekdays only
    when ``calendar`` is None): not a weekend, public holiday or closure."""
    return (calendar or Calendar()).roll(date(year, month, 1), +1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(day: date) -> date:
    return (month_start(day) - timedelta(days=1)).replace(day=1)


def next_month(day: date) -> date:
    return (month_start(day) + timedelta(days=32)).replace(day=1)


def _md(d: date | datetime, tz: str) -> str:
    local = dates.to_local(d, tz).date() if isinstance(d, datetime) else d
    return f"{local:%b} {local.day}"


@dataclass
class MonthReport:
    school: School
    month: date  # the month reported on (first day)
    done: list[str] = field(default_factory=list)
    coming: list[str] = field(default_factory=list)
    later: str | None = None  # the first thing after next month, when nothing comes in it
    counts: dict[str, int] = field(default_factory=dict)  # held, submitted, done, missed, passed

    @property
    def empty(self) -> bool:
        """Nothing was recorded in the month: a quiet month, told in one line."""
        return not self.done

    def future(self) -> str:
        """"Coming in December: ...; ...." or, with nothing next month, the first thing after it."""
        nxt = next_month(self.month)
        if self.coming:
            return f"Coming in {nxt:%B}: " + "; ".join(self.coming) + "."
        if self.later:
            return f"Nothing on the calendar in {nxt:%B}; next: {self.later}."
        return f"Nothing on the calendar in {nxt:%B} or after it."

    def sentence(self) -> str:
        """"In November: ...; .... Coming in December: ...; ...." (user text escaped); a quiet
        month: "Quiet in August: nothing was recorded. Coming in September: ..."."""
        if self.empty:
            return f"Quiet in {self.month:%B}: nothing was recorded. {self.future()}"
        return f"In {self.month:%B}: " + "; ".join(self.done) + ". " + self.future()


def _years_around(day: date) -> list[SchoolYear]:
    y = SchoolYear.containing(day)
    return [y + (-1), y, y + 1]


MEMO_MAX = 8  # month reports kept on one school's state (one a local day, at most two months)


def month_report(state: SchoolState, library: CycleLibrary, now: datetime, month: date) -> MonthReport:
    """What happened in ``month`` (its first day) and what comes in the month after it.

    Memoised on the school's state (a snapshot, kept by the sweep until the school changes) per
    month, local day and cycle library: the sweep asks every minute during the digest's week,
    for the school's digest and its liaison's roll-up, and the answer only changes with those."""
    key = ("month_report", month, dates.local_today(now, state.school.tz), id(library))
    hit = state.memo.get(key)
    if hit is not None:
        return hit
    rep = _month_report(state, library, now, month)
    if len(state.memo) >= MEMO_MAX:
        state.memo.clear()
    state.memo[key] = rep
    return rep


def _month_report(state: SchoolState, library: CycleLibrary, now: datetime, month: date) -> MonthReport:
    school = state.school
    tz = school.tz
    rep = MonthReport(school, month_start(month))
    lo = dates.local_instant(rep.month, dates.MIDNIGHT, tz)
    mid = dates.local_instant(next_month(rep.month), dates.MIDNIGHT, tz)
    hi = dates.local_instant(next_month(next_month(rep.month)), dates.MIDNIGHT, tz)
    # nothing is reported from before the school was set up: the bot did not follow it then
    since = dates.parse_instant(school.created_at) if school.created_at else lo
    seen: set[tuple[str, str, str | None]] = set()
    done_lines: list[tuple[datetime, str]] = []
    coming_lines: list[tuple[datetime, str]] = []
    later_lines: list[tuple[datetime, str]] = []
    counts = rep.counts
    for cycle in progress.school_cycles(state, library):
        for y in _years_around(rep.month):
            for item in progress.cycle_items(cycle, y, state, now):
                d = item.dated
                step = d.step
                key = (y.name, d.key, item.label)
                if key in seen:
                    continue
                seen.add(key)
                st = item.state
                name = bk.esc(step.short or step.title)
                done = st.get("done") or {}
                # -- what happened in the month
                if step.kind in PROMPT_KINDS and item.label is None:
                    held = held_at(d, st)
                    day = held_day(st, now)
                    if held and day and held <= now and lo <= day < mid:
                        done_lines.append((day, f"{name} held on {_md(day, tz)} ({_notes_phrase(st)})"))
                        counts["held"] = counts.get("held", 0) + 1
                        continue
                elif item.label and item.label in done:
                    at = dates.parse_instant(done[item.label]["at"])
                    if lo <= at < mid:
                        verb = {"draft": "DRAFT submitted", "final": "FINAL submitted"}.get(item.label, "done")
                        done_lines.append((at, f"{name} {verb} on {_md(at, tz)}"))
                        counts["submitted"] = counts.get("submitted", 0) + 1
                        continue
                elif item.label is None and done:
                    at = min(dates.parse_instant(v["at"]) for v in done.values())
                    if lo <= at < mid:
                        done_lines.append((at, f"{name} done on {_md(at, tz)}"))
                        counts["done"] = counts.get("done", 0) + 1
                        continue
                if item.status == "overdue" and item.at and max(lo, since) <= item.at < mid:
                    what = f"{name} {item.label.upper()} was due {_md(item.at, tz)}" if item.label in ("draft", "final") else (
                        f"{name} was due {_md(item.at, tz)}" if item.label else f"{name} window closed {_md(item.at, tz)}")
                    done_lines.append((item.at, what + ", not marked done"))
                    counts["missed"] = counts.get("missed", 0) + 1
                    continue
                if item.status == "passed" and item.at and max(lo, since) <= item.at < mid:
                    done_lines.append((item.at, f"{name} ({_md(item.at, tz)})"))
                    counts["passed"] = counts.get("passed", 0) + 1
                    continue
                # -- what comes in the next month
                if item.status in ("done", "passed"):
                    continue
                line = _coming(item, d, name, tz, mid, hi)
                if line is not None:
                    (coming_lines if line[0] < hi else later_lines).append(line)
    rep.done = [t for _, t in sorted(done_lines, key=lambda x: x[0])]
    rep.coming = [t for _, t in sorted(coming_lines, key=lambda x: x[0])]
    rep.later = min(later_lines, key=lambda x: x[0])[1] if later_lines else None
    return rep


def _coming(item, d, name: str, tz: str, mid: datetime, hi: datetime) -> tuple[datetime, str] | None:
    """(when, line) of what ``item`` brings at or after ``mid`` (the next month's start): what
    falls in the next month (before ``hi``) first, else the earliest thing after it."""
    found: list[tuple[datetime, str]] = []
    sched = item.scheduled_at
    if sched and mid <= sched:
        found.append((sched, f"{name} scheduled for {dates.fmt_local(sched, tz)}"))
    if item.label and item.at and mid <= item.at:
        label = {"draft": " DRAFT", "final": " FINAL"}.get(item.label, "")
        found.append((item.at, f"{name}{label} due {_md(item.at, tz)}"))
    if item.label is None and d.opens_at and mid <= d.opens_at and item.status != "waiting":
        until = f" (through {_md(d.closes_at, tz)})" if d.closes_at else ""
        found.append((d.opens_at, f"{name} window opens {_md(d.opens_at, tz)}{until}"))
    elif item.label is None and d.closes_at and mid <= d.closes_at and item.status in ("open", "upcoming"):
        found.append((d.closes_at, f"{name} window closes {_md(d.closes_at, tz)}"))
    if not found:
        return None
    soon = [f for f in found if f[0] < hi]
    return soon[0] if soon else min(found, key=lambda f: f[0])


def _notes_phrase(st: dict[str, Any]) -> str:
    counts = st.get("notes") or {}
    n = counts.get("count", 0)
    if not n:
        return "no notes yet"
    tagged = len([k for k, v in (counts.get("by_commitment") or {}).items() if k != "general" and v])
    if tagged:
        return f"{dates.plural(n, 'note')} on {dates.plural(tagged, 'commitment')}"
    return dates.plural(n, "note")


def due_instant(school: School, month_first: date) -> datetime:
    """09:00 local on the first school day of the month."""
    day = first_school_day(month_first.year, month_first.month, school_calendar(school))
    return dates.local_instant(day, DIGEST_AT, school.tz)


def followed_in(school: School, month: date) -> bool:
    """Was the school set up before ``month`` (its first day) ended? (Nothing to report before.)"""
    if not school.created_at:
        return True
    try:
        created = dates.parse_instant(school.created_at)
    except dates.DateError:
        return True
    return created < dates.local_instant(next_month(month_start(month)), dates.MIDNIGHT, school.tz)


def _current_month(school: School, now: datetime) -> date:
    return month_start(dates.local_today(now, school.tz))


def render_school(rep: MonthReport) -> tuple[str, list[dict[str, Any]]]:
    head = f":calendar: *{bk.esc(rep.school.name)}: monthly update*"
    body = rep.sentence()
    if rep.empty:  # a quiet month: one line
        line = f"{head} · {body}"
        return line, [bk.section(line)]
    return f"{head}\n{body}", [bk.section(head), bk.section(body), bk.context("From what the bot knows: visits held, deliverables marked done, notes captured. `/scep timeline` for the whole year; `/scep digests school off monthly` stops these updates.")]


def _months(school: School, now: datetime) -> list[tuple[date, datetime]]:
    """(month, its digest's due instant) for this month and the next, unless already stale: the
    sweep holds a digest until it is due (and sleeps until then, knowing it)."""
    this_month = _current_month(school, now)
    out = []
    for month in (this_month, next_month(this_month)):
        due = due_instant(school, month)
        if now <= due + DIGEST_EXPIRES:
            out.append((month, due))
    return out


def due_digest(state: SchoolState, library: CycleLibrary, now: datetime) -> list[Outgoing]:
    """The month's digest for the school's channel, due at its first school day 09:00 (this
    month's and, ahead, next month's); the report is built when it is sent."""
    school = state.school
    if not school.channel_id or not prefs.school_sends(school, "monthly"):
        return []
    out = []
    for month, due in _months(school, now):
        reported = previous_month(month)
        if not followed_in(school, reported):
            continue
        out.append(Outgoing(
            key=f"{school.school_id}|monthly-digest|{month:%Y-%m}|{iso(due)}",
            school_id=school.school_id,
            due_at=due,
            render=lambda at, reported=reported: render_school(month_report(state, library, at, reported)),
            channel=school.channel_id,
            expires_at=due + DIGEST_EXPIRES,
            kind="monthly-digest",
            meta={"month": f"{reported:%Y-%m}"},
        ))
    return out


def due_rollups(schools: list[SchoolState], library: CycleLibrary, now: datetime, people=None) -> list[Outgoing]:
    """Each liaison's roll-up DM of their schools, due with the digest of their first school
    (by id); claimed in the workspace ledger like every workspace message."""
    by_liaison: dict[str, list[SchoolState]] = {}
    for state in sorted(schools, key=lambda s: s.school.school_id):
        if not prefs.school_sends(state.school, "monthly"):
            continue
        for uid in state.school.roles.get("liaison") or []:
            by_liaison.setdefault(uid, []).append(state)
    out = []
    for uid, states in sorted(by_liaison.items()):
        if not prefs.wants(states, uid, "monthly"):
            continue
        for month, due in _months(states[0].school, now):
            reported = previous_month(month)
            mine = [st for st in states if followed_in(st.school, reported)]
            if not mine:
                continue
            out.append(Outgoing(
                key=f"liaison-digest|{uid}|{month:%Y-%m}|{iso(due)}",
                school_id="",
                due_at=due,
                render=lambda at, mine=mine, reported=reported: render_rollup([month_report(st, library, at, reported) for st in mine], reported),
                dm_users=[uid],
                expires_at=due + DIGEST_EXPIRES,
                kind="liaison-digest",
                meta={"liaison": uid, "schools": [st.school.school_id for st in mine]},
            ))
    return out


def render_rollup(reports: list[MonthReport], month: date) -> tuple[str, list[dict[str, Any]]]:
    head = f":calendar: *Your schools in {month:%B %Y}*"
    rows = [f"• *{bk.esc(r.school.name)}*: {r.sentence()}" for r in sorted(reports, key=lambda r: r.school.name.lower())]
    blocks = [bk.section(head)] + [bk.section("\n".join(rows[i : i + 5])) for i in range(0, len(rows), 5)]
    blocks.append(bk.context("`/scep digests off monthly` stops this roll-up; `/scep export month` writes the month's update as a Word file."))
    return head + "\n" + "\n".join(rows), bk.fit(blocks)
