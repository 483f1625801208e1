"""Opening a step's checklist in a modal: from App Home, a nudge's "Open checklist", or "Open the
current checklist" on a post of an ended year. Ticks in the modal work as in the channel."""

from __future__ import annotations

from bot.checklists.model import SCHOOL_GONE, for_ref
from bot.checklists.view import modal_view
from bot.core import permissions as R
from bot.core.context import Ctx
from bot.core.metadata import CurrentChecklistButton, StepButton
from bot.core.result import Result, failed
from bot.core.steps import is_current, ref_for_key, resolve, tracked_school
from bot.errors import UserError


def open_modal(ctx: Ctx, school_id: str, key: str, origin_channel: str = "") -> Result:
    """Show a step's checklist (``key``: ``<year>:<cycle>/<step>``) in a modal; an ended year's
    shows this year's checklist of the same step instead, saying so."""
    try:
        state = tracked_school(ctx, school_id, SCHOOL_GONE)
        R.require(ctx, state.school, "read")
        ref = ref_for_key(state, ctx.library, key)
    except UserError as exc:
        return failed(str(exc))
    banner = None
    if not is_current(state, ctx.library, ctx.now, ref):
        # an old nudge: show this year's checklist of the same step instead
        try:
            ref = resolve(state, ctx.library, ctx.now, f"{ref.dated.cycle.id}/{ref.dated.step.id}")
            banner = f"_That button was for an earlier year; this is the checklist for {ref.year}._"
        except UserError as exc:
            return failed(str(exc))
    cl = for_ref(state, ref)
    return Result(open_view=modal_view(state, cl, state.step_state(ref.year, ref.key), ctx.now, origin_channel, banner))


def open_current(ctx: Ctx, value: str) -> Result:
    """"Open the current checklist" (value ``CurrentChecklistButton``): this year's checklist of
    the step, remembering the channel only when clicked in the school's own."""
    button = CurrentChecklistButton.decode(value)
    if button is None:
        return failed("I can't read that button: type `/scep checklist &lt;step&gt;` instead.")
    state = tracked_school(ctx, button.school_id, SCHOOL_GONE)
    ref = resolve(state, ctx.library, ctx.now, button.step)
    origin = ctx.channel_id if ctx.channel_id == state.school.channel_id else ""
    return open_modal(ctx, button.school_id, ref.state_key, origin)


def open_from_home(ctx: Ctx, value: str) -> Result:
    """App Home's "Open checklist" (value ``StepButton``): the checklist, opened from no channel."""
    button = StepButton.decode(value)
    if button is None:
        return failed("I can't read that button: type `/scep checklist &lt;step&gt;` in the school's channel instead.")
    return open_modal(ctx, button.school_id, button.key, "")
