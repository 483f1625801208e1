"""``/scep checklist [step]``: post a step's checklist in the school's channel, for everyone there
to tick (the post is kept in sync after each change)."""

from __future__ import annotations

from bot.checklists import messages
from bot.core import permissions as R
from bot.core import progress
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result
from bot.core.steps import StepRef, resolve
from bot.errors import UserError


@subcommand(
    "checklist",
    usage="/scep checklist [step]",
    summary="post the step's checklist in the channel (default: the next step); anyone here can tick",
    examples=["/scep checklist", "/scep checklist visit 2", "/scep checklist session 1"],
)
def cmd_checklist(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    R.require(ctx, state.school, "act")  # it posts in the channel, for everyone to tick
    if args:
        ref = resolve(state, ctx.library, ctx.now, " ".join(args))
    else:
        items = progress.next_items(state, ctx.library, ctx.now, 1)
        if not items:
            raise UserError("Nothing is open or coming for this school: name a step, like `/scep checklist visit 1`.")
        ref = StepRef(items[0].dated)
    return messages.post(ctx, state, ref)
