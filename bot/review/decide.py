"""A reviewer's decision on a submission: "Approve", or "Request changes" and its feedback form.

Each acts on one round (``ReviewButton``): a button of an older round, or of a submission
already decided, is refused and its message rewritten to say why. Every reviewer's message of
the round is updated with the outcome; the result names the step, so its checklist posts are redrawn.
"""

from __future__ import annotations

from typing import Any

from bot.calendar import dates
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.context import Ctx
from bot.core.metadata import FeedbackForm, ReviewButton
from bot.core.result import MessageUpdate, Post, Result, StepChanged, failed
from bot.core.schools import SchoolState, iso
from bot.core.steps import (
    StaleStep,
    StepRef,
    audit,
    get_step_state,
    ref_for_key,
    tracked_school,
)
from bot.errors import UserError
from bot.review.rules import MAX_FEEDBACK, review_of, what
from bot.review.views import dm, feedback_view
from bot.store.schema import REVIEW_KEY, STEP_KIND


def _check_pending(ctx: Ctx, button: ReviewButton | None) -> tuple[SchoolState, StepRef, dict[str, Any], int]:
    """The submission a reviewer's button points at, if it still waits for review."""
    if button is None:
        raise StaleStep("I can't read that button: ask the school to submit again.")
    rnd = button.round
    state = tracked_school(ctx, button.school_id)
    R.require(ctx, state.school, "review")
    ref = ref_for_key(state, ctx.library, button.key)
    doc = state.step_state(ref.year, ref.key)
    rv = review_of(doc)
    tz = state.school.tz
    if int(rv.get("round") or 0) != rnd:
        raise StaleStep(f"A newer version (round {rv.get('round')}) was submitted since: review that one (its message is below this one).")
    if rv.get("status") == "approved":
        raise StaleStep(f"Already approved by <@{rv.get('by')}> on {dates.fmt_local(dates.parse_instant(rv['at']), tz)}.")
    return state, ref, rv, rnd


def _dm_updates(ctx: Ctx, state: SchoolState, ref: StepRef, rnd: int, outcome: str, extra: tuple[str, str] | None = None) -> list[MessageUpdate]:
    """Every reviewer's message of round ``rnd``, redone without buttons, saying the outcome."""
    doc = state.step_state(ref.year, ref.key)
    rv = review_of(doc)
    text, blocks = dm(state, ref, {**rv, "round": rnd}, ctx.now, buttons=False, outcome=outcome)
    targets = [(d["channel"], d["ts"]) for d in rv.get("dms") or [] if d.get("round") == rnd]
    if extra and extra not in targets:
        targets.append(extra)
    return [MessageUpdate(c, t, text, blocks) for c, t in targets]


def _pending_or_refusal(ctx: Ctx, value: str, message: tuple[str, str] | None):
    """``_check_pending``'s (state, ref, review, round), or the Result that refuses the click
    (a stale button's message is rewritten to say why)."""
    try:
        return _check_pending(ctx, ReviewButton.decode(value))
    except StaleStep as exc:
        out = failed(str(exc))
        if message:
            out.updates.append(MessageUpdate(message[0], message[1], str(exc), [bk.section(f":information_source: {exc}")]))
        return out
    except UserError as exc:
        return failed(str(exc))


def approve_click(ctx: Ctx, value: str, message: tuple[str, str] | None = None) -> Result:
    """"Approve" (permission ``review``): the round is approved, said in the submission's thread."""
    pending = _pending_or_refusal(ctx, value, message)
    if isinstance(pending, Result):
        return pending
    state, ref, rv, rnd = pending
    if rv.get("status") == "changes_requested":
        return failed(f"<@{rv.get('by')}> requested changes on this version: wait for the school's resubmission.")
    school = state.school
    with ctx.store.transaction(school.school_id) as tx:
        doc = get_step_state(tx, ref)
        cur = review_of(doc)
        if cur.get("status") != "submitted" or int(cur.get("round") or 0) != rnd:
            return failed("Someone reviewed this a moment ago: nothing changed.")
        history = list(cur.get("history") or [])
        history.append({"event": "approved", "round": rnd, "label": cur.get("label"), "by": ctx.user_id, "at": iso(ctx.now)})
        cur.update({"status": "approved", "at": iso(ctx.now), "by": ctx.user_id, "history": history})
        doc[REVIEW_KEY] = cur
        tx.put(STEP_KIND, ref.state_key, doc)
        audit(tx, ctx.user_id, ctx.now, "review approved", step=ref.key, year=ref.year.name, label=cur.get("label"), round=rnd)
    state = tracked_school(ctx, school.school_id)
    thing = what(ref.dated, cur.get("label") or "")
    text = f":white_check_mark: <@{ctx.user_id}> approved *{bk.esc(thing)}*."
    thread = cur.get("thread") or {}
    posts = [Post(channel=thread.get("channel") or school.channel_id, text=text, thread_ts=thread.get("ts"))]
    when = dates.fmt_local(ctx.now, school.tz)
    updates = _dm_updates(ctx, state, ref, rnd, f":white_check_mark: Approved by <@{ctx.user_id}> on {when}.", message)
    return Result(posts=posts, updates=updates, refresh_home=[ctx.user_id], changed=[StepChanged(state.school.school_id, ref.state_key)])


def changes_click(ctx: Ctx, value: str, message: tuple[str, str] | None = None) -> Result:
    """"Request changes": check it still waits for review, then the feedback modal."""
    pending = _pending_or_refusal(ctx, value, message)
    if isinstance(pending, Result):
        return pending
    state, ref, rv, rnd = pending
    thing = what(ref.dated, rv.get("label") or "")
    form = FeedbackForm(ReviewButton(state.school.school_id, ref.state_key, rnd), *(message or ("", "")))
    view = feedback_view(form, thing, state.school.name)
    return Result(open_view=view)


def feedback_submitted(ctx: Ctx, meta: str, text: str, view_id: str, *, dry: bool = False) -> tuple[dict[str, str] | None, Result]:
    """The feedback modal sent: (field errors to show in the modal, or None; what to do).

    ``dry``: only check (before the listener acks); the real call checks again inside the
    transaction, so a form sent twice is written once.
    """
    form = FeedbackForm.decode(meta)
    if form is None:
        return {"feedback": "This form is out of date: close it and click Request changes again."}, Result()
    body = (text or "").strip()
    if not body:
        return {"feedback": "Write what should change: it is posted for the school."}, Result()
    if len(body) > MAX_FEEDBACK:
        return {"feedback": f"At most {MAX_FEEDBACK} characters."}, Result()
    try:
        state, ref, rv, rnd = _check_pending(ctx, form.button)
    except UserError as exc:
        return {"feedback": bk.clip(f"Not sent: {exc}", 150)}, Result()
    for h in rv.get("history") or []:
        if view_id and h.get("view") == view_id:
            return {"feedback": "This feedback was already sent: close this form."}, Result()
    if dry:
        return None, Result()
    school = state.school
    with ctx.store.transaction(school.school_id) as tx:
        doc = get_step_state(tx, ref)
        cur = review_of(doc)
        if int(cur.get("round") or 0) != rnd or cur.get("status") == "approved":
            return {"feedback": "Not sent: this version was reviewed meanwhile."}, Result()
        if any(view_id and h.get("view") == view_id for h in cur.get("history") or []):
            return {"feedback": "This feedback was already sent: close this form."}, Result()
        history = list(cur.get("history") or [])
        history.append({"event": "changes_requested", "round": rnd, "label": cur.get("label"), "by": ctx.user_id,
                        "at": iso(ctx.now), "feedback": body, "view": view_id})
        cur.update({"status": "changes_requested", "at": iso(ctx.now), "by": ctx.user_id, "history": history})
        doc[REVIEW_KEY] = cur
        tx.put(STEP_KIND, ref.state_key, doc)
        audit(tx, ctx.user_id, ctx.now, "review changes requested", step=ref.key, year=ref.year.name, label=cur.get("label"), round=rnd)
    state = tracked_school(ctx, school.school_id)
    thing = what(ref.dated, cur.get("label") or "")
    quoted = "\n".join("> " + bk.esc(line) for line in body.splitlines() if line.strip()) or "> " + bk.esc(body)
    text_out = f":pencil2: <@{ctx.user_id}> requested changes on *{bk.esc(thing)}*:\n{bk.clip(quoted, 2800)}\nResubmit with `/scep submit {bk.esc(ref.dated.step.label)}`."
    thread = cur.get("thread") or {}
    posts = [Post(channel=thread.get("channel") or school.channel_id, text=text_out, blocks=[bk.section(text_out)], thread_ts=thread.get("ts"))]
    when = dates.fmt_local(ctx.now, school.tz)
    extra = form.message
    updates = _dm_updates(ctx, state, ref, rnd, f":pencil2: Changes requested by <@{ctx.user_id}> on {when}; the feedback is in <#{school.channel_id}>.", extra)
    return None, Result(posts=posts, updates=updates, refresh_home=[ctx.user_id], changed=[StepChanged(state.school.school_id, ref.state_key)])
