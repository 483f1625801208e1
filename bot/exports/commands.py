"""``/scep export``: upload a visit summary (Word, with the year's picture, and Markdown), the year
as CSV or as a Word summary with its picture, the calendar (.ics), or the month's update across a
district's schools (bot.exports.month) to the channel."""

from __future__ import annotations

import re

from bot.calendar.dates import DateError, SchoolYear
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result, Upload
from bot.core.schools import SchoolState
from bot.core.steps import resolve
from bot.errors import UserError
from bot.exports.calendar_ics import calendar_ics
from bot.exports.month import export_month
from bot.exports.summary import summary, summary_docx, summary_markdown
from bot.exports.year_csv import year_csv
from bot.exports.year_docx import year_docx
from bot.notes.names import names_for
from bot.notes.reading import notes_of
from bot.pictures.year import year_png
from bot.store.port import SchoolView


@subcommand(
    "export",
    usage="/scep export summary <step> [docx|md] | export year [2021-22] [csv|docx] | export calendar [2021-22] | export month [YYYY-MM]",
    summary="upload a visit summary (Word with the picture of the year, and Markdown), the year as CSV or as a Word summary with its picture, the calendar (.ics), or the month's update of your schools (Slack and Word) to this channel",
    examples=["/scep export summary visit 1", "/scep export year", "/scep export year docx", "/scep export calendar", "/scep export month 2021-11"],
    writes=True,
)
def cmd_export(ctx: Ctx, args: list[str]) -> Result:
    if args and args[0].lower() == "month":
        return export_month(ctx, args[1:])
    state = ctx.state()
    if not args:
        raise UserError("Say what to export: `/scep export summary visit 1`, `/scep export year`, `/scep export calendar` or `/scep export month`")
    R.require(ctx, state.school, "act")
    what, rest = args[0].lower(), args[1:]
    view = ctx.store.view(state.school.school_id)
    files = build_export(ctx, state, view, what, rest)
    names = ", ".join(f"`{u.filename}`" for u in files)
    return Result(text=f"Uploading {names} to this channel…", uploads=files)


def build_export(ctx: Ctx, state: SchoolState, view: SchoolView, what: str, rest: list[str]) -> list[Upload]:
    school = state.school
    channel = ctx.channel_id
    if what == "summary":
        fmt = "both"
        if rest and rest[-1].lower() in ("docx", "md", "markdown", "word"):
            fmt = {"word": "docx", "markdown": "md"}.get(rest[-1].lower(), rest[-1].lower())
            rest = rest[:-1]
        if not rest:
            raise UserError("Say which step: `/scep export summary visit 1`")
        ref = resolve(state, ctx.library, ctx.now, " ".join(rest))
        authors = [n.get("author") for n in notes_of(view, ref.key, ref.year.name)]
        s = summary(view, state, ref, ctx.now, names_for(ctx, authors))
        out = []
        comment = f"SCEP Support Visit Summary: {s.visit} ({s.year}), {s.count} notes"
        if fmt in ("both", "docx"):
            picture = year_png(state, ctx.library, ctx.now, ref.year, highlight=ref.key)
            out.append(Upload(channel, f"{s.filename_stem}.docx", summary_docx(s, picture), bk.esc(f"{s.visit} summary ({s.year})"), bk.esc(comment)))
        if fmt in ("both", "md"):
            out.append(Upload(channel, f"{s.filename_stem}.md", summary_markdown(s).encode(), bk.esc(f"{s.visit} summary ({s.year}), Markdown"), "" if fmt == "both" else bk.esc(comment)))
        return out
    if what in ("year", "calendar"):
        fmt = "csv"
        if what == "year" and rest and rest[-1].lower() in ("csv", "docx", "word"):
            fmt = "docx" if rest[-1].lower() in ("docx", "word") else "csv"
            rest = rest[:-1]
        year = _year_arg(rest)
        stem = f"{_slug(school.name)}-{year.name if year else 'current'}"
        if what == "year" and fmt == "docx":
            data = year_docx(view, state, ctx.library, ctx.now, year)
            return [Upload(channel, f"{stem}-year.docx", data, bk.esc(f"{school.name}: the year at a glance"),
                           "The picture of the year and every step: its dates, status, who did it, how many notes.")]
        if what == "year":
            data = year_csv(view, state, ctx.library, ctx.now, year).encode("utf-8-sig")
            return [Upload(channel, f"{stem}-year.csv", data, bk.esc(f"{school.name}: the year, step by step"),
                           "Every step, its dates, status, who did it and its notes. `/scep export year docx`: a Word summary with the picture.")]
        data = calendar_ics(state, ctx.library, ctx.now, year)
        return [Upload(channel, f"{stem}.ics", data, bk.esc(f"{school.name}: SCEP calendar"), "Import into Google Calendar or Outlook; importing a newer file updates the events.")]
    raise UserError(f"I can export `summary &lt;step&gt;`, `year`, `calendar` or `month`, not '{bk.esc(bk.clip(what, 80))}'.")


def _year_arg(rest: list[str]) -> SchoolYear | None:
    if not rest:
        return None
    try:
        return SchoolYear.parse(" ".join(rest))
    except DateError as exc:
        raise UserError(f"{bk.esc(exc)}. Leave it out for the current year.") from None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "school"
