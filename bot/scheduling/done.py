"""``/scep done`` and ``/scep undo``: mark a step (or a deliverable's DRAFT or FINAL) done, or
take it back. Marking done is the one use case of ``bot.core.steps.may_mark_done``."""

from __future__ import annotations

from bot.calendar import dates
from bot.checklists.model import counts, for_ref, next_label
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result, StepChanged
from bot.core.school_calendar import read_school
from bot.core.steps import may_mark_done, school_steps, split_ref, undo_done
from bot.errors import UserError
from bot.review.rules import next_submission, reviewers

LABELS = ("draft", "final", "due")


CONFIRM_WORDS = ("anyway", "confirm", "yes")


def _label_rest(tail: str) -> tuple[str | None, bool]:
    """(deadline label or None, confirmed: ``anyway`` answers "done before its data date?")."""
    words = tail.strip().lower().split()
    confirmed = bool(words) and words[-1] in CONFIRM_WORDS
    t = " ".join(words[:-1] if confirmed else words)
    if not t:
        return None, confirmed
    if t in LABELS:
        return t, confirmed
    raise UserError(f"'{bk.esc(bk.clip(tail.strip(), 80))}': after the step, say `draft` or `final` (for deliverables that have both), or nothing.")


@subcommand(
    "done",
    usage="/scep done <step> [draft|final] [anyway]",
    summary="mark a step (or a deliverable's DRAFT or FINAL) done",
    examples=["/scep done visit 1", "/scep done priority levers draft", "/scep done session 1", "/scep done session 1 anyway"],
    writes=True,
)
def cmd_done(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    marker = may_mark_done(ctx, state)
    ref, (label, confirmed) = split_ref(school_steps(state, ctx.library, ctx.now), args, _label_rest)
    dated = ref.dated
    doc = state.step_state(ref.year, ref.key)
    if label is None and dated.deadlines:
        label = next_label(dated, doc) or dated.deadlines[-1].label
    done = marker.mark(ref, label, confirmed=confirmed)
    already, marked = done.earlier(label or "held"), done.label
    name = dated.step.title + (f" ({marked.upper()})" if marked in ("draft", "final") else "")
    tz = state.school.tz
    if already:
        text = f"{bk.esc(name)} was already marked done by <@{already.get('by')}> on {dates.fmt_local(dates.parse_instant(already['at']), tz)}."
        return Result(text=text, blocks=[bk.section(text)])
    text = f":white_check_mark: <@{ctx.user_id}> marked *{bk.esc(name)}* done."
    cl = for_ref(state, ref)
    done_n, total = counts(cl, doc)
    if total and done_n < total:
        text += f" Its checklist is {done_n}/{total}: `/scep checklist {bk.esc(dated.step.label.lower())}`."
    if dated.step.kind == "deliverable" and reviewers(state) and next_submission(dated, doc):
        text += f" Send it for review: `/scep submit {bk.esc(dated.step.label.lower())}{' ' + marked if marked in ('draft', 'final') else ''}`."
    new_state = read_school(ctx.store, state.school.school_id)
    return Result(text=text, blocks=[bk.section(text)], public=True, changed=[StepChanged(new_state.school.school_id, ref.state_key)])


@subcommand(
    "undo",
    usage="/scep undo <step> [draft|final]",
    summary="take back a step marked done (or only its DRAFT or FINAL)",
    examples=["/scep undo visit 1", "/scep undo priority levers final"],
    writes=True,
)
def cmd_undo(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    R.require(ctx, state.school, "act")
    ref, (label, _) = split_ref(school_steps(state, ctx.library, ctx.now), args, _label_rest)
    with ctx.store.transaction(state.school.school_id) as tx:
        removed = undo_done(tx, ref, label, ctx.user_id, ctx.now)
    name = ref.dated.step.title
    if not removed:
        what = f"{name} ({label.upper()})" if label else name
        text = f"{bk.esc(what)} isn't marked done: nothing to undo."
        return Result(text=text, blocks=[bk.section(text)])
    parts = ", ".join(r.upper() for r in removed if r in ("draft", "final"))
    text = f":leftwards_arrow_with_hook: <@{ctx.user_id}> reopened *{bk.esc(name)}*" + (f" ({parts})" if parts else "") + "."
    new_state = read_school(ctx.store, state.school.school_id)
    return Result(text=text, blocks=[bk.section(text)], public=True, changed=[StepChanged(new_state.school.school_id, ref.state_key)])
