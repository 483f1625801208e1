"""``/scep schedule <step> <when>``: set, change or cancel the date of a visit, session or
meeting, the date typed in plain English (``bot.calendar.nlp_dates``: relative to the school's
local now, future dates preferred, the interpretation echoed back). Without a date: a "Pick a
date" button (``bot.scheduling.schedule_form``)."""

from __future__ import annotations

from bot.calendar import dates, nlp_dates
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core import progress
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.metadata import StepButton
from bot.core.result import Result
from bot.core.schools import SchoolState
from bot.core.steps import StepRef, schedulable, school_steps, split_ref
from bot.errors import UserError
from bot.scheduling.schedule import do_schedule, no_schedule_reason, window_text
from bot.scheduling.schedule_form import PICK_ACTION

CANCEL_WORDS = ("cancel", "cancelled", "canceled", "none", "clear", "unschedule", "remove", "delete")


def _schedule_picker(ctx: Ctx, state: SchoolState, ref: StepRef) -> Result:
    """Where the step stands, how to type a date (an example on a coming school day), and "Pick a date"."""
    dated = ref.dated
    tz = state.school.tz
    doc = state.step_state(ref.year, ref.key)
    now_line = f"scheduled for {dates.fmt_local(dates.parse_instant(doc['scheduled_at']), tz)}" if doc.get("scheduled_at") else "not scheduled yet"
    ex = dates.add_days(dates.local_today(ctx.now, tz), 1)
    if dated.opens_at and dates.local_today(dated.opens_at, tz) > ex:
        ex = dates.local_today(dated.opens_at, tz)
    while ex.weekday() >= 5:  # an example on a school day
        ex = dates.add_days(ex, 1)
    text = (f"*{bk.esc(dated.step.title)}* ({dated.year}): window {window_text(dated, tz)}; {now_line}.\n"
            f"Type a date: `/scep schedule {bk.esc(dated.step.label.lower())} {ex:%b} {ex.day} 10am` (or `next Tuesday at 2pm`, `tomorrow 3pm`), "
            f"`/scep schedule {bk.esc(dated.step.label.lower())} cancel`, or pick one:")
    button = bk.button("Pick a date", PICK_ACTION, StepButton(state.school.school_id, ref.state_key).encode(), style="primary")
    return Result(text=text, blocks=[bk.section(text), bk.actions(button)])


@subcommand(
    "schedule",
    usage="/scep schedule <step> <when> | /scep schedule <step> cancel",
    summary="set (or change, or cancel) the date of a visit, session or meeting",
    examples=["/scep schedule visit 2 Dec 14 10am", "/scep schedule session 1 next Tuesday at 2pm", "/scep schedule v2 cancel"],
    writes=True,
)
def cmd_schedule(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    tz = state.school.tz
    steps = school_steps(state, ctx.library, ctx.now)
    if not args:
        items = [i for i in progress.next_items(state, ctx.library, ctx.now, 20) if schedulable(i.dated) and not i.scheduled_at]
        if not items:
            raise UserError("Name the step and the date: `/scep schedule visit 2 Dec 14 10am`")
        return _schedule_picker(ctx, state, StepRef(items[0].dated))

    def rest(tail: str):
        t = tail.strip()
        if not t:
            return None
        if t.lower() in CANCEL_WORDS:
            return "cancel"
        return nlp_dates.parse(t, ctx.now, tz, need_time=True, prefer="future")

    ref, when = split_ref(steps, args, rest)
    if when is None:
        R.require(ctx, state.school, "act")
        if not schedulable(ref.dated):
            raise UserError(no_schedule_reason(ref.dated, tz))
        return _schedule_picker(ctx, state, ref)
    result = do_schedule(ctx, state, ref, None if when == "cancel" else when)
    return Result(text=result.text, blocks=[bk.section(result.text)], public=result.changed, changed=result.steps)
