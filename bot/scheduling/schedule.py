"""Scheduling a visit, session or meeting: the checks, the write, the announcement.

Dates come in as ``When`` (``bot.calendar.nlp_dates``: a local day, and the UTC instant of its
time in the school's zone); windows are shown as local days of the school.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.calendar import dates, nlp_dates
from bot.calendar.instances import DatedStep
from bot.calendar.nlp_dates import When
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.context import Ctx
from bot.core.result import StepChanged
from bot.core.schools import SchoolState
from bot.core.steps import StepRef, is_current, ref_for_key, schedulable, set_schedule, tracked_school
from bot.errors import UserError


@dataclass
class Scheduled:
    text: str  # public announcement (mrkdwn, escaped)
    changed: bool
    steps: list[StepChanged] = field(default_factory=list)  # the step, when its date changed


def no_schedule_reason(dated: DatedStep, tz: str) -> str:
    """Why a step has no date to set (a deliverable, a milestone), and what to type instead."""
    step = dated.step
    if dated.deadlines:
        dl = "; ".join(f"{d.label.upper() if d.label != 'due' else 'due'} {dates.fmt_local(d.at, tz)}{d.moved_note()}" for d in dated.deadlines)
        first = next((d.label for d in dated.deadlines), "")
        lab = f" {first}" if first in ("draft", "final") else ""
        return (f"{step.title} is a {step.kind} with deadlines ({dl}), not a meeting: there is nothing to schedule. "
                f"When it's done: `/scep done {step.label.lower()}{lab}`.")
    if step.kind == "milestone":
        return f"{step.title} is a milestone of the calendar, not a meeting: there is nothing to schedule."
    if step.kind == "deliverable":
        return f"{step.title} is a deliverable, not a meeting: there is nothing to schedule. When it's done: `/scep done {step.label.lower()}`."
    return f"{step.title} has no dates to schedule against."


def window_text(dated: DatedStep, tz: str) -> str:
    """A step's window as local days of the school: "Dec 1 – Dec 22", "typically ...", "from ..."."""
    if dated.opens_at and dated.closes_at:
        rng = f"{dates.fmt_local(dated.opens_at, tz, with_time=False)} – {dates.fmt_local(dated.closes_at, tz, with_time=False)}"
        return ("typically " if dated.estimated else "") + rng
    if dated.opens_at:
        return "from " + dates.fmt_local(dated.opens_at, tz, with_time=False)
    if dated.closes_at:
        return "until " + dates.fmt_local(dated.closes_at, tz, with_time=False)
    return "no window"


def _instance_for(state: SchoolState, ctx: Ctx, ref: StepRef, instant: datetime) -> StepRef:
    """The current year's step, or next year's when the date falls in next year's window only."""
    d = ref.dated
    if d.opens_at and d.closes_at and d.opens_at <= instant <= d.closes_at:
        return ref
    try:
        nxt = ref_for_key(state, ctx.library, f"{(ref.year + 1).name}:{d.key}")
    except UserError:
        return ref
    n = nxt.dated
    if n.opens_at and n.closes_at and n.opens_at <= instant <= n.closes_at and is_current(state, ctx.library, ctx.now, nxt):
        return nxt
    return ref


def schedule_warnings(state: SchoolState, dated: DatedStep, when: When, doc: dict[str, Any]) -> list[str]:
    """Allowed, but worth saying: outside the window, before the data it needs, already done."""
    tz = state.school.tz
    out = []
    at = when.instant
    if dated.late_until(at):
        pass  # allowed by the cycle file for a reason: said in the reply (``late_line``), not a warning
    elif (dated.opens_at and at < dated.opens_at) or (dated.closes_at and at > dated.closes_at):
        where = "before" if dated.opens_at and at < dated.opens_at else "after"
        out.append(f"That is {where} {dated.step.label}'s window ({window_text(dated, tz)}).")
    if dated.waiting_for:
        titles = [bk.esc(dated.cycle.anchors[a].title) if a in dated.cycle.anchors else a for a in dated.waiting_for]
        out.append(f"{dated.step.label} waits for {' and '.join(titles)}: the window above is the typical one.")
    anchors = state.anchor_dates(dated.year)
    for name in dated.step.needs:
        ad = dated.cycle.anchors.get(name)
        title = bk.esc(ad.title) if ad else name
        day = anchors.get(name)
        if day is None:
            hint = f" (`{bk.esc(ad.hint)}`)" if ad and ad.hint else ""
            out.append(f"{dated.step.label} needs {title}, not reported yet{hint}.")
        elif when.day < day:
            out.append(f"{dated.step.label} needs {title}, reported for {dates.fmt_day(day)}: after this date.")
    if doc.get("done"):
        out.append(f"{dated.step.label} is already marked done (`/scep undo {dated.step.label.lower()}` to reopen it).")
    return out


def late_line(dated: DatedStep, tz: str) -> str:
    """The reply's line for a date after the window that the step allows (``Step.late_allowed``)."""
    closed = dates.fmt_local(dated.overdue_after, tz, with_time=False) if dated.overdue_after else "its window"
    return (f"\n:hourglass_flowing_sand: After its window (closed {closed}): recorded as {bk.esc(dated.step.late_allowed.strip())}, "
            f"as the guidance allows; no overdue notice while this date stands.")


def do_schedule(ctx: Ctx, state: SchoolState, ref: StepRef, when: When | None, *, dry: bool = False) -> Scheduled:
    """Schedule (``when``) or cancel (None) a step: checks, the write, the announcement.

    ``dry``: the checks only (a UserError says what is wrong), nothing written.
    """
    school = state.school
    R.require(ctx, school, "act")
    dated = ref.dated
    tz = school.tz
    if not schedulable(dated):
        raise UserError(no_schedule_reason(dated, tz))
    if when is None:
        doc = state.step_state(ref.year, ref.key)
        if not doc.get("scheduled_at"):
            raise UserError(f"{dated.step.title} has no date to cancel.")
        was = dates.fmt_local(dates.parse_instant(doc["scheduled_at"]), tz)
        if dry:
            return Scheduled("", False)
        with ctx.store.transaction(school.school_id) as tx:
            set_schedule(tx, ref, None, ctx.user_id, ctx.now)
        text = f":calendar: <@{ctx.user_id}> cancelled the date of *{bk.esc(dated.step.title)}* (was {was})."
        return Scheduled(text, True, [StepChanged(school.school_id, ref.state_key)])
    if when.instant is None:
        raise UserError(f"What time on {when.echo}? Add it, like `{when.day:%b} {when.day.day} 10am`.")
    if when.instant <= ctx.now:
        days = dates.days_between(ctx.now, when.instant, tz)
        ago = "earlier today" if days == 0 else dates.days_phrase(days)
        raise UserError(f"{nlp_dates.describe(when)} is in the past ({ago}): pick a time still to come, like `next Tuesday at 2pm` or `tomorrow 10am`.")
    ref = _instance_for(state, ctx, ref, when.instant)
    dated = ref.dated
    doc = state.step_state(ref.year, ref.key)
    before = doc.get("scheduled_at")
    warnings = schedule_warnings(state, dated, when, doc)
    if dry:
        return Scheduled("", False)
    with ctx.store.transaction(school.school_id) as tx:
        late = dated.step.late_allowed.strip() if dated.late_until(when.instant) else ""
        changed = set_schedule(tx, ref, when.instant, ctx.user_id, ctx.now, late=late)
    if not changed:
        return Scheduled(f"{bk.esc(dated.step.title)} is already scheduled for {when.echo}.", False)
    verb = "rescheduled" if before else "scheduled"
    text = f":calendar: <@{ctx.user_id}> {verb} *{bk.esc(dated.step.title)}* ({dated.year}) for *{nlp_dates.describe(when)}*"
    if before:
        text += f" (was {dates.fmt_local(dates.parse_instant(before), tz)})"
    text += "."
    if late:
        text += late_line(dated, tz)
    text += "".join(f"\n:warning: {w}" for w in warnings)
    return Scheduled(text, True, [StepChanged(school.school_id, ref.state_key)])


def acted_step(ctx: Ctx, school_id: str, key: str, gone: str) -> tuple[SchoolState, StepRef]:
    """The school and step a button or form names (read afresh), for who may act on the school's
    steps: UserError (StaleStep with ``gone`` for a school no longer tracked) otherwise."""
    state = tracked_school(ctx, school_id, gone)
    R.require(ctx, state.school, "act")
    return state, ref_for_key(state, ctx.library, key)
