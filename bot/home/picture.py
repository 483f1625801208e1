"""App Home's "Picture of the year" button: the PNG of one school's year (``bot.pictures.year``,
as ``/scep timeline picture`` draws it), uploaded to the person's direct messages with the bot,
since a click in App Home has no channel. The button's value is the school id; the school is
read afresh and the person must still be allowed to read it (a role, the channel, an admin).
"""

from __future__ import annotations

import re

from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.context import Ctx
from bot.core.result import Result, Upload, failed
from bot.core.steps import tracked_school
from bot.errors import UserError
from bot.pictures.year import year_png

GONE = "This school is no longer tracked here: `/scep schools` lists the schools."
CAPTION = "Bars: windows; triangles: DRAFT (down) and FINAL (up) deadlines; circles: scheduled dates; shaded: holidays and breaks; dashed line: today."


def home_picture(ctx: Ctx, school_id: object, dm_channel: str) -> Result:
    """Upload the picture of the school ``school_id`` names, at ``ctx.now``, to ``dm_channel``."""
    if not isinstance(school_id, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", school_id):
        return failed("I can't read that button: type `/scep timeline picture` in the school's channel instead.")
    try:
        state = tracked_school(ctx, school_id, GONE)
        R.require(ctx, state.school, "read")
    except UserError as exc:
        return failed(str(exc))
    name = state.school.name
    stem = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")[:60] or "school"
    png = year_png(state, ctx.library, ctx.now)
    return Result(text="", uploads=[Upload(dm_channel, f"{stem}-year.png", png, bk.esc(f"{name}: the year at a glance"), CAPTION)])
