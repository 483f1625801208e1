"""Planning: which nudges fall when. A school's *nudge calendar* computed as data from its cycles,
its state (done, scheduled, snoozed, anchors), its nudge rules and its school days.

Nothing here talks to Slack or reads the clock (``now`` is passed in, a UTC instant). A nudge
*before* something moves to the school day before; a nudge *after* something (window opened,
overdue, notes) moves to the next school day.

Keys: ``<school>|<item>/<rule>|<instant>``, where ``<item>`` is ``<year>:<cycle>/<step>``
(``:draft``/``:final``/``:due`` for a deadline) and ``<instant>`` is the UTC instant of the fact
the nudge is about (the deadline, the window's opening or closing, the visit's time). So moving
the nudge hour or adding a holiday never makes a nudge that was sent new again, while a new date
(a rescheduled visit, a district's new window) is a new fact with its own nudges.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.cycles import Cycle
from bot.calendar.dates import SchoolYear
from bot.calendar.instances import DatedStep, instantiate
from bot.core import progress
from bot.core.school_calendar import dated_cycle
from bot.core.schools import SchoolState, iso, step_key
from bot.nudges.rules import SCHEDULABLE, Rules, effective_rules
from bot.nudges.school_days import SchoolDays, school_days, school_policy

OPEN_STALE = timedelta(days=14)  # an opening nudge for a window whose end is not known yet
NOTES_STALE = timedelta(days=5)  # a notes prompt later than this says the wrong thing
OVERDUE_STALE = timedelta(days=7)  # the weekly digest covers what is overdue after that
ASK_DAYS = 14  # the owner is asked for missing event dates this many days before the typical window


@dataclass(frozen=True)
class Nudge:
    """One nudge of a school's calendar."""

    school_id: str
    item: str  # "<year>:<cycle>/<step>" plus ":<label>" for a deadline
    rule: str  # opens midpoint closing day-before notes-prompt overdue escalation before-N morning-of snoozed
    series: str  # nudges of one series replace each other (only the latest due is sent after downtime)
    basis: datetime  # UTC instant of the fact the nudge is about
    due_at: datetime  # UTC
    expires_at: datetime | None
    dated: DatedStep
    label: str | None  # deadline label, None for a window
    audience: str  # "channel" | "dm"
    roles: tuple[str, ...]  # mentioned in the channel, or the roles DM'd
    status: str = "planned"  # planned, or why not: done, scheduled, off, snoozed, before setup
    detail: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    key_suffix: str = ""

    @property
    def key(self) -> str:
        return self.school_id + (self.key_suffix or f"|{self.item}/{self.rule}|{iso(self.basis)}")

    @property
    def step_ref(self) -> str:
        """``<year>:<cycle>/<step>``: the value of the Open checklist button."""
        return step_key(self.dated.year, self.dated.key)

    @property
    def kind(self) -> str:
        if self.rule == "notes-prompt" or self.detail.get("snoozed_rule") == "notes-prompt":
            return "notes-prompt"
        return "escalation" if self.audience == "dm" else "nudge"


@dataclass(frozen=True)
class _Template:
    """A nudge that depends only on the dated step, the rules and the school days."""

    item: str
    rule: str
    series: str
    basis: datetime
    due_at: datetime
    expires_at: datetime | None
    label: str | None
    audience: str
    roles: tuple[str, ...]
    anchors: tuple[str, ...]  # anchors whose report made this nudge known
    key_suffix: str


_MEMO: dict[tuple, tuple[Cycle, list[tuple[DatedStep, Rules, list[_Template]]]]] = {}


def owner_roles(dated: DatedStep) -> tuple[str, ...]:
    """The roles a step's nudges mention: its owner, and the required participants of a step that
    is scheduled (a visit, session, meeting or review)."""
    roles = [dated.step.owner]
    if dated.step.kind in SCHEDULABLE:
        roles += [p.role for p in dated.step.participants if p.role and not p.optional]
    return tuple(dict.fromkeys(roles))


def asked_for(dated: DatedStep, reported: dict) -> tuple[str, ...]:
    """The anchors (data ready, a meeting) a step hangs on or needs that are not reported yet."""
    return tuple(n for n in dated.events if n not in reported)


def _step_templates(dated: DatedStep, rules: Rules, days: SchoolDays, reported: dict | None = None,
                    district: bool = False) -> list[_Template]:
    """The nudges of one dated step (``reported``: the school's reported anchor dates). A
    district-held step (``Step.held``) has none in a school's calendar: ``district=True`` gives
    them for the district's (``bot.nudges.district_steps``)."""
    step = dated.step
    if not rules.enabled or step.district_held != district:
        return []  # off, or not this calendar's
    item = step_key(dated.year, dated.key)
    roles = owner_roles(dated)
    out: list[_Template] = []
    tz = days.tz

    def add(rule, series, basis, day, expires, label=None, audience="channel", who=roles, anchors=()):
        if day is None:
            return
        due = days.instant(day)
        if expires is None:
            expires = due + OPEN_STALE  # a window with no known end: stale after two weeks
        if due >= expires:
            return
        it = item if label is None else f"{item}:{label}"
        out.append(_Template(it, rule, series, basis, due, expires, label, audience, tuple(who), tuple(a for a in anchors if a), f"|{it}/{rule}|{iso(basis)}"))

    opens, closes = dated.opens_at, dated.closes_at
    a_open = step.anchors.opens if step.anchors else None
    a_close = step.anchors.closes if step.anchors else None
    ask = asked_for(dated, reported)
    typical_opens = dated.typical[0] or opens
    if ask and typical_opens and ASK_DAYS:
        # before the typical window: ask the owner for the dates the step hangs on (once: the
        # basis is the typical opening, the same whatever is reported meanwhile)
        first = dates.local_today(typical_opens, tz)
        add("ask-dates", "ask", typical_opens, days.roll(first - timedelta(days=ASK_DAYS), -1), dated.typical_closes_at or closes)
    if step.anchors and (dated.estimated or (dated.waiting_for and not closes)):
        # the dates were never (fully) reported: nothing to remind of but the typical window's
        # end; once it has passed the step is overdue and escalates like any other
        late = dated.overdue_after
        if rules.overdue and late and step.kind != "milestone" and not dated.deadlines:
            day = days.roll(dates.local_today(late, tz) + timedelta(days=1), +1)
            if day:
                due = days.instant(day)
                add("overdue", "overdue", late, day, due + OVERDUE_STALE)
                if rules.escalate:
                    add("escalation", "escalation", late, day, due + OVERDUE_STALE, audience="dm", who=tuple(rules.escalate))
        if dated.estimated:
            opens = closes = None  # the typical window is not the school's: no opening/closing nudges
        else:
            closes = None
    if not dated.deadlines and (opens or closes):
        open_day = dates.local_today(opens, tz) if opens else None
        close_day = dates.local_today(closes, tz) if closes else None
        series = "remind"
        if rules.opens and opens:
            add("opens", series, opens, days.roll(open_day, +1), closes, anchors=(a_open,))
        if rules.midpoint and opens and closes:
            mid = open_day + timedelta(days=(close_day - open_day).days // 2)
            if mid > open_day:
                add("midpoint", series, dates.local_instant(mid, dates.MIDNIGHT, tz), days.roll(mid, +1), closes, anchors=(a_open, a_close))
        if rules.closing and closes:
            day = close_day - timedelta(days=rules.closing)
            if open_day is None or day > open_day:
                add("closing", series, closes, days.roll(day, -1), closes, anchors=(a_close,))
        if rules.overdue and closes and step.kind != "milestone":
            day = days.roll(close_day + timedelta(days=1), +1)
            if day:
                due = days.instant(day)
                add("overdue", "overdue", closes, day, due + OVERDUE_STALE, anchors=(a_close,))
                esc = tuple(rules.escalate)
                if esc:
                    add("escalation", "escalation", closes, day, due + OVERDUE_STALE, audience="dm", who=esc, anchors=(a_close,))
    for d in dated.deadlines:
        dday = dates.local_today(d.at, tz)
        series = f"remind:{d.label}"
        for n in rules.before:
            add(f"before-{n}", series, d.at, days.roll(dday - timedelta(days=n), -1), d.at, label=d.label)
        if rules.morning_of:
            day = days.roll(dday, -1)
            if day is not None and days.instant(day) >= d.at:  # a deadline before the nudge hour
                day = days.roll(day - timedelta(days=1), -1)
            add("morning-of", series, d.at, day, d.at, label=d.label)
        if rules.overdue and step.kind != "milestone":
            day = days.roll(dday + timedelta(days=1), +1)
            if day:
                due = days.instant(day)
                add("overdue", f"overdue:{d.label}", d.at, day, due + OVERDUE_STALE, label=d.label)
                esc = tuple(rules.escalate)
                if esc:
                    add("escalation", f"escalation:{d.label}", d.at, day, due + OVERDUE_STALE, label=d.label, audience="dm", who=esc)
    # one nudge per series and instant: the most urgent one
    best: dict[tuple[str, datetime], _Template] = {}
    for t in out:
        k = (t.series + t.item, t.due_at)
        if k not in best or _urgency(t.rule) > _urgency(best[k].rule):
            best[k] = t
    return sorted(best.values(), key=lambda t: (t.due_at, t.item, t.rule))


def _urgency(rule: str) -> int:
    """Higher is more urgent: closing beats midpoint beats opens; before-2 beats before-7; the
    morning-of beats every before-N."""
    if rule.startswith("before-"):
        return 100 - int(rule.split("-")[1])
    return {"ask-dates": 0, "opens": 1, "midpoint": 2, "closing": 3, "morning-of": 1000}.get(rule, 0)


def _cycle_templates(cycle: Cycle, year: SchoolYear, state: SchoolState, days: SchoolDays, policy: dict[str, Any], policy_sig: str):
    cycle = dated_cycle(cycle, state.school)  # the district's own dates (a new cycle object when changed)
    anchors = state.anchor_dates(year)
    key = (id(cycle), year.start, days.signature, tuple(sorted(anchors.items())), policy_sig)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is cycle:
        return hit[1]
    result = []
    for dated in instantiate(cycle, year, days.tz, anchors, days.calendar):
        rules, _ = effective_rules(cycle, dated.step.id, policy)
        result.append((dated, rules, _step_templates(dated, rules, days, anchors)))
    if len(_MEMO) > 50_000:
        _MEMO.clear()
    _MEMO[key] = (cycle, result)
    return result


def _years(cycle: Cycle, state: SchoolState, now: datetime) -> list[SchoolYear]:
    """The instances whose nudges can still matter: the current one, the one before (its late
    overdue notices) and the one after (cycles whose next year starts before this one ends)."""
    cur = progress.current_year(cycle, state, now)
    pinned = state.school.pinned_year
    return [y for y in (cur + (-1), cur, cur + 1) if not pinned or y >= pinned]


def instant_or_none(value: Any) -> datetime | None:
    """A stored instant (UTC ISO) as a datetime, or None when absent or unreadable."""
    if not value:
        return None
    try:
        return dates.parse_instant(str(value))
    except dates.DateError:
        return None


def calendar(
    state: SchoolState,
    library: CycleLibrary,
    now: datetime,
    year: SchoolYear | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Nudge]:
    """Every nudge of the school: for ``year`` (each cycle's instance of that school year), or
    the instances that matter at ``now``. Nudges that will not be sent say why in ``status``.

    With ``since``/``until`` (the provider's view): only nudges still meaningful at ``since``
    and due by ``until``, plus, for each step, its first planned nudge after ``until`` (so the
    sweep knows when to look again)."""
    school = state.school
    days = school_days(school)
    policy = school_policy(school)
    policy_sig = json.dumps(policy, sort_keys=True, default=str)
    created = instant_or_none(school.created_at)
    out: list[Nudge] = []
    for cycle in progress.school_cycles(state, library):
        years = [year] if year is not None else _years(cycle, state, now)
        for y in years:
            if not progress.follows(state, cycle, y):
                continue  # another edition of the guidance that year
            for dated, rules, templates in _cycle_templates(cycle, y, state, days, policy, policy_sig):
                st = state.step_state(y, dated.key)
                out.extend(_step_nudges(school, dated, rules, templates, st, state, days, created, since, until))
    out.sort(key=lambda n: (n.due_at, n.item, n.rule))
    return out


def step_done(st: dict[str, Any], label: str | None) -> bool:
    """Whether a step's state says it (or its ``label`` deadline; FINAL covers DRAFT) is done."""
    done = st.get("done") or {}
    if label is None:
        return bool(done)
    return label in done or (label == "draft" and "final" in done)


def _step_nudges(school, dated, rules, templates, st, state, days, created, since=None, until=None) -> list[Nudge]:
    sid = school.school_id
    tz = days.tz
    scheduled = instant_or_none(st.get("scheduled_at")) if st else None
    scheduled_on = instant_or_none(st.get("scheduled_on")) if st else None
    snoozes = (st.get("snooze") or {}) if st else {}
    anchor_known: dict[str, datetime | None] = {}
    if dated.step.anchors:
        for name in (dated.step.anchors.opens, dated.step.anchors.closes):
            if name:
                doc = state.anchors.get(f"{dated.year.name}:{name}") or {}
                anchor_known[name] = instant_or_none(doc.get("at"))
    out: list[Nudge] = []
    late = dated.late_until(scheduled) if scheduled and not dated.deadlines else None

    def status_of(series: str, due: datetime, label: str | None, rule: str, known: datetime | None, basis: datetime) -> str:
        if not rules.enabled:
            return "off"
        if st and step_done(st, label):
            return "done"
        if rule in ("opens", "midpoint") and scheduled:
            return "scheduled"
        if rule in ("closing", "overdue", "escalation") and late and label is None:
            return "scheduled after the window"  # a late date the step allows (Step.late_allowed)
        if created and (due < created or (rule in ("overdue", "escalation") and basis < created)):
            return "before setup"  # closed before tracking began: never nudged
        if known and due < known:
            return "before it was known"
        sn = snoozes.get(series)
        if sn and rule not in ("overdue", "escalation"):
            at, until_ = instant_or_none(sn.get("at")), instant_or_none(sn.get("until"))
            if at and until_ and at < due <= until_:
                return "snoozed"
        return "planned"

    beyond = False
    for t in templates:
        if since is not None and (t.expires_at or t.due_at) < since:
            continue
        if until is not None and t.due_at > until and beyond:
            continue
        known = max((k for k in (anchor_known.get(a) for a in t.anchors) if k), default=None) if t.anchors else None
        status = status_of(t.series, t.due_at, t.label, t.rule, known, t.basis)
        if until is not None and t.due_at > until:
            if status != "planned":
                continue
            beyond = True  # the first planned nudge after the window: enough to know when to look again
        out.append(Nudge(sid, t.item, t.rule, t.series, t.basis, t.due_at, t.expires_at, dated, t.label, t.audience, t.roles, status, {}, t.key_suffix))

    if not rules.enabled or not st:
        return out
    item = step_key(dated.year, dated.key)
    roles = owner_roles(dated)
    extra: list[Nudge] = []
    done = st.get("done") or {}
    done_at = None
    if done and not dated.deadlines:
        done_at = min((p for p in (instant_or_none(v.get("at")) for v in done.values() if isinstance(v, dict)) if p), default=None)
    # the day before a scheduled visit
    if rules.day_before and scheduled and not dated.deadlines:
        day = days.roll(dates.local_today(scheduled, tz) - timedelta(days=1), -1)
        if day is not None:
            due = days.instant(day)
            if due < scheduled:
                status = "done" if done else "planned"
                if status == "planned" and scheduled_on and due < scheduled_on:
                    status = "before it was known"
                if status == "planned" and created and due < created:
                    status = "before setup"
                extra.append(Nudge(sid, item, "day-before", "day-before", scheduled, due, scheduled, dated, None, "channel", roles, status))
    # a late date the step allows: overdue (and escalated) the school day after it, if not held
    if late and rules.overdue and dated.step.kind != "milestone":
        day = days.roll(dates.local_today(scheduled, tz) + timedelta(days=1), +1)
        if day is not None:
            due = days.instant(day)
            status = "done" if done else ("before setup" if created and due < created else "planned")
            after = {"late": dated.step.late_allowed.strip()}
            extra.append(Nudge(sid, item, "overdue", "overdue", scheduled, due, due + OVERDUE_STALE, dated, None, "channel", roles, status, after))
            if rules.escalate:
                extra.append(Nudge(sid, item, "escalation", "escalation", scheduled, due, due + OVERDUE_STALE, dated, None, "dm",
                                   tuple(rules.escalate), status, after))
    # the day after a held visit: a prompt for notes
    if rules.notes_prompt and not dated.deadlines and (scheduled or done_at):
        held = min(p for p in (scheduled, done_at) if p)
        held_day = dates.local_today(held, tz)
        day = days.roll(held_day + timedelta(days=1), +1)
        if day is not None:
            due = days.instant(day)
            status = "before setup" if created and due < created else "planned"
            basis = dates.local_instant(held_day, dates.MIDNIGHT, tz)
            extra.append(Nudge(sid, item, "notes-prompt", "notes", basis, due, due + NOTES_STALE, dated, None, "channel", roles, status, {"held": iso(held)}))
    # snoozed reminders
    for series, sn in snoozes.items():
        until_ = instant_or_none(sn.get("until")) if isinstance(sn, dict) else None
        if until_ is None:
            continue
        label = sn.get("label")
        snoozed_rule = sn.get("rule", "")
        if label:
            expires = next((d.at for d in dated.deadlines if d.label == label), None)
        elif snoozed_rule in ("opens", "midpoint", "closing"):
            expires = dated.closes_at
        elif snoozed_rule == "day-before":
            expires = scheduled
        else:
            expires = None
        if expires is None:
            expires = until_ + NOTES_STALE
        if until_ >= expires:
            continue
        status = "done" if step_done(st, label) else "planned"
        it = item if not label else f"{item}:{label}"
        extra.append(Nudge(sid, it, "snoozed", series, until_, until_, expires, dated, label, "channel", roles, status, {"snoozed_rule": snoozed_rule}))
    for n in extra:
        if since is not None and (n.expires_at or n.due_at) < since:
            continue
        out.append(n)
    return out

