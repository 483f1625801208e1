"""A nudge as a Slack message: its sentence at send time (the true time left) and its Block Kit
(mentions of the step's owners, Mark done / Snooze / Open checklist buttons). Pure: data in,
(fallback text, blocks) out; times are shown in the school's zone.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Iterable

from bot.calendar import dates
from bot.core import blocks as bk
from bot.core.schools import School, SchoolState
from bot.core.metadata import StepButton
from bot.nudges.planning import Nudge, asked_for, instant_or_none, owner_roles, step_done
from bot.nudges.rules import SCHEDULABLE, SNOOZE_DAYS

ANCHOR_ACTION = "anchor_dates_open"  # "Report the dates": value StepButton; the form is bot/scheduling/anchor_form.py


def _title(n: Nudge) -> str:
    step = n.dated.step
    if n.label in ("draft", "final"):
        return f"{step.title} ({n.label.upper()})"
    return step.title


def _people(school: School, roles: Iterable[str]) -> tuple[list[str], list[str]]:
    """(user ids holding the roles, roles nobody holds)."""
    users, missing = [], []
    for role in roles:
        people = school.roles.get(role) or []
        if not people:
            missing.append(role)
        for u in people:
            if u not in users:
                users.append(u)
    return users, missing


def _when(at: datetime, now: datetime, tz: str) -> str:
    return dates.days_phrase(dates.days_between(now, at, tz))


def headline(n: Nudge, state: SchoolState, now: datetime, rule: str | None = None) -> str:
    """The nudge's sentence at ``now`` (true time left), in mrkdwn with user text escaped."""
    school = state.school
    tz = school.tz
    rule = rule or n.rule
    d = n.dated
    step = d.step
    title = f"*{bk.esc(_title(n))}*"
    st = state.step_state(d.year, d.key)
    scheduled = instant_or_none(st.get("scheduled_at"))
    sched = f" It's scheduled for {dates.fmt_local(scheduled, tz)}." if scheduled else ""
    closes = d.closes_at
    schedulable = step.kind in SCHEDULABLE
    if rule == "opens":
        if step.kind == "milestone":
            return f":triangular_flag_on_post: {title} begins" + (f": until {dates.fmt_local(closes, tz, with_time=False)}." if closes else ".")
        until = ""
        if closes:
            left = dates.days_between(now, closes, tz)
            until = f" until {dates.fmt_local(closes, tz, with_time=False)} ({dates.plural(left, 'day')} left)"
        verb = "schedule it" if schedulable else "it's due by the time the window closes"
        return f":large_green_circle: {title}: the window is open{until}: {verb}."
    if rule == "midpoint":
        left = dates.days_between(now, closes, tz)
        return f":hourglass: {title} isn't scheduled yet and its window is half over: {dates.plural(left, 'day')} left, until {dates.fmt_local(closes, tz, with_time=False)}."
    if rule == "closing":
        left = dates.days_between(now, closes, tz)
        when = "today" if left == 0 else f"in {dates.plural(left, 'day')}"
        if schedulable:
            return f":warning: {title}: the window closes {when} ({dates.fmt_local(closes, tz, with_time=False)}) and it hasn't been held yet.{sched}"
        return f":warning: {title} is due {when} ({dates.fmt_local(closes, tz, with_time=False)}) and isn't marked done."
    if rule == "day-before":
        at = scheduled or n.basis
        return f":calendar: {title} is {_when(at, now, tz)}: {dates.fmt_local(at, tz)}." + (f"\nBring: {'; '.join(bk.esc(b) for b in step.bring)}" if step.bring else "")
    if rule == "notes-prompt":
        held = instant_or_none(n.detail.get("held")) or n.basis
        done = bool(st.get("done"))
        ask = "" if done else " If it was held, mark it done."
        return f":memo: {title} was held {dates.fmt_local(held, tz, with_time=False)}. Capture the notes while they're fresh: reply in this thread.{ask}"
    if rule == "ask-dates":
        return ask_line(n, state, title)
    if rule in ("overdue", "escalation"):
        where = f"*{bk.esc(school.name)}* · " if rule == "escalation" else ""
        if not n.label and d.step.anchors and d.waiting_for:
            never = " and ".join(bk.esc(d.cycle.anchors[a].title) if a in d.cycle.anchors else a for a in d.waiting_for)
            return (f":red_circle: {where}{title}: its typical window closed {dates.fmt_local(n.basis, tz, with_time=False)}, "
                    f"nobody reported {never}, and it isn't marked held.")
        if not n.label and n.detail.get("late"):  # after a late date the step allows
            return (f":red_circle: {where}{title} was scheduled for {dates.fmt_local(n.basis, tz)}, after its window "
                    f"({bk.esc(n.detail['late'])}), and it isn't marked held.")
        if n.label:
            ago = dates.days_between(now, n.basis, tz)
            return f":red_circle: {where}{title} was due {dates.fmt_local(n.basis, tz)} ({dates.days_phrase(ago)}) and isn't marked done."
        verb = "held" if schedulable else "done"
        return f":red_circle: {where}{title}: the window closed {dates.fmt_local(n.basis, tz, with_time=False)} and it isn't marked {verb}."
    if rule.startswith("before-") or rule == "morning-of":
        at = n.basis
        days_left = dates.days_between(now, at, tz)
        if step.kind == "milestone":
            return f":triangular_flag_on_post: {title}: {dates.fmt_local(at, tz, with_time=False)} ({dates.days_phrase(days_left)})."
        if days_left == 0:
            local = dates.to_local(at, tz)
            hour = "by the end of the day" if local.time() == dates.END_OF_DAY else f"at {dates.fmt_local(at, tz).split(', ', 1)[1]}"
            return f":alarm_clock: {title} is due today {hour}."
        moved = next((dl.moved_note() + dl.default_note() for dl in d.deadlines if dl.label == n.label), "")
        return f":spiral_calendar_pad: {title} is due {dates.fmt_local(at, tz)}{bk.esc(moved)} ({dates.days_phrase(days_left)})."
    if rule == "snoozed":
        inner = n.detail.get("snoozed_rule") or ""
        if inner in ("", "snoozed") or (inner == "midpoint" and scheduled):
            inner = "morning-of" if n.label else "closing"
        if inner.startswith("before-") or inner == "morning-of" or inner in ("overdue", "escalation"):
            n = Nudge(n.school_id, n.item, inner, n.series, _deadline_or_close(n), n.due_at, n.expires_at, d, n.label, n.audience, n.roles, n.status, n.detail)
        return ":zzz: Snoozed reminder: " + headline(n, state, now, rule=inner)
    return f"{title}"


def ask_line(n: Nudge, state: SchoolState, title: str) -> str:
    """The question before an event-anchored step's typical window: which dates are missing."""
    d = n.dated
    tz = state.school.tz
    missing = asked_for(d, state.anchor_dates(d.year))
    names = [d.cycle.anchors[a].title if a in d.cycle.anchors else a for a in missing]
    hints = [f"`{bk.esc(d.cycle.anchors[a].hint)}`" for a in missing if a in d.cycle.anchors and d.cycle.anchors[a].hint]
    typical = " – ".join(dates.fmt_local(p, tz, with_time=False) for p in d.typical if p) or "its window"
    waits = "hangs on" if d.step.anchors else "needs"
    return (f":question: {title} {waits} {bk.esc(' and '.join(names) or 'dates the school reports')}. When will "
            f"{'they be' if len(names) > 1 else 'it be'}? Typically {typical}. Report the dates with the button"
            + (f" or {' and '.join(hints)}" if hints else "") + ".")


def _deadline_or_close(n: Nudge) -> datetime:
    if n.label:
        return next((d.at for d in n.dated.deadlines if d.label == n.label), n.basis)
    return n.dated.closes_at or n.basis


def button_value(n: Nudge) -> str:
    """``<school>|<item>|<rule>``; a snoozed reminder carries the rule it came from."""
    rule = (n.detail.get("snoozed_rule") or "closing") if n.rule == "snoozed" else n.rule
    return f"{n.school_id}|{n.item}|{rule}"


def render(n: Nudge, state: SchoolState, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of a nudge at ``now``."""
    school = state.school
    line = headline(n, state, now)
    blocks: list[dict[str, Any]] = []
    if n.audience == "dm":
        users, _ = _people(school, owner_roles(n.dated))
        owners = " ".join(f"<@{u}>" for u in users) or f"no {n.dated.step.owner} set"
        ctx = f"Owner: {owners} · <#{school.channel_id}> · {bk.esc(n.dated.cycle.title)} {n.dated.year}"
        blocks = [bk.section(line, block_id=_block_id("nudge", n)), *_guidance(n), bk.context(ctx)]
        if not step_done(state.step_state(n.dated.year, n.dated.key), n.label):
            blocks.append(bk.actions(bk.button("Mark done", "nudge_done", button_value(n), style="primary"), block_id=_block_id("act", n)))
        return _plain(line), blocks
    users, missing = _people(school, n.roles)
    mention = " ".join(f"<@{u}>" for u in users)
    hints = [f"no {r} set: `/scep roles {r}:@name`" for r in missing]
    who = mention + (" · " if mention and hints else "") + " · ".join(hints)
    blocks.append(bk.section(line, block_id=_block_id("nudge", n)))
    blocks.extend(_guidance(n))
    blocks.append(bk.context(f"{who} · {bk.esc(n.dated.cycle.title)} {n.dated.year}" if who else f"{bk.esc(n.dated.cycle.title)} {n.dated.year}"))
    buttons = []
    if n.rule == "ask-dates":
        buttons.append(bk.button("Report the dates", ANCHOR_ACTION, StepButton(n.school_id, n.step_ref).encode(), style="primary"))
    elif not step_done(state.step_state(n.dated.year, n.dated.key), n.label):
        buttons.append(bk.button("Mark done", "nudge_done", button_value(n), style="primary"))
        if n.rule not in ("day-before",):
            buttons.append(bk.button(f"Snooze {SNOOZE_DAYS} days", "nudge_snooze", button_value(n)))
    buttons.append(bk.button("Open checklist", "open_checklist", n.step_ref))
    blocks.append(bk.actions(*buttons, block_id=_block_id("act", n)))
    text = _plain(line) + (f" {mention}" if mention else "")
    return text, blocks


def _guidance(n: Nudge) -> list[dict[str, Any]]:
    """The cycle file's ``nudge_note`` (the document's words where they change what to do), for
    the window and deadline reminders; not with the day-before and notes-prompt messages."""
    note = n.dated.step.nudge_note
    if not note or n.rule in ("day-before", "notes-prompt"):
        return []
    return [bk.context(f":information_source: {bk.esc(note)}")]


def _block_id(prefix: str, n: Nudge) -> str:
    """``nudge|<item>|<rule>``: names the nudge a message is (tests and future features read it)."""
    return f"{prefix}|{n.item}|{n.rule}"[:255]


def _plain(mrkdwn: str) -> str:
    return re.sub(r":[a-z0-9_+-]+: ", "", mrkdwn).replace("*", "")


def escalation_users(n: Nudge, school: School) -> list[str]:
    users, _ = _people(school, n.roles)
    return users
