"""Subcommands that change a school's steps: checklist, schedule, done, undo, data, meeting,
submit, step. Steps are named as people say them (``bot.steps``), dates read by ``bot.nlp_dates``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from bot.calendar import dates, nlp_dates
from bot.calendar.cycles import Cycle, DatedStep, span
from bot.calendar.nlp_dates import When
from bot.checklists import checklists
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core import progress
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import MessageUpdate, Result
from bot.core.schools import SchoolState
from bot.core.steps import (
    StepRef,
    get_step_state,
    is_current,
    mark_done,
    ref_for_key,
    resolve,
    resolve_in,
    schedulable,
    school_steps,
    set_anchor,
    set_schedule,
    split_ref,
    undo_done,
)
from bot.errors import UserError
from bot.review import review

CANCEL_WORDS = ("cancel", "cancelled", "canceled", "none", "clear", "unschedule", "remove", "delete")
LABELS = ("draft", "final", "due")
SCHEDULE_CALLBACK = "scep_schedule"
DATA_KINDS = {
    "milestones": "milestones-data", "milestone": "milestones-data", "epm": "milestones-data",
    "benchmarks": "benchmarks-data", "benchmark": "benchmarks-data", "myb": "benchmarks-data",
    "year-end": "year-end-data", "yearend": "year-end-data", "year end": "year-end-data", "eoy": "year-end-data",
}
MEETING_KINDS = {
    "fall": "fall-team-meeting", "winter": "winter-team-meeting",
    "august-pd": "august-pd", "august": "august-pd", "pd": "august-pd", "august pd": "august-pd",
}


# ---------------------------------------------------------------- checklist


@subcommand(
    "checklist",
    usage="/scep checklist [step]",
    summary="post the step's checklist in the channel (default: the next step); anyone here can tick",
    examples=["/scep checklist", "/scep checklist visit 2", "/scep checklist session 1"],
)
def cmd_checklist(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    R.require(ctx, state.school, "act")  # it posts in the channel, for everyone to tick
    if args:
        ref = resolve(state, ctx.library, ctx.now, " ".join(args))
    else:
        items = progress.next_items(state, ctx.library, ctx.now, 1)
        if not items:
            raise UserError("Nothing is open or coming for this school: name a step, like `/scep checklist visit 1`.")
        ref = StepRef(items[0].dated)
    return checklists.post_reply(ctx, state, ref)


# ---------------------------------------------------------------- schedule


@dataclass
class Scheduled:
    text: str  # public announcement (mrkdwn, escaped)
    changed: bool
    updates: list[MessageUpdate] = field(default_factory=list)


def _no_schedule_reason(dated: DatedStep, tz: str) -> str:
    step = dated.step
    if dated.deadlines:
        dl = "; ".join(f"{d.label.upper() if d.label != 'due' else 'due'} {dates.fmt_local(d.at, tz)}" for d in dated.deadlines)
        first = next((d.label for d in dated.deadlines), "")
        lab = f" {first}" if first in ("draft", "final") else ""
        return (f"{step.title} is a {step.kind} with deadlines ({dl}), not a meeting: there is nothing to schedule. "
                f"When it's done: `/scep done {step.label.lower()}{lab}`.")
    if step.kind == "milestone":
        return f"{step.title} is a milestone of the calendar, not a meeting: there is nothing to schedule."
    if step.kind == "deliverable":
        return f"{step.title} is a deliverable, not a meeting: there is nothing to schedule. When it's done: `/scep done {step.label.lower()}`."
    return f"{step.title} has no dates to schedule against."


def _window_text(dated: DatedStep, tz: str) -> str:
    if dated.opens_at and dated.closes_at:
        rng = f"{dates.fmt_local(dated.opens_at, tz, with_time=False)} – {dates.fmt_local(dated.closes_at, tz, with_time=False)}"
        return ("typically " if dated.estimated else "") + rng
    if dated.opens_at:
        return "from " + dates.fmt_local(dated.opens_at, tz, with_time=False)
    if dated.closes_at:
        return "until " + dates.fmt_local(dated.closes_at, tz, with_time=False)
    return "no window"


def _instance_for(state: SchoolState, ctx: Ctx, ref: StepRef, instant: datetime) -> StepRef:
    """The current year's step, or next year's when the date falls in next year's window only."""
    d = ref.dated
    if d.opens_at and d.closes_at and d.opens_at <= instant <= d.closes_at:
        return ref
    try:
        nxt = ref_for_key(state, ctx.library, f"{(ref.year + 1).name}:{d.key}")
    except UserError:
        return ref
    n = nxt.dated
    if n.opens_at and n.closes_at and n.opens_at <= instant <= n.closes_at and is_current(state, ctx.library, ctx.now, nxt):
        return nxt
    return ref


def schedule_warnings(state: SchoolState, dated: DatedStep, when: When, doc: dict[str, Any]) -> list[str]:
    """Allowed, but worth saying: outside the window, before the data it needs, already done."""
    tz = state.school.tz
    out = []
    at = when.instant
    if (dated.opens_at and at < dated.opens_at) or (dated.closes_at and at > dated.closes_at):
        where = "before" if dated.opens_at and at < dated.opens_at else "after"
        out.append(f"That is {where} {dated.step.label}'s window ({_window_text(dated, tz)}).")
    if dated.waiting_for:
        titles = [bk.esc(dated.cycle.anchors[a].title) if a in dated.cycle.anchors else a for a in dated.waiting_for]
        out.append(f"{dated.step.label} waits for {' and '.join(titles)}: the window above is the typical one.")
    anchors = state.anchor_dates(dated.year)
    for name in dated.step.needs:
        ad = dated.cycle.anchors.get(name)
        title = bk.esc(ad.title) if ad else name
        day = anchors.get(name)
        if day is None:
            hint = f" (`{bk.esc(ad.hint)}`)" if ad and ad.hint else ""
            out.append(f"{dated.step.label} needs {title}, not reported yet{hint}.")
        elif when.day < day:
            out.append(f"{dated.step.label} needs {title}, reported for {dates.fmt_day(day)}: after this date.")
    if doc.get("done"):
        out.append(f"{dated.step.label} is already marked done (`/scep undo {dated.step.label.lower()}` to reopen it).")
    return out


def do_schedule(ctx: Ctx, state: SchoolState, ref: StepRef, when: When | None, *, dry: bool = False) -> Scheduled:
    """Schedule (``when``) or cancel (None) a step: checks, the write, the announcement.

    ``dry``: the checks only (a UserError says what is wrong), nothing written.
    """
    school = state.school
    R.require(ctx, school, "act")
    dated = ref.dated
    tz = school.tz
    if not schedulable(dated):
        raise UserError(_no_schedule_reason(dated, tz))
    if when is None:
        doc = state.step_state(ref.year, ref.key)
        if not doc.get("scheduled_at"):
            raise UserError(f"{dated.step.title} has no date to cancel.")
        was = dates.fmt_local(dates.parse_instant(doc["scheduled_at"]), tz)
        if dry:
            return Scheduled("", False)
        with ctx.store.transaction(school.school_id) as tx:
            set_schedule(tx, ref, None, ctx.user_id, ctx.now)
        text = f":calendar: <@{ctx.user_id}> cancelled the date of *{bk.esc(dated.step.title)}* (was {was})."
        return Scheduled(text, True, checklists.refresh(ctx, SchoolState.read(ctx.store.view(school.school_id)), ref))
    if when.instant is None:
        raise UserError(f"What time on {when.echo}? Add it, like `{when.day:%b} {when.day.day} 10am`.")
    if when.instant <= ctx.now:
        days = dates.days_between(ctx.now, when.instant, tz)
        ago = "earlier today" if days == 0 else dates.days_phrase(days)
        raise UserError(f"{nlp_dates.describe(when)} is in the past ({ago}): pick a time still to come, like `next Tuesday at 2pm` or `tomorrow 10am`.")
    ref = _instance_for(state, ctx, ref, when.instant)
    dated = ref.dated
    doc = state.step_state(ref.year, ref.key)
    before = doc.get("scheduled_at")
    warnings = schedule_warnings(state, dated, when, doc)
    if dry:
        return Scheduled("", False)
    with ctx.store.transaction(school.school_id) as tx:
        changed = set_schedule(tx, ref, when.instant, ctx.user_id, ctx.now)
    if not changed:
        return Scheduled(f"{bk.esc(dated.step.title)} is already scheduled for {when.echo}.", False)
    verb = "rescheduled" if before else "scheduled"
    text = f":calendar: <@{ctx.user_id}> {verb} *{bk.esc(dated.step.title)}* ({dated.year}) for *{nlp_dates.describe(when)}*"
    if before:
        text += f" (was {dates.fmt_local(dates.parse_instant(before), tz)})"
    text += "."
    text += "".join(f"\n:warning: {w}" for w in warnings)
    new_state = SchoolState.read(ctx.store.view(school.school_id))
    return Scheduled(text, True, checklists.refresh(ctx, new_state, ref))


def _schedule_picker(ctx: Ctx, state: SchoolState, ref: StepRef) -> Result:
    dated = ref.dated
    tz = state.school.tz
    doc = state.step_state(ref.year, ref.key)
    now_line = f"scheduled for {dates.fmt_local(dates.parse_instant(doc['scheduled_at']), tz)}" if doc.get("scheduled_at") else "not scheduled yet"
    ex = dates.add_days(dates.local_today(ctx.now, tz), 1)
    if dated.opens_at and dates.local_today(dated.opens_at, tz) > ex:
        ex = dates.local_today(dated.opens_at, tz)
    while ex.weekday() >= 5:  # an example on a school day
        ex = dates.add_days(ex, 1)
    text = (f"*{bk.esc(dated.step.title)}* ({dated.year}): window {_window_text(dated, tz)}; {now_line}.\n"
            f"Type a date: `/scep schedule {bk.esc(dated.step.label.lower())} {ex:%b} {ex.day} 10am` (or `next Tuesday at 2pm`, `tomorrow 3pm`), "
            f"`/scep schedule {bk.esc(dated.step.label.lower())} cancel`, or pick one:")
    button = bk.button("Pick a date", "sched_open", f"{state.school.school_id}|{ref.state_key}", style="primary")
    return Result(text=text, blocks=[bk.section(text), bk.actions(button)])


@subcommand(
    "schedule",
    usage="/scep schedule <step> <when> | /scep schedule <step> cancel",
    summary="set (or change, or cancel) the date of a visit, session or meeting",
    examples=["/scep schedule visit 2 Dec 14 10am", "/scep schedule session 1 next Tuesday at 2pm", "/scep schedule v2 cancel"],
    writes=True,
)
def cmd_schedule(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    tz = state.school.tz
    steps = school_steps(state, ctx.library, ctx.now)
    if not args:
        items = [i for i in progress.next_items(state, ctx.library, ctx.now, 20) if schedulable(i.dated) and not i.scheduled_at]
        if not items:
            raise UserError("Name the step and the date: `/scep schedule visit 2 Dec 14 10am`")
        return _schedule_picker(ctx, state, StepRef(items[0].dated))

    def rest(tail: str):
        t = tail.strip()
        if not t:
            return None
        if t.lower() in CANCEL_WORDS:
            return "cancel"
        return nlp_dates.parse(t, ctx.now, tz, need_time=True, prefer="future")

    ref, when = split_ref(steps, args, rest)
    if when is None:
        R.require(ctx, state.school, "act")
        if not schedulable(ref.dated):
            raise UserError(_no_schedule_reason(ref.dated, tz))
        return _schedule_picker(ctx, state, ref)
    result = do_schedule(ctx, state, ref, None if when == "cancel" else when)
    return Result(text=result.text, blocks=[bk.section(result.text)], public=result.changed, updates=result.updates)


def schedule_view(ctx: Ctx, school_id: str, key: str, origin_channel: str) -> Result:
    """The "Pick a date" modal: Slack's date and time pickers, in the school's zone."""
    from bot.core.result import failed

    try:
        state = checklists._state(ctx, school_id)
        R.require(ctx, state.school, "act")
        ref = ref_for_key(state, ctx.library, key)
        if not schedulable(ref.dated):
            raise UserError(_no_schedule_reason(ref.dated, state.school.tz))
    except UserError as exc:
        return failed(str(exc))
    tz = state.school.tz
    dated = ref.dated
    doc = state.step_state(ref.year, ref.key)
    today = dates.local_today(ctx.now, tz)
    initial_day, initial_time = None, "10:00"
    if doc.get("scheduled_at"):
        local = dates.to_local(dates.parse_instant(doc["scheduled_at"]), tz)
        initial_day, initial_time = local.date(), f"{local:%H:%M}"
    elif dated.opens_at:
        initial_day = max(today, dates.local_today(dated.opens_at, tz))
        if dated.closes_at and initial_day > dates.local_today(dated.closes_at, tz):
            initial_day = None
    date_el: dict[str, Any] = {"type": "datepicker", "action_id": "value"}
    if initial_day:
        date_el["initial_date"] = initial_day.isoformat()
    blocks: list[dict[str, Any]] = [
        bk.section(f"*{bk.esc(dated.step.title)}* · {bk.esc(state.school.name)}\nWindow: {_window_text(dated, tz)}"
                   + (f"\nNow scheduled for {dates.fmt_local(dates.parse_instant(doc['scheduled_at']), tz)}" if doc.get("scheduled_at") else "")),
        {"type": "input", "block_id": "date", "label": {"type": "plain_text", "text": "Date"}, "element": date_el},
        {"type": "input", "block_id": "time", "label": {"type": "plain_text", "text": f"Time ({tz})"},
         "element": {"type": "timepicker", "action_id": "value", "initial_time": initial_time}},
    ]
    if doc.get("scheduled_at"):
        blocks.append({"type": "input", "block_id": "cancel", "optional": True, "label": {"type": "plain_text", "text": "Or"},
                       "element": {"type": "checkboxes", "action_id": "value",
                                   "options": [{"text": {"type": "plain_text", "text": "Cancel the scheduled date"}, "value": "cancel"}]}})
    view = {
        "type": "modal",
        "callback_id": SCHEDULE_CALLBACK,
        "private_metadata": f"{school_id}|{ref.state_key}|{origin_channel}",
        "title": {"type": "plain_text", "text": "Pick a date"},
        "submit": {"type": "plain_text", "text": "Schedule"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }
    return Result(open_view=view)


def schedule_submitted(ctx: Ctx, meta: str, values: dict[str, Any], *, dry: bool = False) -> tuple[dict[str, str] | None, Result]:
    """The "Pick a date" modal sent: (field errors, or None; what to post)."""
    parts = str(meta or "").split("|")
    if len(parts) != 3:
        return {"date": "This form is out of date: close it and try again."}, Result()
    school_id, key, _origin = parts

    def get(bid: str) -> dict[str, Any]:
        return (values.get(bid) or {}).get("value") or {}

    cancel = bool(get("cancel").get("selected_options"))
    day_s, time_s = get("date").get("selected_date"), get("time").get("selected_time")
    try:
        state = checklists._state(ctx, school_id)
        ref = ref_for_key(state, ctx.library, key)
        if cancel:
            result = do_schedule(ctx, state, ref, None, dry=dry)
        else:
            if not day_s:
                return {"date": "Pick a day."}, Result()
            if not time_s:
                return {"time": "Pick a time."}, Result()
            try:
                day = date.fromisoformat(day_s)
                hh, mm = (int(x) for x in time_s.split(":")[:2])
                when = nlp_dates.at_local(day, time(hh, mm), state.school.tz, ctx.now)
            except (ValueError, TypeError):
                return {"date": "Pick a day and a time with the pickers."}, Result()
            result = do_schedule(ctx, state, ref, when, dry=dry)
    except UserError as exc:
        field_ = "cancel" if cancel else "date"
        return {field_: bk.clip(str(exc), 150)}, Result()
    if dry:
        return None, Result()
    if not result.changed:
        return None, Result(text=result.text, refresh_home=[ctx.user_id])
    post_channel = state.school.channel_id
    from bot.core.result import Post

    return None, Result(posts=[Post(channel=post_channel, text=result.text, blocks=[bk.section(result.text)])],
                         updates=result.updates, refresh_home=[ctx.user_id])


# ---------------------------------------------------------------- done / undo


def _label_rest(tail: str) -> str | None:
    t = tail.strip().lower()
    if not t:
        return None
    if t in LABELS:
        return t
    raise UserError(f"'{bk.esc(bk.clip(tail.strip(), 80))}': after the step, say `draft` or `final` (for deliverables that have both), or nothing.")


@subcommand(
    "done",
    usage="/scep done <step> [draft|final]",
    summary="mark a step (or a deliverable's DRAFT or FINAL) done",
    examples=["/scep done visit 1", "/scep done priority levers draft", "/scep done session 1"],
    writes=True,
)
def cmd_done(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    R.require(ctx, state.school, "act")
    ref, label = split_ref(school_steps(state, ctx.library, ctx.now), args, _label_rest)
    dated = ref.dated
    doc = state.step_state(ref.year, ref.key)
    if label is None and dated.deadlines:
        label = checklists.next_label(dated, doc) or dated.deadlines[-1].label
    with ctx.store.transaction(state.school.school_id) as tx:
        already = (get_step_state(tx, ref).get("done") or {}).get(label or "held")
        if already is None and label == "draft" and "final" in (get_step_state(tx, ref).get("done") or {}):
            already = get_step_state(tx, ref)["done"]["final"]
        marked = mark_done(tx, ref, label, ctx.user_id, ctx.now)
    name = dated.step.title + (f" ({marked.upper()})" if marked in ("draft", "final") else "")
    tz = state.school.tz
    if already:
        text = f"{bk.esc(name)} was already marked done by <@{already.get('by')}> on {dates.fmt_local(dates.parse_instant(already['at']), tz)}."
        return Result(text=text, blocks=[bk.section(text)])
    text = f":white_check_mark: <@{ctx.user_id}> marked *{bk.esc(name)}* done."
    cl = checklists.for_ref(state, ref)
    done_n, total = checklists.counts(cl, doc)
    if total and done_n < total:
        text += f" Its checklist is {done_n}/{total}: `/scep checklist {bk.esc(dated.step.label.lower())}`."
    if dated.step.kind == "deliverable" and review.reviewers(state) and review.next_submission(dated, doc):
        text += f" Send it for review: `/scep submit {bk.esc(dated.step.label.lower())}{' ' + marked if marked in ('draft', 'final') else ''}`."
    new_state = SchoolState.read(ctx.store.view(state.school.school_id))
    return Result(text=text, blocks=[bk.section(text)], public=True, updates=checklists.refresh(ctx, new_state, ref))


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
    ref, label = split_ref(school_steps(state, ctx.library, ctx.now), args, _label_rest)
    with ctx.store.transaction(state.school.school_id) as tx:
        removed = undo_done(tx, ref, label, ctx.user_id, ctx.now)
    name = ref.dated.step.title
    if not removed:
        what = f"{name} ({label.upper()})" if label else name
        text = f"{bk.esc(what)} isn't marked done: nothing to undo."
        return Result(text=text, blocks=[bk.section(text)])
    parts = ", ".join(r.upper() for r in removed if r in ("draft", "final"))
    text = f":leftwards_arrow_with_hook: <@{ctx.user_id}> reopened *{bk.esc(name)}*" + (f" ({parts})" if parts else "") + "."
    new_state = SchoolState.read(ctx.store.view(state.school.school_id))
    return Result(text=text, blocks=[bk.section(text)], public=True, updates=checklists.refresh(ctx, new_state, ref))


# ---------------------------------------------------------------- data / meeting (anchors)


def _anchor_cycle(state: SchoolState, ctx: Ctx, anchor: str, what: str) -> Cycle:
    for cycle in progress.school_cycles(state, ctx.library):
        if anchor in cycle.anchors:
            return cycle
    users = [c.title for c in ctx.library.cycles.values() if anchor in c.anchors]
    hint = f" ({', '.join(users)} does)" if users else ""
    raise UserError(f"This school's cycles don't wait for {what}{hint}: nothing to record.")


def _anchor_year(state: SchoolState, ctx: Ctx, cycle: Cycle, day: date):
    tz = state.school.tz
    year = progress.current_year(cycle, state, ctx.now)
    s = span(cycle, year, tz)
    if s and day > dates.local_today(s[1], tz):
        return year + 1
    if s and day < dates.add_days(dates.local_today(s[0], tz), -200):
        raise UserError(f"{dates.fmt_day(day)} is before this school's {year} {cycle.title}: give this year's date.")
    return year


def _set_anchor(ctx: Ctx, args: list[str], kinds: dict[str, str], what_word: str, usage: str) -> Result:
    state = ctx.state()
    words = [a for a in args]
    if not words:
        raise UserError(f"Which one? {usage}")
    kind = words[0].lower()
    rest = words[1:]
    if kind in ("year", "august") and rest and rest[0].lower() in ("end", "pd"):
        kind, rest = f"{kind}-{rest[0].lower()}", rest[1:]
    anchor = kinds.get(kind)
    if anchor is None:
        raise UserError(f"'{bk.esc(bk.clip(words[0], 80))}' isn't one I track. {usage}")
    R.require(ctx, state.school, "act")
    cycle = _anchor_cycle(state, ctx, anchor, cycle_title(ctx, anchor))
    title = cycle.anchors[anchor].title
    if rest and rest[0].lower() in ("ready", "is", "on", "at", "was", "available"):
        rest = rest[1:]
        if rest and rest[0].lower() in ("on", "since", "from", "at"):
            rest = rest[1:]
    tz = state.school.tz
    if rest and " ".join(rest).lower() in ("clear", "unknown", "not ready", "none", "cancel"):
        year = progress.current_year(cycle, state, ctx.now)
        if anchor not in state.anchor_dates(year):
            raise UserError(f"Nothing recorded for {bk.esc(title)} in {year}.")
        with ctx.store.transaction(state.school.school_id) as tx:
            set_anchor(tx, year, anchor, None, ctx.user_id, ctx.now)
        text = f":wastebasket: <@{ctx.user_id}> cleared the date for {bk.esc(title)} ({year})."
        return Result(text=text, blocks=[bk.section(text)], public=True)
    if not rest and what_word == "meeting":
        raise UserError(f"When is it? {usage}")
    cur = progress.current_year(cycle, state, ctx.now)
    s = span(cycle, cur, tz)
    within = (dates.local_today(s[0], tz), dates.local_today(s[1], tz)) if s else None
    when = nlp_dates.parse(" ".join(rest) or "today", ctx.now, tz, need_time=False, prefer="nearest", within=within)
    year = _anchor_year(state, ctx, cycle, when.day)
    before = state.anchor_dates(year).get(anchor)
    with ctx.store.transaction(state.school.school_id) as tx:
        set_anchor(tx, year, anchor, when.day, ctx.user_id, ctx.now)
    new_state = SchoolState.read(ctx.store.view(state.school.school_id))
    text = f":pushpin: <@{ctx.user_id}> recorded {bk.esc(title)}: *{dates.fmt_day(when.day)}* ({year})"
    if before and before != when.day:
        text += f", was {dates.fmt_day(before)}"
    text += "."
    text += "".join("\n" + line for line in anchor_effects(new_state, cycle, year, anchor))
    updates: list[MessageUpdate] = []
    for dated in progress._dated_steps(cycle, year, new_state):
        if anchor in (getattr(dated.step.anchors, "opens", None), getattr(dated.step.anchors, "closes", None)) or anchor in dated.step.needs:
            updates += checklists.refresh(ctx, new_state, StepRef(dated))
    return Result(text=text, blocks=[bk.section(text)], public=True, updates=updates)


def cycle_title(ctx: Ctx, anchor: str) -> str:
    for c in ctx.library.cycles.values():
        if anchor in c.anchors:
            return c.anchors[anchor].title
    return anchor


def anchor_effects(state: SchoolState, cycle: Cycle, year, anchor: str) -> list[str]:
    """What the reported date changes: the windows of the steps that hang on it."""
    tz = state.school.tz
    out = []
    for dated in progress._dated_steps(cycle, year, state):
        a = dated.step.anchors
        if a and anchor in (a.opens, a.closes):
            if dated.waiting_for:
                names = [cycle.anchors[w].title if w in cycle.anchors else w for w in dated.waiting_for]
                hints = [cycle.anchors[w].hint for w in dated.waiting_for if w in cycle.anchors and cycle.anchors[w].hint]
                out.append(f"{bk.esc(dated.step.title)} now waits only for {bk.esc(' and '.join(names))}" + (f" (`{bk.esc(hints[0])}`)" if hints else "") + ".")
            else:
                out.append(f"{bk.esc(dated.step.title)} can be held {_window_text(dated, tz)}.")
                if dated.opens_at and dated.closes_at and dates.local_today(dated.closes_at, tz) <= dates.local_today(dated.opens_at, tz):
                    out.append(":warning: The team meeting is not after the data is ready: there is no room for the session in between. Check both dates.")
        elif anchor in dated.step.needs:
            out.append(f"{bk.esc(dated.step.title)} needed it: it can go ahead.")
    return out


@subcommand(
    "data",
    usage="/scep data <milestones|benchmarks|year-end> ready [when]",
    summary="record when data is (or will be) ready: planning sessions and visit 5 hang on it",
    examples=["/scep data milestones ready", "/scep data benchmarks ready Jan 20", "/scep data year-end ready June 24", "/scep data milestones clear"],
    writes=True,
)
def cmd_data(ctx: Ctx, args: list[str]) -> Result:
    usage = "`/scep data milestones ready [date]`, `/scep data benchmarks ready Jan 20` or `/scep data year-end ready June 24`"
    return _set_anchor(ctx, args, DATA_KINDS, "data", usage)


@subcommand(
    "meeting",
    usage="/scep meeting <fall|winter|august-pd> <when>",
    summary="record the date of the fall or winter SCEP team meeting, or the first day of August PD",
    examples=["/scep meeting fall Nov 10", "/scep meeting winter Feb 2", "/scep meeting august-pd Aug 22"],
    writes=True,
)
def cmd_meeting(ctx: Ctx, args: list[str]) -> Result:
    usage = "`/scep meeting fall Nov 10`, `/scep meeting winter Feb 2` or `/scep meeting august-pd Aug 22`"
    return _set_anchor(ctx, args, MEETING_KINDS, "meeting", usage)


# ---------------------------------------------------------------- submit / step


def _submit_rest(tail: str) -> str | None:
    t = tail.strip().lower()
    if not t:
        return None
    if t in LABELS or t == "plan":
        return t
    raise UserError(f"'{bk.esc(bk.clip(tail.strip(), 80))}': after the step, say `draft` or `final`, or nothing.")


@subcommand(
    "submit",
    usage="/scep submit <step> [draft|final]",
    summary="send a plan for review: its reviewers get Approve / Request changes",
    examples=["/scep submit priority levers draft", "/scep submit visit 5", "/scep submit revisions"],
    writes=True,
)
def cmd_submit(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    ref, label = split_ref(school_steps(state, ctx.library, ctx.now), args, _submit_rest)
    return review.submit_reply(ctx, state, ref, label)


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
    cl_text = checklists.progress_text(state, dated, doc, always=True)
    if cl_text:
        lines.append(f":ballot_box_with_check: {cl_text} (`/scep checklist {bk.esc(dated.step.label.lower())}`)")
    rv = review.status_text(doc, tz)
    if rv:
        lines.append(rv)
    hist = review.history_lines(doc, tz)
    text = "\n".join(lines)
    blocks = [bk.section(text)]
    if hist:
        blocks.append(bk.section("*Review history*\n" + "\n".join(hist[-15:])))
    buttons = checklists.step_buttons(state, dated, doc)
    if buttons:
        blocks.append(bk.actions(*buttons))
    return Result(text=text + ("\n" + "\n".join(hist) if hist else ""), blocks=blocks)


__all__ = ["do_schedule", "schedule_view", "schedule_submitted", "resolve_in"]
