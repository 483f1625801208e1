"""``/scep setup``: link this channel to a school or change its setup (no arguments: the form)."""

from __future__ import annotations

from bot.core.command import option_args, subcommand
from bot.core.context import Ctx
from bot.core.permissions import is_workspace_admin, require, require_member
from bot.core.result import Result
from bot.core.school_calendar import read_school
from bot.errors import UserError
from bot.setup.apply import apply_setup
from bot.setup.form import setup_view

SETUP_KEYS = ("model", "cycles", "year", "tz", "state")


@subcommand(
    "setup",
    usage="/scep setup <school name> [model:CSI|ATSI|TSI|SEZP|SIG|Priority|Focus] [cycles:defaults,<id>] [year:<2026-27>] [tz:<IANA zone>] [state:<NY|MA|MS|…>]",
    summary="link this channel to a school (no arguments: a form)",
    examples=["/scep setup Lincoln Elementary model:TSI", "/scep setup PS 12 model:CSI tz:America/New_York year:2026-27", "/scep setup Brightwood model:SEZP state:MA", "/scep setup PS 12 cycles:defaults,district-plan-review"],
    writes=True,
)
def cmd_setup(ctx: Ctx, args: list[str]) -> Result:
    if not args:
        if not ctx.trigger_id:
            raise UserError("Type the school's name: `/scep setup Lincoln Elementary model:TSI`")
        sid = ctx.school_id
        state = read_school(ctx.store, sid) if sid else None
        if state is None:
            require_member(ctx, "link a channel to a school")
        elif not is_workspace_admin(ctx):
            require(ctx, state.school, "setup")
        cycles = [ctx.library.cycles[i] for i in ctx.library.ids()]
        return Result(text="Opening the setup form…", open_view=setup_view(ctx.channel_id, cycles, state.school if state else None))
    words, opts = option_args(args, SETUP_KEYS)
    fields = dict(opts)
    if words:
        fields["name"] = " ".join(words)
    return apply_setup(ctx, fields)
