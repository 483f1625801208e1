"""The channel posts of a checklist: posting one, remembering where it is (the last 5 per
step), and updating every remembered post in place after a change to the step."""

from __future__ import annotations

from typing import Any

from bot.checklists.model import for_ref
from bot.checklists.view import render
from bot.core import blocks as bk
from bot.core.context import Ctx
from bot.core.result import MessageUpdate, Post, Result, StepChanged
from bot.core.school_calendar import read_school
from bot.core.schools import SchoolState
from bot.core.steps import StepRef, ref_for_key
from bot.errors import UserError
from bot.store.port import Store
from bot.store.schema import CHECKLIST_KEY, STEP_KIND

MAX_MESSAGES = 5  # channel posts of one checklist kept in sync


def remember_message(store: Store, school_id: str, key: str, channel: str, ts: str) -> None:
    """Keep a channel post of a checklist, to update it in place after ticks (the last 5)."""
    with store.transaction(school_id) as tx:
        doc = tx.get(STEP_KIND, key) or {}
        ck = dict(doc.get(CHECKLIST_KEY) or {})
        msgs = [m for m in ck.get("messages") or [] if (m.get("channel"), m.get("ts")) != (channel, ts)]
        msgs.append({"channel": channel, "ts": ts})
        ck["messages"] = msgs[-MAX_MESSAGES:]
        doc[CHECKLIST_KEY] = ck
        tx.put(STEP_KIND, key, doc)


def forget_message(store: Store, school_id: str, key: str, channel: str, ts: str) -> None:
    """Stop updating a post Slack says is gone."""
    with store.transaction(school_id) as tx:
        doc = tx.get(STEP_KIND, key)
        if not doc:
            return
        ck = dict(doc.get(CHECKLIST_KEY) or {})
        msgs = ck.get("messages") or []
        kept = [m for m in msgs if (m.get("channel"), m.get("ts")) != (channel, ts)]
        if len(kept) != len(msgs):
            ck["messages"] = kept
            doc[CHECKLIST_KEY] = ck
            tx.put(STEP_KIND, key, doc)


def require_own_channel(state: SchoolState, message: tuple[str, str] | None) -> None:
    """A school's checklist is posted in its own channel only: a click on one anywhere else (a
    forged or copied button) is refused, and that message is not rewritten with the school's data."""
    if message and message[0] != state.school.channel_id:
        raise UserError(f"This checklist belongs to {bk.esc(state.school.name)}: use it in <#{state.school.channel_id}>.")


def post(ctx: Ctx, state: SchoolState, ref: StepRef) -> Result:
    """``/scep checklist``: post the checklist in the channel (kept in sync after each tick)."""
    cl = for_ref(state, ref)
    doc = state.step_state(ref.year, ref.key)
    text, blocks = render(state, cl, doc, ctx.now)
    store, sid, key = ctx.store, state.school.school_id, cl.key
    channel = ctx.channel_id

    def posted(ts: str) -> None:
        remember_message(store, sid, key, channel, ts)

    return Result(text="", posts=[Post(channel=channel, text=text, blocks=blocks, on_posted=posted)])


def refresh(ctx: Ctx, state: SchoolState, ref: StepRef, *, also: tuple[str, str] | None = None,
            banner: str | None = None) -> list[MessageUpdate]:
    """``chat.update`` for every remembered post of the step's checklist (and ``also``)."""
    cl = for_ref(state, ref)
    doc = state.step_state(ref.year, ref.key)
    text, blocks = render(state, cl, doc, ctx.now, banner=banner)
    msgs = [(m["channel"], m["ts"]) for m in ((doc.get(CHECKLIST_KEY) or {}).get("messages") or [])]
    if also and also not in msgs:
        msgs.append(also)
    store, sid = ctx.store, state.school.school_id
    now = ctx.now

    def gone(channel: str, ts: str):
        return lambda: forget_message(store, sid, cl.key, channel, ts)

    def rerender() -> tuple[str, list[dict[str, Any]]]:
        fresh = read_school(store, sid)
        if fresh is None:
            return text, blocks
        return render(fresh, for_ref(fresh, ref), fresh.step_state(ref.year, ref.key), now, banner=banner)

    return [MessageUpdate(c, t, text, blocks, on_gone=gone(c, t), rerender=rerender) for c, t in msgs]


def redraw(ctx: Ctx, change: StepChanged) -> list[MessageUpdate]:
    """``chat.update`` for every remembered post of a changed step's checklist (none when the
    school or the step is gone)."""
    state = read_school(ctx.store, change.school_id) if change.school_id in ctx.store.school_ids() else None
    if state is None:
        return []
    try:
        ref = ref_for_key(state, ctx.library, change.state_key)
    except UserError:
        return []
    return refresh(ctx, state, ref)
