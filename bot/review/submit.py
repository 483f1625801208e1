"""Submitting a plan for review: record the round, announce it in the school's channel (the
submission's thread), DM each reviewer "Approve" / "Request changes". A deliverable's DRAFT or
FINAL submitted is also marked done (``bot.core.steps.may_mark_done``)."""

from __future__ import annotations

from bot.calendar import dates
from bot.core import blocks as bk
from bot.core.context import Ctx
from bot.core.metadata import LabelButton
from bot.core.result import Post, Result, StepChanged, failed
from bot.core.school_calendar import read_school
from bot.core.schools import SchoolState, iso
from bot.core.steps import (
    StaleStep,
    StepRef,
    audit,
    get_step_state,
    is_current,
    may_mark_done,
    ref_for_key,
    submittable,
    tracked_school,
)
from bot.errors import UserError
from bot.review.rules import labels_of, next_submission, review_of, reviewers, what
from bot.review.views import dm
from bot.store.schema import REVIEW_KEY, STEP_KIND


def submit(ctx: Ctx, state: SchoolState, ref: StepRef, label: str | None) -> Result:
    """Send a step for review: record it, announce it in the school's channel, DM the reviewers."""
    school = state.school
    marker = may_mark_done(ctx, state)  # the permission to submit: a deliverable submitted is marked done
    dated = ref.dated
    if not submittable(dated):
        raise UserError(
            f"{dated.step.label} is a {dated.step.kind}, not something sent for review: deliverables "
            "(like `priority levers`) and visit 5's final SCEP are. `/scep done` marks it done."
        )
    if not is_current(state, ctx.library, ctx.now, ref):
        raise StaleStep(f"{dated.step.label} of {ref.year} has ended: submit this year's.")
    labels = labels_of(dated)
    doc = state.step_state(ref.year, ref.key)
    rv = review_of(doc)
    if label is None:
        nxt = next_submission(dated, doc)
        label = nxt[0] if nxt else (rv.get("label") or labels[-1])
    if label not in labels:
        if labels == ["draft", "final"]:
            raise UserError(f"{dated.step.label} has a DRAFT and a FINAL: `/scep submit {dated.step.label} draft` or `... final`")
        raise UserError(f"{dated.step.label} is submitted as a whole: `/scep submit {dated.step.label}`")
    people = reviewers(state)
    if not people:
        raise UserError(
            f"Nobody reviews {bk.esc(school.name)}'s plans yet: a workspace admin or the liaison sets a reviewer with "
            "`/scep roles reviewer:@name` (or `district:@name`). Nothing was submitted."
        )
    tz = school.tz
    thing = what(dated, label)
    if rv.get("status") == "submitted":
        since = dates.fmt_local(dates.parse_instant(rv["at"]), tz)
        cur = what(dated, rv.get("label") or label)
        raise UserError(f"{bk.esc(cur)} is already waiting for review since {since} (round {rv.get('round', 1)}): the reviewers have it.")
    approved = [h for h in rv.get("history") or [] if h.get("event") == "approved" and h.get("label") == label]
    if approved:
        a = approved[-1]
        raise UserError(f"{bk.esc(thing)} was already approved by <@{a.get('by')}> on {dates.fmt_local(dates.parse_instant(a['at']), tz)}.")
    if label == "draft" and any(h.get("event") == "approved" and h.get("label") == "final" for h in rv.get("history") or []):
        raise UserError(f"The FINAL of {dated.step.label} is already approved: there is no DRAFT to review.")
    resubmit = rv.get("status") == "changes_requested" and rv.get("label") == label
    event = "resubmitted" if resubmit else "submitted"
    with ctx.store.transaction(school.school_id) as tx:
        doc = get_step_state(tx, ref)
        rv = review_of(doc)
        if rv.get("status") == "submitted":  # someone else submitted meanwhile
            raise UserError(f"{bk.esc(thing)} was just submitted by <@{rv.get('by')}>: the reviewers have it.")
        rnd = int(rv.get("round") or 0) + 1
        history = list(rv.get("history") or [])
        history.append({"event": event, "round": rnd, "label": label, "by": ctx.user_id, "at": iso(ctx.now)})
        rv.update({"status": "submitted", "label": label, "round": rnd, "at": iso(ctx.now), "by": ctx.user_id, "history": history})
        doc[REVIEW_KEY] = rv
        tx.put(STEP_KIND, ref.state_key, doc)
        audit(tx, ctx.user_id, ctx.now, "review " + event, step=ref.key, year=ref.year.name, label=label, round=rnd)
        if dated.deadlines and label not in (doc.get("done") or {}):
            marker.mark_in(tx, ref, label)
    state = read_school(ctx.store, school.school_id)
    doc = state.step_state(ref.year, ref.key)
    rv = review_of(doc)
    store, sid, key = ctx.store, school.school_id, ref.state_key
    who = " ".join(f"<@{u}>" for u in people)
    verb = "resubmitted" if resubmit else "submitted"
    text = f":inbox_tray: <@{ctx.user_id}> {verb} *{bk.esc(thing)}* for review by {who} (round {rnd})."
    thread = rv.get("thread") or {}
    posts: list[Post] = []

    def thread_posted(ts: str) -> None:
        _remember_thread(store, sid, key, school.channel_id, ts)

    if thread.get("ts"):
        posts.append(Post(channel=thread.get("channel") or school.channel_id, text=text, thread_ts=thread["ts"]))
    else:
        posts.append(Post(channel=school.channel_id, text=text, blocks=[bk.section(text)], on_posted=thread_posted))
    for uid in people:
        dm_text, dm_blocks = dm(state, ref, rv, ctx.now, buttons=True)

        def dm_sent(channel: str, ts: str, uid: str = uid, rnd: int = rnd) -> None:
            _remember_dm(store, sid, key, rnd, uid, channel, ts)

        posts.append(Post(channel=uid, text=dm_text, blocks=dm_blocks, on_sent=dm_sent))
    notice = f":inbox_tray: {bk.esc(thing)} sent to {who} for review."
    return Result(text=notice, posts=posts, changed=[StepChanged(state.school.school_id, ref.state_key)])


def submit_reply(ctx: Ctx, state: SchoolState, ref: StepRef, label: str | None) -> Result:
    """``/scep submit``: the channel announcement says it all (no separate answer)."""
    out = submit(ctx, state, ref, label)
    return Result(text="", posts=out.posts, updates=out.updates, changed=out.changed)


def submit_click(ctx: Ctx, value: str) -> Result:
    """"Submit for review" on a step (value ``LabelButton``: school, step key, label)."""
    button = LabelButton.decode(value)
    if button is None:
        return failed("I can't read that button: type `/scep submit &lt;step&gt;` instead.")
    try:
        state = tracked_school(ctx, button.school_id)
        ref = ref_for_key(state, ctx.library, button.key)
        out = submit(ctx, state, ref, button.label)
    except UserError as exc:
        return failed(str(exc))
    out.text = ""  # the channel announcement says it
    return out


def _remember_thread(store, school_id: str, key: str, channel: str, ts: str) -> None:
    with store.transaction(school_id) as tx:
        doc = tx.get(STEP_KIND, key) or {}
        rv = review_of(doc)
        if not (rv.get("thread") or {}).get("ts"):
            rv["thread"] = {"channel": channel, "ts": ts}
            doc[REVIEW_KEY] = rv
            tx.put(STEP_KIND, key, doc)


def _remember_dm(store, school_id: str, key: str, rnd: int, user: str, channel: str, ts: str) -> None:
    with store.transaction(school_id) as tx:
        doc = tx.get(STEP_KIND, key) or {}
        rv = review_of(doc)
        dms = [d for d in rv.get("dms") or [] if d.get("round", 0) >= rnd - 2]  # keep recent rounds only
        dms.append({"round": rnd, "user": user, "channel": channel, "ts": ts})
        rv["dms"] = dms
        doc[REVIEW_KEY] = rv
        tx.put(STEP_KIND, key, doc)
