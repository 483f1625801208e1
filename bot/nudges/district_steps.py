"""Steps held once per district (``held: district`` in a cycle file: the district's training and
reflection, the SEZP Board's approval): one nudge calendar per district, not per school.

Each school shows such a step as a milestone (never overdue there, never nudged in its channel:
``bot.core.progress``, ``bot.nudges.planning``). This workspace provider (``district-steps``)
plans the step's nudges once, on the calendar of the first school (by id) that follows it, and
sends them by DM to the district role of the schools that follow it (never the liaison); an
overdue step is one DM to the same people (no second, "escalation", message). A step marked done
in any of those schools is done for the district. Keys ``district|<team>|<item>/<rule>|<instant>``
are claimed in the workspace ledger: one message per district, whatever the number of schools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.instances import DatedStep
from bot.core import blocks as bk
from bot.core import progress
from bot.core.outbox import Outgoing
from bot.core.schools import SchoolState, step_key
from bot.nudges.planning import _step_templates, _years, step_done
from bot.nudges.rules import effective_rules
from bot.nudges.school_days import school_days, school_policy

LOOKBACK = timedelta(days=30)
LOOKAHEAD = timedelta(days=14)
SAYS = {
    "opens": "opens today", "midpoint": "is half-way through its window", "closing": "closes soon",
    "morning-of": "is due today", "overdue": "is overdue",
}


@dataclass
class _Held:
    dated: DatedStep
    states: list[SchoolState] = field(default_factory=list)

    @property
    def item(self) -> str:
        return step_key(self.dated.year, self.dated.key)

    def done(self, label: str | None) -> bool:
        return any(step_done(st.step_state(self.dated.year, self.dated.key), label) for st in self.states)

    def users(self) -> list[str]:
        return list(dict.fromkeys(u for st in self.states for u in st.school.roles.get("district") or []))


def held_steps(schools: list[SchoolState], library: CycleLibrary, now: datetime) -> dict[tuple[str, str], _Held]:
    """The district-held steps the schools follow, by (team, item), each with its schools."""
    out: dict[tuple[str, str], _Held] = {}
    for st in sorted(schools, key=lambda s: s.school.school_id):
        for cycle in progress.school_cycles(st, library):
            if not any(s.district_held for s in cycle.steps):
                continue
            for y in _years(cycle, st, now):
                for dated in progress._dated_steps(cycle, y, st):
                    if dated.step.district_held:
                        out.setdefault((st.school.team_id, step_key(y, dated.key)), _Held(dated)).states.append(st)
    return out


def district_nudges(schools: list[SchoolState], library: CycleLibrary, now: datetime, people=None) -> list[Outgoing]:
    """The workspace provider ``district-steps``: DMs to the district role about the steps it holds."""
    out: list[Outgoing] = []
    for (team, item), held in sorted(held_steps(schools, library, now).items()):
        users = held.users()
        if not users:
            continue  # nobody holds the district role: the schools still see the milestone
        ref = held.states[0]
        days = school_days(ref.school)
        rules, _ = effective_rules(held.dated.cycle, held.dated.step.id, school_policy(ref.school))
        later = False
        for t in _step_templates(held.dated, rules, days, district=True):
            if t.rule == "escalation" or (t.expires_at or t.due_at) < now - LOOKBACK or held.done(t.label):
                continue
            if t.due_at > now + LOOKAHEAD:
                if later:
                    continue
                later = True
            out.append(Outgoing(
                key=f"district|{team}{t.key_suffix}",
                school_id="",
                due_at=t.due_at,
                render=lambda at, h=held, t=t: render(h, t.rule, t.label, at),
                dm_users=users,
                expires_at=t.expires_at,
                kind="district-step",
                meta={"series": f"district|{team}|{t.item}#{t.series}", "item": t.item, "rule": t.rule},
            ))
    return out


def render(held: _Held, rule: str, label: str | None, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """The DM: which district step, what about it, and for which schools."""
    d, step = held.dated, held.dated.step
    tz = held.states[0].school.tz
    when = ""
    if d.deadlines:
        dl = next((x for x in d.deadlines if x.label == label), d.deadlines[0])
        when = f" (due {dates.fmt_local(dl.at, tz, with_time=dl.timed)})"
    elif d.opens_at and d.closes_at:
        when = f" ({dates.fmt_local(d.opens_at, tz, with_time=False)} – {dates.fmt_local(d.closes_at, tz, with_time=False)})"
    says = SAYS.get(rule, f"is due in {rule.split('-')[1]} days" if rule.startswith("before-") else "needs you")
    by = f" by {step.owner_name}" if step.owner_name else ""
    names = ", ".join(sorted(st.school.name for st in held.states))
    text = (f"District step{by}: *{bk.esc(step.title)}* {says}{when}. It is held once for the district "
            f"and shown to {len(held.states)} school{'s' if len(held.states) != 1 else ''} as a milestone: {bk.esc(names)}. "
            f"Mark it done in any of their channels: `/scep done {step.label.lower()}`.")
    blocks = [{"type": "section", "block_id": f"nudge|{held.item}{':' + label if label else ''}|{rule}", "text": {"type": "mrkdwn", "text": text}}]
    return text.replace("*", ""), blocks

