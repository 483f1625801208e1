"""``/scep submit <step> [draft|final]``: send a plan for review."""

from __future__ import annotations

from bot.core import blocks as bk
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result
from bot.core.steps import school_steps, split_ref
from bot.errors import UserError
from bot.review.submit import submit_reply

LABELS = ("draft", "final", "due", "plan")


def _submit_rest(tail: str) -> str | None:
    t = tail.strip().lower()
    if not t:
        return None
    if t in LABELS:
        return t
    raise UserError(f"'{bk.esc(bk.clip(tail.strip(), 80))}': after the step, say `draft` or `final`, or nothing.")


@subcommand(
    "submit",
    usage="/scep submit <step> [draft|final]",
    summary="send a plan for review: its reviewers get Approve / Request changes",
    examples=["/scep submit priority levers draft", "/scep submit visit 5", "/scep submit revisions"],
    writes=True,
)
def cmd_submit(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    ref, label = split_ref(school_steps(state, ctx.library, ctx.now), args, _submit_rest)
    return submit_reply(ctx, state, ref, label)
