"""``/scep next [N]`` and ``/scep timeline [year]``: what is coming for this channel's school, and its whole year."""

from __future__ import annotations

import re

from bot.calendar.dates import DateError, SchoolYear
from bot.core import blocks as bk
from bot.core import progress
from bot.core.command import small_int, subcommand
from bot.core.context import Ctx
from bot.core.result import Result, Upload
from bot.errors import UserError
from bot.pictures.year import year_png
from bot.timeline.views import next_reply, timeline_reply


@subcommand("next", usage="/scep next [N]", summary="the next N things for this channel's school (default 3)", examples=["/scep next", "/scep next 5"])
def cmd_next(ctx: Ctx, args: list[str]) -> Result:
    limit = 3
    if args:
        if len(args) > 1 or not 1 <= (small_int(args[0]) or 0) <= 20:
            raise UserError("`/scep next` takes a count from 1 to 20: `/scep next 5`")
        limit = small_int(args[0]) or 3
    state = ctx.state()
    return next_reply(state, progress.next_items(state, ctx.library, ctx.now, limit), ctx.now)


@subcommand("timeline", usage="/scep timeline [picture] [year]", summary="the school's whole year, step by step, with status (`picture`: as a PNG)",
            examples=["/scep timeline", "/scep timeline 2021-22", "/scep timeline picture"])
def cmd_timeline(ctx: Ctx, args: list[str]) -> Result:
    year = None
    if args and args[0].lower() in ("picture", "pic", "png", "image"):
        return timeline_picture(ctx, args[1:])
    if args:
        try:
            year = SchoolYear.parse(" ".join(args))
        except DateError as exc:
            raise UserError(f"{bk.esc(exc)}. `/scep timeline` alone shows the current year.") from None
    state = ctx.state()
    return timeline_reply(state, progress.timeline(state, ctx.library, ctx.now, year), ctx.now)


def timeline_picture(ctx: Ctx, args: list[str]) -> Result:
    """Upload a PNG of the school's year (each cycle's current year, or the year given) to this channel."""
    year = None
    if args:
        try:
            year = SchoolYear.parse(" ".join(args))
        except DateError as exc:
            raise UserError(f"{bk.esc(exc)}. `/scep timeline picture` alone draws the current year.") from None
    state = ctx.state()
    png = year_png(state, ctx.library, ctx.now, year)
    stem = re.sub(r"[^A-Za-z0-9]+", "-", state.school.name).strip("-")[:60] or "school"
    name = f"{stem}-{year.name if year else 'year'}.png"
    return Result(text=f"Drawing {bk.esc(state.school.name)}'s year…",
                  uploads=[Upload(ctx.channel_id, name, png, f"{state.school.name}: the year at a glance",
                                  "Bars: windows; triangles: DRAFT (down) and FINAL (up) deadlines; circles: scheduled dates; dashed line: today.")])
