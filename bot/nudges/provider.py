"""The outbox provider ``nudges``: a school's planned nudges as ``Outgoing`` messages, which the
sweep (``schedules/sweep/``) claims in the school's ledger and posts. Those due in the next
``LOOKAHEAD`` are returned, plus each step's next one after (the sweep holds a message until its
``due_at``, a UTC instant, and asks again at the earliest it has seen).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.calendar.cycle_files import CycleLibrary
from bot.core.outbox import Outgoing
from bot.core.schools import SchoolState
from bot.nudges.notes_prompt import notes_prompt
from bot.nudges.planning import Nudge, calendar
from bot.nudges.view import escalation_users, render

LOOKBACK = timedelta(days=30)  # after longer downtime, older nudges are not even recorded as skipped
LOOKAHEAD = timedelta(days=14)  # the provider returns what falls due this soon, and each step's next one


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
            prompt = notes_prompt(n, state, now)
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


def _renderer(n: Nudge, state: SchoolState):
    return lambda now: render(n, state, now)
