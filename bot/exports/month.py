"""``/scep export month [YYYY-MM]``: the month's update across a district's schools, in the
spirit of the monthly work updates a support provider sends upward (seeds/003): what happened
that month, for which school, and what comes next. Posted in Slack and uploaded as a Word file.

Which schools: in a school's channel, that school; anywhere else, the schools where the person
is liaison or district admin (a workspace admin: every school of the workspace). Which month:
``YYYY-MM``, by default the last month that has ended (in the first school's zone); a month
that has not begun is refused. Built from bot.digests.monthly (one report per school).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.calendar import dates
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.context import Ctx
from bot.core.result import Result, Upload
from bot.core.school_calendar import read_school
from bot.core.schools import SchoolState
from bot.digests.monthly import MonthReport, followed_in, month_report, month_start, next_month, previous_month
from bot.errors import UserError
from bot.exports.summary import xml_safe
from bot.schools.membership import all_schools, schools_of

FORM = "`/scep export month` (last month) or `/scep export month 2021-11`"


@dataclass
class MonthUpdate:
    month: date  # first day
    reports: list[MonthReport]  # by school name
    asked_at: datetime

    def total(self, what: str) -> int:
        return sum(r.counts.get(what, 0) for r in self.reports)

    @property
    def quiet(self) -> list[MonthReport]:
        return [r for r in self.reports if r.empty]

    def summary(self) -> str:
        """One paragraph across the schools (Slack mrkdwn-escaped like the reports' lines)."""
        n = len(self.reports)
        parts = [f"In {self.month:%B %Y} the bot followed {dates.plural(n, 'school')}."]
        did = [f"{self.total('held')} {'visit or session' if self.total('held') == 1 else 'visits or sessions'} held" if self.total("held") else "",
               dates.plural(self.total("submitted"), "deliverable") + " submitted" if self.total("submitted") else "",
               dates.plural(self.total("done"), "step") + " marked done" if self.total("done") else ""]
        did = [d for d in did if d]
        if did:
            parts.append(_join(did).capitalize() + ".")
        if self.total("missed"):
            parts.append(f"{dates.plural(self.total('missed'), 'date')} passed without the step being marked done.")
        quiet = self.quiet
        if quiet and len(quiet) == n:
            parts.append("It was a quiet month in every school.")
        elif quiet:
            parts.append(f"{dates.plural(len(quiet), 'school')} had a quiet month: " + ", ".join(bk.esc(r.school.name) for r in quiet) + ".")
        coming = sum(len(r.coming) for r in self.reports)
        if coming:
            parts.append(f"{dates.plural(coming, 'date')} on the calendar in {next_month(self.month):%B}.")
        return " ".join(parts)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def parse_month(text: str, today: date) -> date:
    """``YYYY-MM`` -> its first day; empty: the last month that has ended. A UserError for
    anything else, or a month that has not begun."""
    text = text.strip()
    if not text:
        return previous_month(today)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise UserError(f"'{bk.esc(bk.clip(text, 40))}' is not a month: write it as YYYY-MM. {FORM}")
    month = date(int(m.group(1)), int(m.group(2)), 1)
    if month > month_start(today):
        raise UserError(f"{month:%B %Y} has not begun yet: the update tells what happened. {FORM}")
    return month


def schools_for(ctx: Ctx) -> list[SchoolState]:
    """The schools the update covers for the person asking (see the module's docstring)."""
    if ctx.school_id:
        state = ctx.state()
        R.require(ctx, state.school, "act")
        return [state]
    R.require_member(ctx, "write the district's monthly update")
    if R.is_workspace_admin(ctx):
        ids = all_schools(ctx.store, ctx.team_id)
    else:
        ids = [sid for sid, roles in schools_of(ctx.store, ctx.user_id, ctx.team_id) if {"liaison", "district"} & set(roles)]
    if not ids:
        raise UserError("The month's update covers the schools where you are liaison or district admin, and you are neither in any school. "
                        "In a school's channel, `/scep export month` gives that school's.")
    return [s for s in (read_school(ctx.store, sid) for sid in ids) if s is not None]


def build(states: list[SchoolState], library, now: datetime, month: date) -> MonthUpdate:
    followed = [s for s in states if followed_in(s.school, month)]
    reports = [month_report(s, library, now, month) for s in followed]
    reports.sort(key=lambda r: (r.school.name.lower(), r.school.school_id))
    return MonthUpdate(month, reports, now)


def export_month(ctx: Ctx, rest: list[str]) -> Result:
    states = schools_for(ctx)
    tz = states[0].school.tz if states else dates.DEFAULT_TZ
    month = parse_month(" ".join(rest), dates.local_today(ctx.now, tz))
    update = build(states, ctx.library, ctx.now, month)
    if not update.reports:
        raise UserError(f"None of {'these schools' if len(states) > 1 else 'this school'} was followed in {month:%B %Y}: "
                        f"the bot reports from the month a school was set up. {FORM}")
    text, blocks = render_slack(update)
    name = f"monthly-update-{month:%Y-%m}.docx"
    return Result(text=text, blocks=blocks, public=True, uploads=[Upload(ctx.channel_id, name, render_docx(update),
                  f"Monthly update, {month:%B %Y}", f"The month's update for {dates.plural(len(update.reports), 'school')}, as a Word file.")])


def render_slack(update: MonthUpdate) -> tuple[str, list[dict[str, Any]]]:
    head = f"Monthly update · {update.month:%B %Y} · {dates.plural(len(update.reports), 'school')}"
    rows = [f"• *{bk.esc(r.school.name)}*: {r.sentence()}" for r in update.reports]
    blocks = [bk.header(head), bk.section(update.summary())] + [bk.section("\n".join(rows[i : i + 5])) for i in range(0, len(rows), 5)]
    blocks.append(bk.context("From what the bot knows: visits held, deliverables marked done, notes captured. The Word file follows."))
    return (head + "\n" + update.summary() + "\n" + "\n".join(rows))[:39000], bk.fit(blocks, "…more schools in the Word file")


def _plain(text: str) -> str:
    """A report line without Slack's escapes, for the Word file."""
    return xml_safe(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))


def render_docx(update: MonthUpdate) -> bytes:
    """The update as a Word document: a summary paragraph, then one section per school."""
    from docx import Document

    doc = Document()
    doc.core_properties.title = f"Monthly update: {update.month:%B %Y}"
    doc.add_heading(f"Monthly update: {update.month:%B %Y}", level=0)
    when = dates.fmt_local(update.asked_at, update.reports[0].school.tz, with_time=False)
    doc.add_paragraph(f"{dates.plural(len(update.reports), 'school')}, from what scep-bot knows (visits held, deliverables marked "
                      f"done, notes captured), as of {when}.").runs[0].italic = True
    doc.add_heading("Summary", level=1)
    doc.add_paragraph(_plain(update.summary()))
    doc.add_heading("By school", level=1)
    for r in update.reports:
        doc.add_heading(_plain(f"{r.school.name} ({r.school.model})"), level=2)
        p = doc.add_paragraph()
        p.add_run(f"{update.month:%B}: ").bold = True
        p.add_run(_plain("; ".join(r.done) + "." if r.done else "A quiet month: nothing was recorded."))
        p = doc.add_paragraph()
        p.add_run("What comes next: ").bold = True
        p.add_run(_plain(r.future()))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
