"""Checklists: a step of a cycle as boxes to tick, built from its cycle file.

A checklist has three phases: *before* (participants with their counts, what to bring, the
agenda), *during* (the events with their durations, the guiding questions, for sessions the
tips) and *after* (for sessions the deliverable; the summary per commitment, sharing it, what the
district keeps for the state). Each box has a stable id (a hash of its phase and text); the
checklist's *version* is a hash of all its ids, so a click on a message rendered from an older
cycle file (or before the school's commitments changed) is recognised as stale.

Ticks are stored per school and step, in the step's document under ``checklist``:
``{"ticks": {item id: {"at": iso, "by": user}}, "messages": [{"channel", "ts"}]}``; the
messages are the channel posts of this checklist, updated in place after every tick.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.calendar import dates
from bot.calendar.cycles import DatedStep
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core import progress
from bot.core.command import small_int
from bot.core.context import Ctx
from bot.core.result import MessageUpdate, Post, Result, failed
from bot.core.schools import School, SchoolState, iso
from bot.core.steps import (
    StaleStep,
    StepRef,
    audit,
    get_step_state,
    is_current,
    mark_done,
    ref_for_key,
    schedulable,
    submittable,
)
from bot.errors import UserError
from bot.store.port import Store
from bot.store.schema import CHECKLIST_KEY, STEP_KIND

MAX_OPTIONS = 10  # Slack: at most 10 options in one checkboxes element
OPTION_TEXT = 75  # Slack: an option's text and description are at most 75 characters
MAX_MESSAGES = 5  # channel posts of one checklist kept in sync
BLOCK_PREFIX = "ck"
TOGGLE_PREFIX = "ck_toggle_"
DONE_ACTION = "ck_done"
MODAL_CALLBACK = "scep_checklist"
PHASES = (("before", "Before"), ("during", "During"), ("after", "After"))
SUMMARY_MARK = "for each commitment"


@dataclass(frozen=True)
class Item:
    id: str
    phase: str
    text: str  # as the cycle file (or the school's commitments) gives it: escape to show


@dataclass(frozen=True)
class Checklist:
    dated: DatedStep
    items: tuple[Item, ...]
    info: dict[str, tuple[str, ...]] = field(default_factory=dict)  # phase -> mrkdwn lines (escaped)

    @property
    def version(self) -> str:
        return hashlib.sha1("|".join(i.id for i in self.items).encode()).hexdigest()[:8]

    @property
    def key(self) -> str:
        return f"{self.dated.year.name}:{self.dated.key}"

    def groups(self) -> list[tuple[str, list[Item]]]:
        """The checkbox elements in order: (phase, up to 10 items) each."""
        out: list[tuple[str, list[Item]]] = []
        for phase, _ in PHASES:
            items = [i for i in self.items if i.phase == phase]
            for n in range(0, len(items), MAX_OPTIONS):
                out.append((phase, items[n : n + MAX_OPTIONS]))
        return out


# ---------------------------------------------------------------- building


def _minutes(events) -> str:
    lo = hi = 0
    for e in events:
        if e.optional or e.minutes is None:
            continue
        a, b = e.minutes if isinstance(e.minutes, tuple) else (e.minutes, e.minutes)
        lo, hi = lo + a, hi + b
    if not hi:
        return ""
    return f"{lo} min" if lo == hi else f"{lo}-{hi} min"


def build(dated: DatedStep, school: School, anchors: dict[str, Any] | None = None) -> Checklist:
    """The checklist of one dated step for one school (its commitments expand the summaries)."""
    step = dated.step
    rows: list[tuple[str, str]] = []
    info: dict[str, list[str]] = {"before": [], "during": [], "after": []}
    for p in step.participants:
        rows.append(("before", f"Invite: {p.describe()}"))
    for b in step.bring:
        rows.append(("before", f"Bring: {b}"))
    if step.events:
        total = _minutes(step.events)
        rows.append(("before", "Send the agenda to the participants" + (f" (about {total}, see During)" if total else " (see During)")))
    anchors = anchors or {}
    for name in step.needs:
        ad = dated.cycle.anchors.get(name)
        title = ad.title if ad else name
        day = anchors.get(name)
        if day:
            info["before"].append(f":white_check_mark: Needs {bk.esc(title)}: reported for {dates.fmt_day(day)}")
        else:
            hint = f" (tell me: `{bk.esc(ad.hint)}`)" if ad and ad.hint else ""
            info["before"].append(f":hourglass: Needs {bk.esc(title)}: not reported yet{hint}")
    for e in step.events:
        rows.append(("during", e.describe()))
    for q in step.guiding_questions:
        rows.append(("during", f"Discuss: {q}"))
    for t in step.tips:
        rows.append(("during", f"Tip: {t}"))
    if step.deliverable:
        rows.append(("after", f"Deliverable: {step.deliverable}"))
    for a in step.after:
        if not step.reporting:
            info["after"].append(bk.esc(a))
            continue
        if SUMMARY_MARK in a.lower() and school.commitments:
            for n, c in enumerate(school.commitments, 1):
                rows.append(("after", f"Summary for commitment {n} ({c}) on the SCEP Support Visit template"))
            continue
        rows.append(("after", a))
        if SUMMARY_MARK in a.lower():
            info["after"].append("_Set the school's commitments (`/scep commitments`) to get one box per commitment._")
    if not step.reporting and not step.after:
        info["after"].append("No reporting requirement for this step.")
    seen: dict[str, int] = {}
    items = []
    for phase, text in rows:
        n = seen.get(f"{phase}|{text}", 0)
        seen[f"{phase}|{text}"] = n + 1
        digest = hashlib.sha1(f"{phase}|{text}|{n}".encode()).hexdigest()[:10]
        items.append(Item(digest, phase, text))
    return Checklist(dated, tuple(items), {k: tuple(v) for k, v in info.items()})


def for_ref(state: SchoolState, ref: StepRef) -> Checklist:
    return build(ref.dated, state.school, state.anchor_dates(ref.year))


def ticks_of(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(((doc or {}).get(CHECKLIST_KEY) or {}).get("ticks") or {})


def counts(cl: Checklist, doc: dict[str, Any]) -> tuple[int, int]:
    ticks = ticks_of(doc)
    return sum(1 for i in cl.items if i.id in ticks), len(cl.items)


def progress_text(state: SchoolState, dated: DatedStep, doc: dict[str, Any] | None = None, *, always: bool = False) -> str | None:
    """``checklist 4/9`` for a step, or None when it has no boxes (or none ticked, unless ``always``)."""
    cl = build(dated, state.school, state.anchor_dates(dated.year))
    done, total = counts(cl, doc if doc is not None else state.step_state(dated.year, dated.key))
    if not total or (not done and not always):
        return None
    return f"checklist {done}/{total}"


# ---------------------------------------------------------------- rendering


def block_id(school_id: str, cl: Checklist, n: int) -> str:
    return f"{BLOCK_PREFIX}|{school_id}|{cl.key}|{cl.version}|{n}"


def parse_block_id(value: str) -> tuple[str, str, str, int] | None:
    parts = str(value or "").split("|")
    n = small_int(parts[4], 1000) if len(parts) == 5 and parts[0] == BLOCK_PREFIX else None
    if n is None:
        return None
    return parts[1], parts[2], parts[3], n


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _header_line(state: SchoolState, cl: Checklist, doc: dict[str, Any], now: datetime) -> str:
    from bot.review import review

    tz = state.school.tz
    dated = cl.dated
    bits = [f"*{bk.esc(state.school.name)}*", f"{bk.esc(dated.cycle.title)} {dated.year}"]
    items = progress._step_items(dated, doc, now)
    if items:
        bits.append(bk.when_phrase(items[0], now, tz))
    if doc.get("scheduled_at"):
        bits.append(f":calendar: scheduled {dates.fmt_local(dates.parse_instant(doc['scheduled_at']), tz)}")
    done_marks = doc.get("done") or {}
    for label, mark in done_marks.items():
        what = "done" if label in ("held", "due") else f"{label.upper()} done"
        bits.append(f":white_check_mark: {what} {dates.fmt_local(dates.parse_instant(mark['at']), tz, with_time=False)} by <@{mark.get('by', '?')}>")
    rv = review.status_text(doc, tz)
    if rv:
        bits.append(rv)
    return " · ".join(bits)


def render(state: SchoolState, cl: Checklist, doc: dict[str, Any], now: datetime, *, readonly: bool = False,
           banner: str | None = None, modal: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The checklist as (fallback text, blocks): boxes grouped by phase, 10 to an element."""
    step = cl.dated.step
    sid = state.school.school_id
    ticks = ticks_of(doc)
    done, total = counts(cl, doc)
    tz = state.school.tz
    blocks: list[dict[str, Any]] = []
    if not modal:
        blocks.append(bk.header(f"Checklist · {step.title}"))
    if banner:
        blocks.append(bk.section(banner))
    progress_line = f"*{done}/{total} done*" if total else "nothing to tick"
    blocks.append(bk.context(_header_line(state, cl, doc, now) + f" · {progress_line}"))
    if step.purpose:
        blocks.append(bk.section(bk.esc(step.purpose)))
    number = 0
    groups = cl.groups()
    for phase, title in PHASES:
        phase_groups = [(n, g) for n, (p, g) in enumerate(groups) if p == phase]
        lines = list(cl.info.get(phase, ()))
        if not phase_groups and not lines:
            continue
        head = f"*{title}*"
        if phase == "during" and cl.dated.step.events and _minutes(cl.dated.step.events):
            head += f" · about {_minutes(cl.dated.step.events)}"
        blocks.append(bk.section("\n".join([head, *lines])))
        for n, group in phase_groups:
            options, initial, long_texts = [], [], []
            for item in group:
                number += 1
                label = f"{number}. {item.text}"
                text = _short(bk.esc(label), OPTION_TEXT)
                if len(bk.esc(label)) > OPTION_TEXT:
                    long_texts.append(f"{number}. {bk.esc(item.text)}")
                opt: dict[str, Any] = {"text": {"type": "mrkdwn", "text": text}, "value": item.id}
                tick = ticks.get(item.id)
                if tick:
                    when = dates.to_local(dates.parse_instant(tick["at"]), tz)
                    opt["description"] = {"type": "mrkdwn", "text": f"✓ <@{tick.get('by', '?')}> · {when:%b} {when.day}"}
                options.append(opt)
                if tick:
                    initial.append(opt)
            if readonly:
                rows = [(":white_check_mark: " if o in initial else ":white_square: ") + o["text"]["text"] for o in options]
                blocks.append(bk.section("\n".join(rows)))
            else:
                element: dict[str, Any] = {"type": "checkboxes", "action_id": f"{TOGGLE_PREFIX}{n}", "options": options}
                if initial:
                    element["initial_options"] = initial
                blocks.append({"type": "actions", "block_id": block_id(sid, cl, n), "elements": [element]})
            if long_texts:
                blocks.append(bk.context(bk.clip("\n".join(long_texts), 2000)))
    if not cl.items and not any(cl.info.values()):
        blocks.append(bk.section("Nothing to tick for this step in its cycle file."))
    if not readonly:
        buttons = step_buttons(state, cl.dated, doc)
        if buttons:
            blocks.append(bk.actions(*buttons, block_id=f"ckb|{sid}|{cl.key}"))
    text = f"Checklist for {step.title} ({state.school.name}): {done}/{total} done"
    limit = 100 if modal else bk.MAX_BLOCKS
    if len(blocks) > limit:
        blocks = blocks[: limit - 1] + [bk.context("…more boxes than Slack can show at once: `/scep checklist` in the channel")]
    return bk.esc(text), blocks


def step_buttons(state: SchoolState, dated: DatedStep, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Buttons that act on the step: pick a date, mark done, submit for review."""
    from bot.review import review

    sid = state.school.school_id
    key = f"{dated.year.name}:{dated.key}"
    done = doc.get("done") or {}
    out = []
    if schedulable(dated) and not done:
        out.append(bk.button("Pick a date" if not doc.get("scheduled_at") else "Reschedule", "sched_open", f"{sid}|{key}"))
    label = next_label(dated, doc)
    if label is not None:
        text = "Mark done" if label in ("held", "due") else f"Mark {label.upper()} done"
        out.append(bk.button(text, DONE_ACTION, f"{sid}|{key}|{label}", style="primary"))
    if submittable(dated):
        sub = review.next_submission(dated, doc)
        if sub is not None:
            out.append(bk.button(sub[1], review.SUBMIT_ACTION, f"{sid}|{key}|{sub[0]}"))
    return out


def next_label(dated: DatedStep, doc: dict[str, Any]) -> str | None:
    """The label the next "mark done" marks: the first deadline not done, or ``held``."""
    done = doc.get("done") or {}
    labels = [d.label for d in dated.deadlines]
    if not labels:
        return None if done else "held"
    if "final" in done:
        return None
    for label in labels:
        if label not in done:
            return label
    return None


def modal_view(state: SchoolState, cl: Checklist, doc: dict[str, Any], now: datetime, origin_channel: str, banner: str | None = None) -> dict[str, Any]:
    """The checklist in a modal (from App Home or a nudge's button); ticks work the same."""
    _, blocks = render(state, cl, doc, now, modal=True, banner=banner)
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "private_metadata": f"{state.school.school_id}|{cl.key}|{origin_channel}",
        "title": {"type": "plain_text", "text": f"{cl.dated.step.label}: checklist"[:24]},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


# ---------------------------------------------------------------- store


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


def apply_ticks(tx, ref: StepRef, changes: dict[str, bool], who: str, now: datetime, labels: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """Tick (True) or untick (False) boxes; returns (ticked, unticked) ids that really changed.
    ``labels`` (item id -> text) puts the items' words in the audit entry."""
    doc = get_step_state(tx, ref)
    ck = dict(doc.get(CHECKLIST_KEY) or {})
    ticks = dict(ck.get("ticks") or {})
    ticked, unticked = [], []
    for item_id, on in changes.items():
        if on and item_id not in ticks:
            ticks[item_id] = {"at": iso(now), "by": who}
            ticked.append(item_id)
        elif not on and item_id in ticks:
            ticks.pop(item_id)
            unticked.append(item_id)
    if ticked or unticked:
        ck["ticks"] = ticks
        doc[CHECKLIST_KEY] = ck
        tx.put(STEP_KIND, ref.state_key, doc)
        names = labels or {}
        audit(tx, who, now, "checklist", step=ref.key, year=ref.year.name, ticked=ticked, unticked=unticked,
              ticked_items=[names.get(i, i)[:120] for i in ticked], unticked_items=[names.get(i, i)[:120] for i in unticked])
    return ticked, unticked


# ---------------------------------------------------------------- what people do


def _state(ctx: Ctx, school_id: str) -> SchoolState:
    state = SchoolState.read(ctx.store.view(school_id)) if school_id and ctx.store.index_entry(school_id) else None
    if state is None:
        raise StaleStep("This school is no longer tracked here: `/scep schools` lists the schools.")
    return state


def post_reply(ctx: Ctx, state: SchoolState, ref: StepRef) -> Result:
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
        fresh = SchoolState.read(store.view(sid))
        if fresh is None:
            return text, blocks
        return render(fresh, for_ref(fresh, ref), fresh.step_state(ref.year, ref.key), now, banner=banner)

    return [MessageUpdate(c, t, text, blocks, on_gone=gone(c, t), rerender=rerender) for c, t in msgs]


def _stale_outcome(ctx: Ctx, reason: str, message: tuple[str, str] | None, state: SchoolState | None = None,
                   ref: StepRef | None = None) -> Result:
    """A click on an outdated checklist: say so, and close (or refresh) the old message."""
    out = failed(reason)
    if message:
        blocks = [bk.section(f":no_entry: {reason}")]
        if state is not None and ref is not None:
            blocks.append(bk.actions(bk.button("Open the current checklist", "ck_current", f"{state.school.school_id}|{ref.dated.key}")))
        out.updates.append(MessageUpdate(message[0], message[1], reason, blocks))
    return out


def _own_channel(state: SchoolState, message: tuple[str, str] | None) -> None:
    """A school's checklist is posted in its own channel only: a click on one anywhere else (a
    forged or copied button) is refused, and that message is not rewritten with the school's data."""
    if message and message[0] != state.school.channel_id:
        raise UserError(f"This checklist belongs to {bk.esc(state.school.name)}: use it in <#{state.school.channel_id}>.")


def toggle(ctx: Ctx, block: str, selected: list[str], shown: list[str] | None, *,
           message: tuple[str, str] | None = None, in_modal: bool = False, origin_channel: str = "") -> Result:
    """A click on checkboxes: record what changed (who, when) and re-render everywhere.

    ``selected``: the element's options selected after the click; ``shown``: those shown
    selected before it (from the message or modal the click came from; None if unknown: the
    store is compared instead). Only the boxes this click changed are written, so two people
    ticking at once never undo each other.
    """
    parsed = parse_block_id(block)
    if parsed is None:
        return failed("I can't read that checklist: type `/scep checklist &lt;step&gt;` for a fresh one.")
    school_id, key, version, n = parsed
    try:
        state = _state(ctx, school_id)
        R.require(ctx, state.school, "act")
        _own_channel(state, message)
        ref = ref_for_key(state, ctx.library, key)
    except StaleStep as exc:
        return _stale_outcome(ctx, f"This checklist is out of date: {exc}", message)
    except UserError as exc:
        return failed(str(exc))
    if not is_current(state, ctx.library, ctx.now, ref):
        current = progress.current_year(ref.dated.cycle, state, ctx.now)
        return _stale_outcome(
            ctx,
            f"This checklist is for {ref.year}, which has ended for this school (now {current}): nothing was saved. "
            f"Type `/scep checklist {ref.dated.step.label}` for the current one.",
            message, state, ref,
        )
    cl = for_ref(state, ref)
    groups = cl.groups()
    if version != cl.version or n >= len(groups):
        out = failed(f"The {ref.dated.step.label} checklist changed since this was shown (its cycle file or the school's commitments), so your click was not saved. I've refreshed it: tick again.")
        if in_modal:
            out.update_view = modal_view(state, cl, state.step_state(ref.year, ref.key), ctx.now, origin_channel)
        out.updates = refresh(ctx, state, ref, also=message)
        return out
    ids = [i.id for i in groups[n][1]]
    chosen = {v for v in selected if v in ids}
    with ctx.store.transaction(school_id) as tx:
        current = ticks_of(tx.get(STEP_KIND, ref.state_key) or {})
        before = {v for v in shown if v in ids} if shown is not None else {i for i in ids if i in current}
        changes = {i: (i in chosen) for i in ids if (i in chosen) != (i in before)}
        apply_ticks(tx, ref, changes, ctx.user_id, ctx.now, {i.id: i.text for i in groups[n][1]})
    state = _state(ctx, school_id)
    out = Result(updates=refresh(ctx, state, ref, also=message), refresh_home=[ctx.user_id] if in_modal else [])
    if in_modal:
        out.update_view = modal_view(state, cl, state.step_state(ref.year, ref.key), ctx.now, origin_channel)
    return out


def mark_done_click(ctx: Ctx, value: str, *, message: tuple[str, str] | None = None, in_modal: bool = False,
                    origin_channel: str = "") -> Result:
    """The "Mark done" button of a checklist: value ``school|key|label``."""
    parts = str(value or "").split("|")
    if len(parts) != 3:
        return failed("I can't read that button: type `/scep done &lt;step&gt;` instead.")
    school_id, key, label = parts
    try:
        state = _state(ctx, school_id)
        R.require(ctx, state.school, "act")
        _own_channel(state, message)
        ref = ref_for_key(state, ctx.library, key)
        if not is_current(state, ctx.library, ctx.now, ref):
            raise StaleStep(f"That button is for {ref.year}, which has ended: `/scep done {ref.dated.step.label}` marks this year's.")
        with ctx.store.transaction(school_id) as tx:
            already = (get_step_state(tx, ref).get("done") or {}).get(label)
            mark_done(tx, ref, None if label == "held" else label, ctx.user_id, ctx.now)
    except UserError as exc:
        return failed(str(exc))
    state = _state(ctx, school_id)
    out = Result(updates=refresh(ctx, state, ref, also=message), refresh_home=[ctx.user_id] if in_modal else [])
    what = ref.dated.step.label + ("" if label in ("held", "due") else f" ({label.upper()})")
    if already:
        out.text = f"{bk.esc(what)} was already marked done by <@{already.get('by')}>."
    elif message:
        out.posts.append(Post(channel=message[0], text=f":white_check_mark: <@{ctx.user_id}> marked {bk.esc(what)} done.", thread_ts=message[1]))
    if in_modal:
        out.update_view = modal_view(state, for_ref(state, ref), state.step_state(ref.year, ref.key), ctx.now, origin_channel)
    return out


def open_modal(ctx: Ctx, school_id: str, key: str, origin_channel: str = "") -> Result:
    """Show a step's checklist in a modal (App Home's button, a nudge's "Open checklist")."""
    try:
        state = _state(ctx, school_id)
        R.require(ctx, state.school, "read")
        ref = ref_for_key(state, ctx.library, key)
    except UserError as exc:
        return failed(str(exc))
    banner = None
    if not is_current(state, ctx.library, ctx.now, ref):
        # an old nudge: show this year's checklist of the same step instead
        try:
            from bot.core.steps import resolve

            ref = resolve(state, ctx.library, ctx.now, f"{ref.dated.cycle.id}/{ref.dated.step.id}")
            banner = f"_That button was for an earlier year; this is the checklist for {ref.year}._"
        except UserError as exc:
            return failed(str(exc))
    cl = for_ref(state, ref)
    return Result(open_view=modal_view(state, cl, state.step_state(ref.year, ref.key), ctx.now, origin_channel, banner))
