"""What a nudge's buttons act on: the button's value, the step it is about, and the one store
write of the nudge feature, the snooze (its reminders wait ``SNOOZE_DAYS`` and come back once).

Mark done and Snooze themselves are in ``bot/nudges/commands.py``; ``/scep remind`` writes the
school's nudge settings in ``bot/nudges/remind.py``.
"""

from __future__ import annotations

from datetime import datetime

from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.dates import SchoolYear
from bot.calendar.instances import DatedStep
from bot.core import progress
from bot.core.schools import School, SchoolState, iso, step_key
from bot.core.steps import audit
from bot.nudges.planning import step_done
from bot.nudges.rules import SNOOZE_DAYS
from bot.nudges.school_days import next_school_morning
from bot.store.schema import STEP_KIND


def find_dated(state: SchoolState, library: CycleLibrary, year: SchoolYear, cycle_id: str, step_id: str) -> DatedStep | None:
    cycle = library.get(cycle_id)
    if cycle is None or cycle.step(step_id) is None:
        return None
    return next((d for d in progress._dated_steps(cycle, year, state) if d.step.id == step_id), None)


def snooze(tx, dated: DatedStep, label: str | None, rule: str, school: School, who: str, now: datetime) -> datetime:
    """Hold a step's reminders for ``SNOOZE_DAYS`` days: they come back, once, at the nudge hour
    of the first school day after. Returns that instant. The caller checks the step is not done."""
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
    return step_done(state.step_state(dated.year, dated.key), label)

