"""``/scep step <step>``: one step in full: dates, schedule, done marks, checklist, review history."""

from __future__ import annotations

from bot.calendar import dates
from bot.checklists.model import progress_text
from bot.checklists.view import guidance_lines, step_buttons
from bot.core import blocks as bk
from bot.core import progress
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result
from bot.core.steps import resolve
from bot.review.rules import history_lines, status_text


@subcommand(
    "step",
    usage="/scep step <step>",
    summary="one step in full: dates, schedule, checklist, review history",
    examples=["/scep step visit 5", "/scep step priority levers"],
)
def cmd_step(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    ref = resolve(state, ctx.library, ctx.now, " ".join(args))
    dated = ref.dated
    tz = state.school.tz
    doc = state.step_state(ref.year, ref.key)
    lines = [f"*{bk.esc(dated.step.title)}* · {bk.esc(dated.cycle.title)} {dated.year} · {dated.step.kind}, owner: {dated.step.owner}"]
    for item in progress._step_items(dated, doc, ctx.now):
        lines.append(f"{bk.STATUS_ICON.get(item.status, '')} {bk.esc(item.title)}: {item.status} · {bk.when_phrase(item, ctx.now, tz)}")
    if doc.get("scheduled_at"):
        lines.append(f":calendar: scheduled for {dates.fmt_local(dates.parse_instant(doc['scheduled_at']), tz)}")
    for label, mark in (doc.get("done") or {}).items():
        lines.append(f":white_check_mark: {'done' if label in ('held', 'due') else label.upper() + ' done'} {dates.fmt_local(dates.parse_instant(mark['at']), tz)} by <@{mark.get('by')}>")
    cl_text = progress_text(state, dated, doc, always=True)
    if cl_text:
        lines.append(f":ballot_box_with_check: {cl_text} (`/scep checklist {bk.esc(dated.step.label.lower())}`)")
    rv = status_text(doc, tz)
    if rv:
        lines.append(rv)
    hist = history_lines(doc, tz)
    text = "\n".join(lines)
    blocks = [bk.section(text)]
    said = ([bk.esc(dated.step.purpose)] if dated.step.purpose else []) + guidance_lines(dated.step)
    if said:  # the document's own words: why, when, and its notes
        blocks.append(bk.section("\n".join(said)))
        text += "\n" + "\n".join(said)
    if hist:
        blocks.append(bk.section("*Review history*\n" + "\n".join(hist[-15:])))
    buttons = step_buttons(state, dated, doc)
    if buttons:
        blocks.append(bk.actions(*buttons))
    return Result(text=text + ("\n" + "\n".join(hist) if hist else ""), blocks=blocks)
