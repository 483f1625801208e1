"""A checklist's "Mark done" button (value ``LabelButton``: school, step key, label), in a channel
post or a modal: the step (or its DRAFT/FINAL/due) is marked done through the one "mark done"
use case (``bot.core.steps.may_mark_done``), and the checklist is refreshed everywhere."""

from __future__ import annotations

from bot.checklists.messages import refresh, require_own_channel
from bot.checklists.model import SCHOOL_GONE, for_ref
from bot.checklists.view import modal_view
from bot.core import blocks as bk
from bot.core.context import Ctx
from bot.core.metadata import LabelButton
from bot.core.result import Post, Result, failed, refused
from bot.core.steps import (
    StaleStep,
    is_current,
    may_mark_done,
    ref_for_key,
    tracked_school,
)
from bot.errors import UserError


def mark_done_click(ctx: Ctx, value: str, *, message: tuple[str, str] | None = None, in_modal: bool = False,
                    origin_channel: str = "", confirmed: bool = False) -> Result:
    """The "Mark done" button of a checklist; ``message``: the post clicked (None in a modal).
    ``confirmed``: the "Mark done anyway" answer to EarlyDone (done before its data date)."""
    button = LabelButton.decode(value)
    if button is None:
        return failed("I can't read that button: type `/scep done &lt;step&gt;` instead.")
    school_id, label = button.school_id, button.label
    try:
        state = tracked_school(ctx, school_id, SCHOOL_GONE)
        marker = may_mark_done(ctx, state)
        require_own_channel(state, message)
        ref = ref_for_key(state, ctx.library, button.key)
        if not is_current(state, ctx.library, ctx.now, ref):
            raise StaleStep(f"That button is for {ref.year}, which has ended: `/scep done {ref.dated.step.label}` marks this year's.")
        already = marker.mark(ref, None if label == "held" else label, confirmed=confirmed).before.get(label)
    except UserError as exc:
        return refused(exc)
    state = tracked_school(ctx, school_id, SCHOOL_GONE)
    out = Result(updates=refresh(ctx, state, ref, also=message), refresh_home=[ctx.user_id] if in_modal else [])
    what = ref.dated.step.label + ("" if label in ("held", "due") else f" ({label.upper()})")
    if already:
        out.text = f"{bk.esc(what)} was already marked done by <@{already.get('by')}>."
    elif confirmed:  # the answer to EarlyDone: said where the question was asked, for everyone
        out.text = f":white_check_mark: <@{ctx.user_id}> marked {bk.esc(what)} done (confirmed: before its data date)."
        out.public = True
    elif message:
        out.posts.append(Post(channel=message[0], text=f":white_check_mark: <@{ctx.user_id}> marked {bk.esc(what)} done.", thread_ts=message[1]))
    if in_modal:
        out.update_view = modal_view(state, for_ref(state, ref), state.step_state(ref.year, ref.key), ctx.now, origin_channel)
    return out
