"""Review and approval of plans: submit, request changes (with feedback), resubmit, approve.

A deliverable (or a step with ``approval:`` in its cycle file, like visit 5's final SCEP) is
submitted for review by the school's people; its reviewers (role ``reviewer``, else
``district``) get a direct message with "Approve" and "Request changes"; feedback is written in
a modal and posted in the submission's thread on the school's channel. The step keeps its
history in its document under ``review``::

    {"status": "submitted" | "changes_requested" | "approved", "label": "draft", "round": 2,
     "at": iso, "by": user, "history": [{"event", "round", "label", "by", "at", "feedback"?}],
     "thread": {"channel", "ts"}, "dms": [{"round", "user", "channel", "ts"}]}

Submitting a deliverable's DRAFT/FINAL also marks that deadline done (it was delivered); the
review status is shown next to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.calendar import dates
from bot.calendar.cycles import DatedStep
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import small_int
from bot.core.context import Ctx
from bot.core.result import MessageUpdate, Post, Result, failed
from bot.core.schools import SchoolState, iso
from bot.core.steps import (
    StaleStep,
    StepRef,
    audit,
    get_step_state,
    is_current,
    mark_done,
    ref_for_key,
    submittable,
)
from bot.errors import UserError
from bot.store.schema import REVIEW_KEY, STEP_KIND

SUBMIT_ACTION = "rv_submit"
APPROVE_ACTION = "rv_approve"
CHANGES_ACTION = "rv_changes"
FEEDBACK_CALLBACK = "scep_feedback"
MAX_FEEDBACK = 3000

EVENT_WORDS = {
    "submitted": "submitted",
    "resubmitted": "resubmitted",
    "changes_requested": "requested changes",
    "approved": "approved",
}


def labels_of(dated: DatedStep) -> list[str]:
    """What can be submitted: the deadlines (draft/final or due), or ``plan`` (visit 5)."""
    return [d.label for d in dated.deadlines] or (["due"] if dated.step.kind == "deliverable" else ["plan"])


def what(dated: DatedStep, label: str) -> str:
    step = dated.step
    if label in ("draft", "final"):
        return f"{step.title} ({label.upper()})"
    if label == "plan" and step.approval:
        return f"{step.approval} ({step.label})"
    return step.title


def reviewers(state: SchoolState) -> list[str]:
    return list(state.school.roles.get("reviewer") or []) or list(state.school.roles.get("district") or [])


def review_of(doc: dict[str, Any]) -> dict[str, Any]:
    return dict((doc or {}).get(REVIEW_KEY) or {})


def next_submission(dated: DatedStep, doc: dict[str, Any]) -> tuple[str, str] | None:
    """(label, button text) of what the school would submit next, or None (pending or all approved)."""
    rv = review_of(doc)
    labels = labels_of(dated)
    status, label = rv.get("status"), rv.get("label")
    if status == "submitted":
        return None
    if status == "changes_requested":
        return label, (f"Resubmit {label.upper()}" if label in ("draft", "final") else "Resubmit for review")
    approved = {h.get("label") for h in rv.get("history") or [] if h.get("event") == "approved"}
    for lb in labels:
        if lb not in approved and not (lb == "draft" and "final" in approved):
            return lb, (f"Submit {lb.upper()} for review" if lb in ("draft", "final") else "Submit for review")
    return None


def status_text(doc: dict[str, Any], tz: str) -> str | None:
    """Where the plan stands, in a few words: "DRAFT in review since Nov 3 (round 2)"."""
    rv = review_of(doc)
    if not rv.get("status"):
        return None
    label = rv.get("label") or ""
    name = label.upper() if label in ("draft", "final") else "plan"
    when = dates.to_local(dates.parse_instant(rv["at"]), tz)
    day = f"{when:%b} {when.day}"
    if rv["status"] == "submitted":
        rnd = f" (round {rv.get('round', 1)})" if rv.get("round", 1) > 1 else ""
        return f":inbox_tray: {name} in review since {day}{rnd}"
    if rv["status"] == "changes_requested":
        return f":pencil2: changes requested on the {name} by <@{rv.get('by')}> {day}"
    return f":white_check_mark: {name} approved by <@{rv.get('by')}> {day}"


def history_lines(doc: dict[str, Any], tz: str, *, feedback: bool = True) -> list[str]:
    out = []
    for h in review_of(doc).get("history") or []:
        label = h.get("label") or ""
        name = f" the {label.upper()}" if label in ("draft", "final") else ""
        line = f"• {dates.fmt_local(dates.parse_instant(h['at']), tz)}: <@{h.get('by')}> {EVENT_WORDS.get(h.get('event'), h.get('event'))}{name} (round {h.get('round', 1)})"
        if feedback and h.get("feedback"):
            line += f"\n> {bk.esc(bk.clip(' '.join(h['feedback'].split()), 300))}"
        out.append(line)
    return out


# ---------------------------------------------------------------- submit


def submit(ctx: Ctx, state: SchoolState, ref: StepRef, label: str | None) -> Result:
    """Send a step for review: record it, announce it in the school's channel, DM the reviewers."""
    school = state.school
    R.require(ctx, school, "act")
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
            mark_done(tx, ref, label, ctx.user_id, ctx.now)
    state = SchoolState.read(ctx.store.view(school.school_id))
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
        dm_text, dm_blocks = _dm(state, ref, rv, ctx.now, buttons=True)

        def dm_sent(channel: str, ts: str, uid: str = uid, rnd: int = rnd) -> None:
            _remember_dm(store, sid, key, rnd, uid, channel, ts)

        posts.append(Post(channel=uid, text=dm_text, blocks=dm_blocks, on_sent=dm_sent))
    from bot.checklists import checklists

    notice = f":inbox_tray: {bk.esc(thing)} sent to {who} for review."
    return Result(text=notice, posts=posts, updates=checklists.refresh(ctx, state, ref))


def submit_reply(ctx: Ctx, state: SchoolState, ref: StepRef, label: str | None) -> Result:
    out = submit(ctx, state, ref, label)
    return Result(text="", posts=out.posts, updates=out.updates)


def submit_click(ctx: Ctx, value: str) -> Result:
    parts = str(value or "").split("|")
    if len(parts) != 3:
        return failed("I can't read that button: type `/scep submit &lt;step&gt;` instead.")
    try:
        state = _state(ctx, parts[0])
        ref = ref_for_key(state, ctx.library, parts[1])
        out = submit(ctx, state, ref, parts[2])
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


def _dm(state: SchoolState, ref: StepRef, rv: dict[str, Any], now: datetime, *, buttons: bool, outcome: str = "") -> tuple[str, list[dict[str, Any]]]:
    """The reviewer's message: what, from whom, the history, and the two buttons (or the outcome)."""
    school = state.school
    dated = ref.dated
    label = rv.get("label") or ""
    thing = what(dated, label)
    rnd = rv.get("round", 1)
    head = (
        f":inbox_tray: *{bk.esc(thing)}* from *{bk.esc(school.name)}* (<#{school.channel_id}>) is ready for your review"
        f" (round {rnd}, submitted by <@{rv.get('by') if rv.get('status') == 'submitted' else _submitter(rv)}>)."
    )
    deadline = next((d for d in dated.deadlines if d.label == label), None)
    bits = [f"{bk.esc(dated.cycle.title)} {dated.year}"]
    if deadline:
        bits.append(f"due {dates.fmt_local(deadline.at, school.tz)}")
    blocks: list[dict[str, Any]] = [bk.section(head), bk.context(" · ".join(bits))]
    hist = history_lines({REVIEW_KEY: rv}, school.tz)
    if len(hist) > 1:
        blocks.append(bk.section("*History*\n" + "\n".join(hist[-8:])))
    if buttons:
        value = f"{school.school_id}|{ref.state_key}|{rnd}"
        blocks.append(bk.actions(
            bk.button("Approve", APPROVE_ACTION, value, style="primary"),
            bk.button("Request changes", CHANGES_ACTION, value),
            block_id=f"rv|{school.school_id}|{rnd}",
        ))
    if outcome:
        blocks.append(bk.section(outcome))
    return f"{bk.esc(thing)} from {bk.esc(school.name)} is ready for review (round {rnd})", blocks


def _submitter(rv: dict[str, Any]) -> str:
    subs = [h for h in rv.get("history") or [] if h.get("event") in ("submitted", "resubmitted")]
    return subs[-1].get("by", "?") if subs else "?"


# ---------------------------------------------------------------- review


def _state(ctx: Ctx, school_id: str) -> SchoolState:
    state = SchoolState.read(ctx.store.view(school_id)) if school_id and ctx.store.index_entry(school_id) else None
    if state is None:
        raise StaleStep("This school is no longer tracked here.")
    return state


def _parse_value(value: str) -> tuple[str, str, int]:
    parts = str(value or "").split("|")
    rnd = small_int(parts[2]) if len(parts) == 3 else None
    if rnd is None:
        raise StaleStep("I can't read that button: ask the school to submit again.")
    return parts[0], parts[1], rnd


def _check_pending(ctx: Ctx, value: str) -> tuple[SchoolState, StepRef, dict[str, Any], int]:
    """The submission a reviewer's button points at, if it still waits for review."""
    school_id, key, rnd = _parse_value(value)
    state = _state(ctx, school_id)
    R.require(ctx, state.school, "review")
    ref = ref_for_key(state, ctx.library, key)
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
    text, blocks = _dm(state, ref, {**rv, "round": rnd}, ctx.now, buttons=False, outcome=outcome)
    targets = [(d["channel"], d["ts"]) for d in rv.get("dms") or [] if d.get("round") == rnd]
    if extra and extra not in targets:
        targets.append(extra)
    return [MessageUpdate(c, t, text, blocks) for c, t in targets]


def _pending_or_refusal(ctx: Ctx, value: str, message: tuple[str, str] | None):
    """``_check_pending``'s (state, ref, review, round), or the Result that refuses the click
    (a stale button's message is rewritten to say why)."""
    try:
        return _check_pending(ctx, value)
    except StaleStep as exc:
        out = failed(str(exc))
        if message:
            out.updates.append(MessageUpdate(message[0], message[1], str(exc), [bk.section(f":information_source: {exc}")]))
        return out
    except UserError as exc:
        return failed(str(exc))


def approve_click(ctx: Ctx, value: str, message: tuple[str, str] | None = None) -> Result:
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
    state = _state(ctx, school.school_id)
    thing = what(ref.dated, cur.get("label") or "")
    text = f":white_check_mark: <@{ctx.user_id}> approved *{bk.esc(thing)}*."
    thread = cur.get("thread") or {}
    posts = [Post(channel=thread.get("channel") or school.channel_id, text=text, thread_ts=thread.get("ts"))]
    when = dates.fmt_local(ctx.now, school.tz)
    from bot.checklists import checklists

    updates = _dm_updates(ctx, state, ref, rnd, f":white_check_mark: Approved by <@{ctx.user_id}> on {when}.", message)
    updates += checklists.refresh(ctx, state, ref)
    return Result(posts=posts, updates=updates, refresh_home=[ctx.user_id])


def changes_click(ctx: Ctx, value: str, message: tuple[str, str] | None = None) -> Result:
    """"Request changes": check it still waits for review, then the feedback modal."""
    pending = _pending_or_refusal(ctx, value, message)
    if isinstance(pending, Result):
        return pending
    state, ref, rv, rnd = pending
    thing = what(ref.dated, rv.get("label") or "")
    meta = f"{state.school.school_id}|{ref.state_key}|{rnd}|{message[0] if message else ''}|{message[1] if message else ''}"
    view = {
        "type": "modal",
        "callback_id": FEEDBACK_CALLBACK,
        "private_metadata": meta,
        "title": {"type": "plain_text", "text": "Request changes"},
        "submit": {"type": "plain_text", "text": "Send feedback"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            bk.section(f"*{bk.esc(thing)}* · {bk.esc(state.school.name)} · round {rnd}"),
            {
                "type": "input",
                "block_id": "feedback",
                "label": {"type": "plain_text", "text": "What should change?"},
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": MAX_FEEDBACK,
                            "placeholder": {"type": "plain_text", "text": "Posted in the submission's thread on the school's channel"}},
            },
        ],
    }
    return Result(open_view=view)


def feedback_submitted(ctx: Ctx, meta: str, text: str, view_id: str, *, dry: bool = False) -> tuple[dict[str, str] | None, Result]:
    """The feedback modal sent: (field errors to show in the modal, or None; what to do).

    ``dry``: only check (before the listener acks); the real call checks again inside the
    transaction, so a form sent twice is written once.
    """
    parts = str(meta or "").split("|")
    if len(parts) != 5:
        return {"feedback": "This form is out of date: close it and click Request changes again."}, Result()
    school_id, key, rnd_s, dm_channel, dm_ts = parts
    body = (text or "").strip()
    if not body:
        return {"feedback": "Write what should change: it is posted for the school."}, Result()
    if len(body) > MAX_FEEDBACK:
        return {"feedback": f"At most {MAX_FEEDBACK} characters."}, Result()
    value = f"{school_id}|{key}|{rnd_s}"
    try:
        state, ref, rv, rnd = _check_pending(ctx, value)
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
    state = _state(ctx, school.school_id)
    thing = what(ref.dated, cur.get("label") or "")
    quoted = "\n".join("> " + bk.esc(line) for line in body.splitlines() if line.strip()) or "> " + bk.esc(body)
    text_out = f":pencil2: <@{ctx.user_id}> requested changes on *{bk.esc(thing)}*:\n{bk.clip(quoted, 2800)}\nResubmit with `/scep submit {bk.esc(ref.dated.step.label)}`."
    thread = cur.get("thread") or {}
    posts = [Post(channel=thread.get("channel") or school.channel_id, text=text_out, blocks=[bk.section(text_out)], thread_ts=thread.get("ts"))]
    from bot.checklists import checklists

    when = dates.fmt_local(ctx.now, school.tz)
    extra = (dm_channel, dm_ts) if dm_channel and dm_ts else None
    updates = _dm_updates(ctx, state, ref, rnd, f":pencil2: Changes requested by <@{ctx.user_id}> on {when}; the feedback is in <#{school.channel_id}>.", extra)
    updates += checklists.refresh(ctx, state, ref)
    return None, Result(posts=posts, updates=updates, refresh_home=[ctx.user_id])
