"""``/scep history [step] [all]``: the audit log of a school, for its liaison, district and admins."""

from __future__ import annotations

from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result
from bot.core.steps import resolve
from bot.errors import UserError
from bot.history.views import history_reply
from bot.store.schema import AUDIT_KIND


@subcommand(
    "history",
    usage="/scep history [step] [all]",
    summary="who changed what and when for this school (liaison, district and admins)",
    examples=["/scep history", "/scep history visit 2"],
)
def cmd_history(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    R.require(ctx, state.school, "history")
    show_all = bool(args) and args[-1].lower() == "all"
    words = args[:-1] if show_all else args
    entries = sorted(ctx.store.view(state.school.school_id).all(AUDIT_KIND).items())
    title = f"History of {bk.esc(state.school.name)}"
    if words:
        ref = resolve(state, ctx.library, ctx.now, " ".join(words))
        entries = [(k, e) for k, e in entries if e.get("step") == ref.key]
        title += f" · {bk.esc(ref.dated.step.label)}"
    if not entries:
        if words:
            raise UserError("Nothing has been recorded for that step yet. `/scep history` shows the whole school.")
        return Result(text=f"{title}: nothing recorded yet.")
    return history_reply(title, [e for _, e in entries], state.school.tz, show_all=show_all)
