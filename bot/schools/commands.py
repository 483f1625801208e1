"""``/scep schools [page]``: the schools of the workspace a person may see, each with its next item.

Workspace admins see every school; anyone else the schools where they hold a role, and the
school of the channel they are in (a school's dates are not shown to people outside it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.calendar.dates import DateError, SchoolYear
from bot.core import blocks as bk
from bot.core import progress
from bot.core.command import small_int, subcommand
from bot.core.context import Ctx
from bot.core.permissions import is_workspace_admin, require_member
from bot.core.result import Result, Upload
from bot.core.school_calendar import read_school
from bot.core.schools import SchoolState
from bot.errors import UserError
from bot.pictures import district
from bot.schools.membership import all_schools, schools_of

PAGE = 20  # schools per page


@dataclass(frozen=True)
class Row:
    """One school of the list: its state, its channel and its next item (None: nothing due)."""

    state: SchoolState
    channel_id: str
    next_item: progress.Item | None


@subcommand("schools", usage="/scep schools [page] | /scep schools picture [year]", summary="every school this workspace tracks, with its next item (`picture`: schools × months, for liaisons and district admins)",
            examples=["/scep schools", "/scep schools 2", "/scep schools picture"])
def cmd_schools(ctx: Ctx, args: list[str]) -> Result:
    page = 1
    if args and args[0].lower() in ("picture", "pic", "png", "image"):
        return schools_picture(ctx, args[1:])
    if args:
        page = small_int(args[0]) if len(args) == 1 else None
        if not page:
            raise UserError("`/scep schools` takes a page number: `/scep schools 2`")
    require_member(ctx, "list the workspace's schools")
    entries = [e for e in (ctx.store.index_entry(s) for s in ctx.store.school_ids()) if e and e.get("team_id", "") == (ctx.team_id or "")]
    hidden = 0
    if not is_workspace_admin(ctx):
        mine = {sid for sid, _ in schools_of(ctx.store, ctx.user_id, ctx.team_id)}
        here = ctx.school_id
        if here:
            mine.add(here)  # the school of the channel you are in
        hidden = len([e for e in entries if e["school_id"] not in mine])
        entries = [e for e in entries if e["school_id"] in mine]
    entries.sort(key=lambda e: (e["name"].lower(), e["school_id"]))
    pages = (len(entries) + PAGE - 1) // PAGE
    if entries and page > pages:
        raise UserError(f"There {'is' if pages == 1 else 'are'} {pages} page{'s' if pages > 1 else ''}: `/scep schools {pages}`")
    rows = []
    for e in entries[(page - 1) * PAGE : page * PAGE]:
        state = read_school(ctx.store, e["school_id"])
        if state is None:
            continue
        nxt = progress.next_items(state, ctx.library, ctx.now, 1)
        rows.append(Row(state, e["channel_id"], nxt[0] if nxt else None))
    unlinked = len(ctx.store.unlinked(ctx.team_id)) if is_workspace_admin(ctx) else 0
    return schools_reply(rows, total=len(entries), page=page, pages=pages, hidden=hidden, now=ctx.now, unlinked=unlinked)


def schools_picture(ctx: Ctx, args: list[str]) -> Result:
    """Upload the district picture of the schools where the person is liaison or district admin
    (workspace admins: every school of the workspace)."""
    year = None
    if args:
        try:
            year = SchoolYear.parse(" ".join(args))
        except DateError as exc:
            raise UserError(f"{bk.esc(exc)}. `/scep schools picture` alone draws the current year.") from None
    require_member(ctx, "see the district's picture")
    if is_workspace_admin(ctx):
        ids = all_schools(ctx.store, ctx.team_id)
    else:
        ids = [sid for sid, roles in schools_of(ctx.store, ctx.user_id, ctx.team_id) if {"liaison", "district"} & set(roles)]
    if not ids:
        raise UserError("The district picture shows the schools where you are liaison or district admin, and you are neither in any school.")
    states = [s for s in (SchoolState.read(ctx.store.view(sid)) for sid in ids) if s is not None]
    png = district.render(states, ctx.library, ctx.now, year).png()
    return Result(text=f"Drawing {len(states)} school{'s' if len(states) != 1 else ''}…",
                  uploads=[Upload(ctx.channel_id, f"schools-{year.name if year else 'year'}.png", png, "Schools by month",
                                  "Each cell: the most pressing status of the school's steps that month. Schools needing attention first.")])


def schools_reply(rows: list[Row], *, total: int, page: int, pages: int, hidden: int, now: datetime, unlinked: int = 0) -> Result:
    """Page ``page`` of ``pages`` of a list of ``total`` schools; ``hidden`` more exist that the
    person may not see; ``unlinked`` schools are kept with no channel (told to admins). ``now`` is
    a UTC instant; dates are shown in each school's zone."""
    others = (f"{hidden} other school{'s are' if hidden != 1 else ' is'} not shown: you see the schools where you hold a role "
              "(workspace admins see all).") if hidden else ""
    if unlinked:
        others = (others + " " if others else "") + (f"{unlinked} unlinked school{'s are' if unlinked != 1 else ' is'} kept with no channel: "
                                                     "`/scep relink` lists them.")
    if not total:
        if hidden:
            return Result(text=f"You don't hold a role in any school yet. {others}")
        if unlinked:
            return Result(text=f"No school is linked to a channel. {others}")
        return Result(text="No schools yet. In a school's channel: `/scep setup &lt;school name&gt;`")
    texts, lines = [], []
    for row in rows:
        school, nxt = row.state.school, row.next_item
        nxt_text = f"{bk.STATUS_ICON.get(nxt.status, '')} {bk.esc(nxt.title)}: {bk.when_phrase(nxt, now, school.tz)}" if nxt else "nothing due"
        extra = school.extra.get("delivery_problem")
        warn = f" · :warning: {bk.esc(extra)}" if extra else ""
        texts.append(f"*{bk.esc(school.name)}* · <#{row.channel_id}> · {school.model}{warn}\n      {nxt_text}")
        lines.append(f"{bk.esc(school.name)} ({school.model}) #{row.channel_id}: {nxt_text}".replace("*", ""))
    title = f"{total} school{'s' if total != 1 else ''}" + (f" · page {page} of {pages}" if pages > 1 else "")
    blocks = [bk.section(f"*{title}*")] + [bk.section("\n".join(texts[i : i + 5])) for i in range(0, len(texts), 5)]
    if page < pages:
        blocks.append(bk.context(f"More: `/scep schools {page + 1}`"))
    if others:
        blocks.append(bk.context(others))
        lines.append(others)
    return Result(text=title + "\n" + "\n".join(lines), blocks=blocks)
