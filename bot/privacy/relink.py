"""``/scep relink [name]``: a workspace admin lists the workspace's unlinked schools, or links one
back to the channel the command is typed in (a channel with no school)."""

from __future__ import annotations

from bot.core import blocks as bk
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result
from bot.errors import UserError
from bot.privacy.commands import admin_only
from bot.privacy.links import find_unlinked, listing, relink_school
from bot.setup.apply import require_linkable


@subcommand("relink", usage="/scep relink [school name]",
            summary="workspace admins: the unlinked schools (data kept), or link one back to this channel",
            examples=["/scep relink", "/scep relink Lincoln Elementary"], writes=True)
def cmd_relink(ctx: Ctx, args: list[str]) -> Result:
    admin_only(ctx, "link an unlinked school back")
    wanted = " ".join(args).strip()
    if not wanted:
        entries = ctx.store.unlinked(ctx.team_id)
        if not entries:
            return Result(text="This workspace has no unlinked school (`/scep privacy unlink school` in a school's channel unlinks it).")
        return Result(text=f"Unlinked schools, their data kept: {listing(entries)}. Link one back with `/scep relink <name>` in a channel "
                           f"with no school; to export or delete one, link it back (a private channel of your own will do) and use "
                           f"`/scep privacy export school` or `/scep privacy delete school` there.")
    entry = find_unlinked(ctx.store, ctx.team_id, wanted)
    require_linkable(ctx.channel_id)
    here = ctx.school_id
    if here:
        name = (ctx.store.index_entry(here) or {}).get("name") or "another school"
        raise UserError(f"This channel is linked to *{bk.esc(name)}*. Run `/scep relink {bk.esc(entry['name'])}` in a channel with no school.")
    school = relink_school(ctx.store, entry["school_id"], ctx.team_id, ctx.channel_id, ctx.user_id, ctx.now)
    return Result(text=f":link: <@{ctx.user_id}> linked *{bk.esc(school.name)}* back to this channel, with its setup, steps, checklists and "
                       f"notes. `/scep next` shows what comes next.", public=True)
