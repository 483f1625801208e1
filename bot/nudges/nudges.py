"""Nudges: the reminders the clock sends about windows and deadlines, computed as data.

Nothing here talks to Slack or reads the clock. A school's *nudge calendar* for a school year is
computed from its cycles, its state (done, scheduled, snoozed, anchors), its nudge policy and its
school days; the outbox provider ``nudges`` turns the calendar into ``Outgoing`` messages that the
sweep (``schedules/sweep.py``) claims in the school's ledger and posts.

Policy (``NudgeRules`` in ``bot/cycles.py``), from the weakest to the strongest:
built-in defaults per step kind (``DEFAULTS``) < the cycle file's ``nudges: {default: ...}`` <
the cycle file's ``nudges: {<kind>: ...}`` < the step's own ``nudges:`` < the school's ``all``
overrides < the school's overrides for that step (``/scep remind``).

When: 09:00 school-local (the school may choose another hour) on a school day: never Saturday
or Sunday, nor the school's extra quiet weekdays, nor a school or district holiday. A nudge
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
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable

from bot.calendar import dates
from bot.calendar.cycles import (
    MAX_NUDGE_DAYS,
    Cycle,
    CycleLibrary,
    DatedStep,
    NudgeRules,
    instantiate,
)
from bot.calendar.dates import SchoolYear
from bot.core import blocks as bk
from bot.core import progress
from bot.core.outbox import Outgoing, provider
from bot.core.schools import School, SchoolState, iso, step_key

NUDGE_TIME = time(9, 0)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKEND = frozenset({5, 6})
SNOOZE_DAYS = 2
OPEN_STALE = timedelta(days=14)  # an opening nudge for a window whose end is not known yet
NOTES_STALE = timedelta(days=5)  # a notes prompt later than this says the wrong thing
OVERDUE_STALE = timedelta(days=7)  # the weekly digest covers what is overdue after that
LOOKBACK = timedelta(days=30)  # after longer downtime, older nudges are not even recorded as skipped
LOOKAHEAD = timedelta(days=14)  # the provider returns what falls due this soon, and each step's next one
MAX_HOLIDAY_RANGE = 120  # days in one holiday range
POLICY_KEY = "nudges"  # School.extra["nudges"]: the school's overrides
DISTRICT_KEY = "_district"  # School.extra["_district"]: the workspace's settings, attached by readers
DISTRICT_HOLIDAYS_SETTING = "holidays"  # store setting: the district's holidays

# Built-in defaults per step kind (Python names of NudgeRules fields).
_WINDOW_ALL = {"opens": True, "midpoint": True, "closing": 3, "day_before": True, "notes_prompt": True, "overdue": True}
_DEADLINE_ALL = {"before": [14, 7, 2], "morning_of": True}
DEFAULTS: dict[str, dict[str, Any]] = {
    "visit": {"enabled": True, **_WINDOW_ALL, **_DEADLINE_ALL, "escalate": ["liaison"]},
    "session": {"enabled": True, **_WINDOW_ALL, **_DEADLINE_ALL, "escalate": ["liaison"]},
    "meeting": {"enabled": True, **_WINDOW_ALL, "notes_prompt": False, **_DEADLINE_ALL, "escalate": ["liaison"]},
    "review": {"enabled": True, **_WINDOW_ALL, "notes_prompt": False, **_DEADLINE_ALL, "escalate": ["liaison"]},
    "deliverable": {"enabled": True, **_WINDOW_ALL, "midpoint": False, "day_before": False, "notes_prompt": False, **_DEADLINE_ALL, "escalate": ["liaison", "district"]},
    "milestone": {"enabled": True, "opens": True, "midpoint": False, "closing": 0, "day_before": False, "notes_prompt": False, "overdue": False, "before": [], "morning_of": True, "escalate": []},
}
FIELDS = ("enabled", "opens", "midpoint", "closing", "day_before", "notes_prompt", "before", "morning_of", "overdue", "escalate")
WINDOW_FIELDS = ("opens", "midpoint", "closing", "day_before", "notes_prompt", "overdue")
DEADLINE_FIELDS = ("before", "morning_of", "overdue")
SCHEDULABLE = ("visit", "session", "meeting", "review")



def alias(name: str) -> str:
    """``day_before`` -> ``day-before`` (the spelling of YAML files and /scep remind)."""
    return name.replace("_", "-")


# ---------------------------------------------------------------- school days


@dataclass(frozen=True)
class SchoolDays:
    """When a school may be nudged: ``at`` local time on a day that is not quiet."""

    tz: str
    at: time = NUDGE_TIME
    quiet: frozenset[int] = WEEKEND
    holidays: frozenset[date] = frozenset()

    def is_school_day(self, day: date) -> bool:
        return day.weekday() not in self.quiet and day not in self.holidays

    def roll(self, day: date, step: int) -> date | None:
        """``day`` if it is a school day, else the nearest one in direction ``step`` (+1/-1)."""
        for _ in range(400):
            if self.is_school_day(day):
                return day
            day = day + timedelta(days=step)
        return None

    def instant(self, day: date) -> datetime:
        return dates.local_instant(day, self.at, self.tz)

    @property
    def signature(self) -> tuple:
        return (self.tz, self.at, self.quiet, self.holidays)


def parse_holidays(entries: Iterable[str]) -> frozenset[date]:
    """Days from ``YYYY-MM-DD`` and ``YYYY-MM-DD..YYYY-MM-DD`` entries (bad entries are ignored
    here: they are refused when typed)."""
    out: set[date] = set()
    for entry in entries or ():
        try:
            first, last = parse_holiday(str(entry))
        except ValueError:
            continue
        d = first
        while d <= last:
            out.add(d)
            d += timedelta(days=1)
    return frozenset(out)


_HOLIDAY_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?$")


def parse_holiday(text: str) -> tuple[date, date]:
    """``2021-12-24`` or ``2021-12-24..2022-01-02`` -> (first, last); ValueError saying the form."""
    form = "write a holiday as a date like 2021-11-25, or a range like 2021-12-24..2022-01-02"
    m = _HOLIDAY_RE.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not a holiday: {form}")
    try:
        first = date.fromisoformat(m.group(1))
        last = date.fromisoformat(m.group(2)) if m.group(2) else first
    except ValueError:
        raise ValueError(f"'{text}' is not a real date: {form}") from None
    if last < first:
        raise ValueError(f"'{text}' ends before it starts: {form}")
    if (last - first).days >= MAX_HOLIDAY_RANGE:
        raise ValueError(f"'{text}' is {(last - first).days + 1} days long: a holiday range is at most {MAX_HOLIDAY_RANGE} days")
    return first, last


def school_policy(school: School) -> dict[str, Any]:
    """The school's nudge overrides (``School.extra["nudges"]``), always a dict."""
    doc = school.extra.get(POLICY_KEY)
    return doc if isinstance(doc, dict) else {}


def attach_district(state: SchoolState, holidays: list[str] | None) -> SchoolState:
    """Give ``state`` the district's holidays (a workspace setting) so its calendar knows them."""
    state.school.extra[DISTRICT_KEY] = {"holidays": list(holidays or [])}
    return state


def school_days(school: School) -> SchoolDays:
    pol = school_policy(school)
    at = NUDGE_TIME
    if pol.get("time"):
        try:
            at = time.fromisoformat(pol["time"])
        except ValueError:
            pass
    quiet = set(WEEKEND) | {WEEKDAYS.index(d) for d in pol.get("quiet", []) if d in WEEKDAYS}
    district = (school.extra.get(DISTRICT_KEY) or {}).get("holidays") or []
    return SchoolDays(school.tz, at, frozenset(quiet), parse_holidays([*(school.holidays or []), *district]))


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rules:
    enabled: bool
    opens: bool
    midpoint: bool
    closing: int
    day_before: bool
    notes_prompt: bool
    before: tuple[int, ...]
    morning_of: bool
    overdue: bool
    escalate: tuple[str, ...]


def effective_rules(cycle: Cycle, step_id: str, policy: dict[str, Any]) -> tuple[Rules, list[str]]:
    """The rules for one step, and where each came from (for ``/scep remind``)."""
    step = cycle.step(step_id)
    merged: dict[str, Any] = dict(DEFAULTS[step.kind])
    origin = {k: "default" for k in merged}
    layers: list[tuple[str, dict[str, Any]]] = []
    if "default" in cycle.nudges:
        layers.append(("cycle", cycle.nudges["default"].given()))
    if step.kind in cycle.nudges:
        layers.append(("cycle", cycle.nudges[step.kind].given()))
    if step.nudges is not None:
        layers.append(("step", step.nudges.given()))
    if isinstance(policy.get("all"), dict):
        layers.append(("school", policy["all"]))
    own = (policy.get("steps") or {}).get(f"{cycle.id}/{step.id}")
    if isinstance(own, dict):
        layers.append(("school", own))
    for where, layer in layers:
        for k, v in layer.items():
            if k in FIELDS:
                merged[k] = v
                origin[k] = where
    if policy.get("enabled") is False:
        merged["enabled"] = False
        origin["enabled"] = "school"
    rules = Rules(
        enabled=bool(merged["enabled"]),
        opens=bool(merged["opens"]),
        midpoint=bool(merged["midpoint"]),
        closing=int(merged["closing"] or 0),
        day_before=bool(merged["day_before"]),
        notes_prompt=bool(merged["notes_prompt"]),
        before=tuple(sorted({int(b) for b in merged["before"] or []}, reverse=True)),
        morning_of=bool(merged["morning_of"]),
        overdue=bool(merged["overdue"]),
        escalate=tuple(merged["escalate"] or ()),
    )
    changed = sorted(alias(k) for k, w in origin.items() if w == "school")
    return rules, changed


def validate_rules(given: dict[str, Any]) -> dict[str, Any]:
    """Rules typed by a person, checked by the same schema as the cycle files; Python names."""
    return NudgeRules.model_validate(given).given()


# ---------------------------------------------------------------- the calendar


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


def _owner_roles(dated: DatedStep) -> tuple[str, ...]:
    roles = [dated.step.owner]
    if dated.step.kind in SCHEDULABLE:
        roles += [p.role for p in dated.step.participants if p.role and not p.optional]
    return tuple(dict.fromkeys(roles))


def _step_templates(dated: DatedStep, rules: Rules, days: SchoolDays) -> list[_Template]:
    step = dated.step
    if not rules.enabled or (step.anchors and dated.estimated):
        return []  # off, or an event-relative step whose events are not reported yet
    item = step_key(dated.year, dated.key)
    roles = _owner_roles(dated)
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
    return {"opens": 1, "midpoint": 2, "closing": 3, "morning-of": 1000}.get(rule, 0)


def _cycle_templates(cycle: Cycle, year: SchoolYear, state: SchoolState, days: SchoolDays, policy: dict[str, Any], policy_sig: str):
    anchors = state.anchor_dates(year)
    key = (id(cycle), year.start, days.signature, tuple(sorted(anchors.items())), policy_sig)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is cycle:
        return hit[1]
    result = []
    for dated in instantiate(cycle, year, days.tz, anchors):
        rules, _ = effective_rules(cycle, dated.step.id, policy)
        result.append((dated, rules, _step_templates(dated, rules, days)))
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


def _parse(value: Any) -> datetime | None:
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
    created = _parse(school.created_at)
    out: list[Nudge] = []
    for cycle in progress.school_cycles(state, library):
        years = [year] if year is not None else _years(cycle, state, now)
        for y in years:
            for dated, rules, templates in _cycle_templates(cycle, y, state, days, policy, policy_sig):
                st = state.step_state(y, dated.key)
                out.extend(_step_nudges(school, dated, rules, templates, st, state, days, created, since, until))
    out.sort(key=lambda n: (n.due_at, n.item, n.rule))
    return out


def _done(st: dict[str, Any], label: str | None) -> bool:
    done = st.get("done") or {}
    if label is None:
        return bool(done)
    return label in done or (label == "draft" and "final" in done)


def _step_nudges(school, dated, rules, templates, st, state, days, created, since=None, until=None) -> list[Nudge]:
    sid = school.school_id
    tz = days.tz
    scheduled = _parse(st.get("scheduled_at")) if st else None
    scheduled_on = _parse(st.get("scheduled_on")) if st else None
    snoozes = (st.get("snooze") or {}) if st else {}
    anchor_known: dict[str, datetime | None] = {}
    if dated.step.anchors:
        for name in (dated.step.anchors.opens, dated.step.anchors.closes):
            if name:
                doc = state.anchors.get(f"{dated.year.name}:{name}") or {}
                anchor_known[name] = _parse(doc.get("at"))
    out: list[Nudge] = []

    def status_of(series: str, due: datetime, label: str | None, rule: str, known: datetime | None) -> str:
        if not rules.enabled:
            return "off"
        if st and _done(st, label):
            return "done"
        if rule in ("opens", "midpoint") and scheduled:
            return "scheduled"
        if created and due < created:
            return "before setup"
        if known and due < known:
            return "before it was known"
        sn = snoozes.get(series)
        if sn and rule not in ("overdue", "escalation"):
            at, until_ = _parse(sn.get("at")), _parse(sn.get("until"))
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
        status = status_of(t.series, t.due_at, t.label, t.rule, known)
        if until is not None and t.due_at > until:
            if status != "planned":
                continue
            beyond = True  # the first planned nudge after the window: enough to know when to look again
        out.append(Nudge(sid, t.item, t.rule, t.series, t.basis, t.due_at, t.expires_at, dated, t.label, t.audience, t.roles, status, {}, t.key_suffix))

    if not rules.enabled or (dated.step.anchors and dated.estimated) or not st:
        return out
    item = step_key(dated.year, dated.key)
    roles = _owner_roles(dated)
    extra: list[Nudge] = []
    done = st.get("done") or {}
    done_at = None
    if done and not dated.deadlines:
        done_at = min((p for p in (_parse(v.get("at")) for v in done.values() if isinstance(v, dict)) if p), default=None)
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
        until_ = _parse(sn.get("until")) if isinstance(sn, dict) else None
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
        status = "done" if _done(st, label) else "planned"
        it = item if not label else f"{item}:{label}"
        extra.append(Nudge(sid, it, "snoozed", series, until_, until_, expires, dated, label, "channel", roles, status, {"snoozed_rule": snoozed_rule}))
    for n in extra:
        if since is not None and (n.expires_at or n.due_at) < since:
            continue
        out.append(n)
    return out


def next_school_morning(school: School, now: datetime, days_ahead: int) -> datetime:
    """The nudge hour on the first school day at least ``days_ahead`` local days after ``now``."""
    days = school_days(school)
    day = days.roll(dates.local_today(now, school.tz) + timedelta(days=days_ahead), +1) or (dates.local_today(now, school.tz) + timedelta(days=days_ahead))
    return days.instant(day)


# ---------------------------------------------------------------- messages


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
    scheduled = _parse(st.get("scheduled_at"))
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
        held = _parse(n.detail.get("held")) or n.basis
        done = bool(st.get("done"))
        ask = "" if done else " If it was held, mark it done."
        return f":memo: {title} was held {dates.fmt_local(held, tz, with_time=False)}. Capture the notes while they're fresh: reply in this thread.{ask}"
    if rule in ("overdue", "escalation"):
        where = f"*{bk.esc(school.name)}* · " if rule == "escalation" else ""
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
        return f":spiral_calendar_pad: {title} is due {dates.fmt_local(at, tz)} ({dates.days_phrase(days_left)})."
    if rule == "snoozed":
        inner = n.detail.get("snoozed_rule") or ""
        if inner in ("", "snoozed") or (inner == "midpoint" and scheduled):
            inner = "morning-of" if n.label else "closing"
        if inner.startswith("before-") or inner == "morning-of" or inner in ("overdue", "escalation"):
            n = Nudge(n.school_id, n.item, inner, n.series, _deadline_or_close(n), n.due_at, n.expires_at, d, n.label, n.audience, n.roles, n.status, n.detail)
        return ":zzz: Snoozed reminder: " + headline(n, state, now, rule=inner)
    return f"{title}"


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
        users, _ = _people(school, _owner_roles(n.dated))
        owners = " ".join(f"<@{u}>" for u in users) or f"no {n.dated.step.owner} set"
        ctx = f"Owner: {owners} · <#{school.channel_id}> · {bk.esc(n.dated.cycle.title)} {n.dated.year}"
        blocks = [bk.section(line, block_id=_block_id("nudge", n)), bk.context(ctx)]
        if not _done(state.step_state(n.dated.year, n.dated.key), n.label):
            blocks.append(bk.actions(bk.button("Mark done", "nudge_done", button_value(n), style="primary"), block_id=_block_id("act", n)))
        return _plain(line), blocks
    users, missing = _people(school, n.roles)
    mention = " ".join(f"<@{u}>" for u in users)
    hints = [f"no {r} set: `/scep roles {r}:@name`" for r in missing]
    who = mention + (" · " if mention and hints else "") + " · ".join(hints)
    blocks.append(bk.section(line, block_id=_block_id("nudge", n)))
    blocks.append(bk.context(f"{who} · {bk.esc(n.dated.cycle.title)} {n.dated.year}" if who else f"{bk.esc(n.dated.cycle.title)} {n.dated.year}"))
    buttons = []
    if not _done(state.step_state(n.dated.year, n.dated.key), n.label):
        buttons.append(bk.button("Mark done", "nudge_done", button_value(n), style="primary"))
        if n.rule not in ("day-before",):
            buttons.append(bk.button(f"Snooze {SNOOZE_DAYS} days", "nudge_snooze", button_value(n)))
    buttons.append(bk.button("Open checklist", "open_checklist", n.step_ref))
    blocks.append(bk.actions(*buttons, block_id=_block_id("act", n)))
    text = _plain(line) + (f" {mention}" if mention else "")
    return text, blocks


def _block_id(prefix: str, n: Nudge) -> str:
    """``nudge|<item>|<rule>``: names the nudge a message is (tests and future features read it)."""
    return f"{prefix}|{n.item}|{n.rule}"[:255]


def _plain(mrkdwn: str) -> str:
    return re.sub(r":[a-z0-9_+-]+: ", "", mrkdwn).replace("*", "")


def escalation_users(n: Nudge, school: School) -> list[str]:
    users, _ = _people(school, n.roles)
    return users


# ---------------------------------------------------------------- the outbox provider


@provider("nudges")
def nudges_due(state: SchoolState, library: CycleLibrary, now: datetime) -> list[Outgoing]:
    """The school's planned nudges as messages (those due later included: the sweep holds them)."""
    school = state.school
    out: list[Outgoing] = []
    horizon = now + LOOKAHEAD
    later = False
    for n in calendar(state, library, now, since=now - LOOKBACK, until=horizon):
        if n.status != "planned":
            continue
        if n.due_at > horizon:
            if later:
                continue
            later = True  # the earliest after the horizon tells the sweep when to look again
        if n.rule == "notes-prompt":  # the nudge calendar says when; the notes feature says what
            prompt = _notes_prompt(n, state, now)
            if prompt is not None:
                out.append(prompt)
            continue
        if n.audience == "dm":
            users = escalation_users(n, school)
            if not users:
                continue
            target = {"dm_users": users}
        else:
            if not school.channel_id:
                continue
            target = {"channel": school.channel_id}
        out.append(
            Outgoing(
                key=n.key,
                school_id=school.school_id,
                due_at=n.due_at,
                render=_renderer(n, state),
                expires_at=n.expires_at,
                kind=n.kind,
                meta={"series": f"{n.item}#{n.series}", "item": n.item, "rule": n.rule, "step": n.step_ref},
                **target,
            )
        )
    return out


def _notes_prompt(n: Nudge, state: SchoolState, now: datetime) -> Outgoing | None:
    """The notes prompt (``bot.notes``: guiding questions, commitments, one reply each) at the
    nudge's time; its thread is registered when posted. None once a prompt was posted (by hand
    with ``/scep notes start``, or earlier)."""
    from bot.notes.prompts import prompt_outgoing

    if state.step_state(n.dated.year, n.dated.key).get("prompt") or not state.school.channel_id:
        return None
    out = prompt_outgoing(state, n.dated, n.due_at, now)
    out.key, out.expires_at = n.key, n.expires_at
    prompt_render = out.render

    def render_with_buttons(at: datetime):
        """The prompt, tagged as this nudge, with its buttons (Mark done while not done)."""
        text, blocks = prompt_render(at)
        nudge_text, nudge_blocks = render(n, state, at)
        blocks = [dict(b) for b in blocks]
        if blocks:
            blocks[0]["block_id"] = f"nudge|{n.item}|{n.rule}"
        mentions = " ".join(dict.fromkeys(re.findall(r"<@[UW][A-Z0-9]+>", nudge_text)))
        if mentions:  # the step's owners, as on every nudge, so they are notified
            blocks.append(bk.context(f"For {mentions}"))
            text += f"\nFor {mentions}"
        blocks.extend(b for b in nudge_blocks if str(b.get("block_id", "")).startswith("act|"))
        return text, blocks

    out.render = render_with_buttons
    out.meta.update({"series": f"{n.item}#{n.series}", "item": n.item, "rule": n.rule})
    return out


def _renderer(n: Nudge, state: SchoolState):
    return lambda now: render(n, state, now)


# ---------------------------------------------------------------- changes (buttons, /scep remind)


def parse_button(value: str) -> tuple[str, SchoolYear, str, str, str | None, str]:
    """``<school>|<year>:<cycle>/<step>[:label]|<rule>`` -> (school, year, cycle, step, label, rule)."""
    try:
        sid, item, rule = value.split("|")
        year_text, rest = item.split(":", 1)
        path, _, label = rest.partition(":")
        cycle_id, step_id = path.split("/")
        return sid, SchoolYear.parse(year_text), cycle_id, step_id, (label or None), rule
    except (ValueError, dates.DateError):
        raise ValueError(f"not a nudge button value: {value!r}") from None


def find_dated(state: SchoolState, library: CycleLibrary, year: SchoolYear, cycle_id: str, step_id: str) -> DatedStep | None:
    cycle = library.get(cycle_id)
    if cycle is None or cycle.step(step_id) is None:
        return None
    return next((d for d in instantiate(cycle, year, state.school.tz, state.anchor_dates(year)) if d.step.id == step_id), None)


def snooze(tx, dated: DatedStep, label: str | None, rule: str, school: School, who: str, now: datetime) -> datetime:
    """Hold a step's reminders for ``SNOOZE_DAYS`` days: they come back, once, at the nudge hour
    of the first school day after. Returns that instant. The caller checks the step is not done."""
    from bot.core.schools import STEP_KIND
    from bot.core.steps import audit

    until = next_school_morning(school, now, SNOOZE_DAYS)
    key = step_key(dated.year, dated.key)
    doc = tx.get(STEP_KIND, key) or {}
    series = series_of(rule, label)
    snoozes = dict(doc.get("snooze") or {})
    if (snoozes.get(series) or {}).get("until") == iso(until):
        return until  # the same click again (delivered twice, or a second person): snoozed once
    snoozes[series] = {"until": iso(until), "at": iso(now), "by": who, "rule": rule, "label": label}
    doc["snooze"] = snoozes
    tx.put(STEP_KIND, key, doc)
    audit(tx, who, now, "snoozed", step=dated.key, year=dated.year.name, label=label, until=iso(until))
    return until


def series_of(rule: str, label: str | None) -> str:
    if rule in ("overdue", "escalation"):
        return rule + (f":{label}" if label else "")
    if rule == "notes-prompt":
        return "notes"
    if rule == "day-before":
        return "day-before"
    return "remind" + (f":{label}" if label else "")


def is_done(state: SchoolState, dated: DatedStep, label: str | None) -> bool:
    return _done(state.step_state(dated.year, dated.key), label)


__all__ = [
    "DEFAULTS", "Nudge", "Rules", "SchoolDays", "attach_district", "calendar", "effective_rules", "headline",
    "nudges_due", "parse_button", "parse_holiday", "parse_holidays", "render", "school_days", "school_policy",
    "snooze", "validate_rules", "MAX_NUDGE_DAYS",
]
