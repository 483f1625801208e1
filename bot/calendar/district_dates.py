"""A district's own dates for the steps whose dates are the bot's defaults (the document gives
none): applied to a cycle before it is dated, so every view and sender sees them.

The changes are a workspace setting (``DISTRICT_DATES_SETTING``), written by ``/scep dates``:
``{"<cycle>/<step>": {"window": {"opens": ISO date, "closes": ISO date, "year": "2024-25"},
"due"|"draft"|"final": {"on": ISO date or absent, "at": "HH:MM" or absent, "year": ...},
"by": user, "at": UTC ISO instant}}``. Dates are given for one school year (``year``) and are
carried to the cycle's reference year as the same month and day, then to every year like the
cycle's own dates. A changed date is no longer labelled a default.
"""

from __future__ import annotations

import json
from datetime import date, time
from typing import Any

from bot.calendar import dates
from bot.calendar.cycles import Cycle, DateSpec, Step, Window
from bot.calendar.dates import SchoolYear

LABELS = ("due", "draft", "final")
_MEMO: dict[tuple[int, str], tuple[Cycle, Cycle]] = {}


def for_cycle(changes: dict[str, Any] | None, cycle_id: str) -> dict[str, dict[str, Any]]:
    """The changes of one cycle's steps: {step id: change}."""
    prefix = cycle_id + "/"
    return {k[len(prefix):]: v for k, v in (changes or {}).items() if k.startswith(prefix) and isinstance(v, dict)}


def _to_reference(day_text: str, year_text: str, cycle: Cycle) -> date:
    day = date.fromisoformat(day_text)
    return dates.shift_years(day, cycle.year - SchoolYear.parse(year_text), carry="same-date")


def _spec(old: DateSpec, change: dict[str, Any], cycle: Cycle) -> DateSpec:
    update: dict[str, Any] = {"default": "", "set_by": "district"}
    if change.get("on"):
        update["on"] = _to_reference(change["on"], change["year"], cycle)
        update["carry"] = "same-date"
    if change.get("at"):
        update["at"] = time.fromisoformat(change["at"])
    return old.model_copy(update=update)


def _step(step: Step, change: dict[str, Any], cycle: Cycle) -> Step:
    update: dict[str, Any] = {}
    w = change.get("window")
    if w and step.window:
        opens = step.window.opens.model_copy(update={"on": _to_reference(w["opens"], w["year"], cycle), "carry": "same-date", "default": "", "set_by": "district"})
        closes = step.window.closes.model_copy(update={"on": _to_reference(w["closes"], w["year"], cycle), "carry": "same-date", "default": "", "set_by": "district"})
        update["window"] = Window(opens=opens, closes=closes, set_by="district")
    deadlines = dict(step.deadlines)
    for label in LABELS:
        if change.get(label) and label in deadlines:
            deadlines[label] = _spec(deadlines[label], change[label], cycle)
    if deadlines != step.deadlines:
        update["deadlines"] = deadlines
    return step.model_copy(update=update) if update else step


def apply(cycle: Cycle, changes: dict[str, Any] | None) -> Cycle:
    """``cycle`` with the district's dates (the same object when there are none); memoised."""
    mine = for_cycle(changes, cycle.id)
    if not mine:
        return cycle
    key = (id(cycle), json.dumps(mine, sort_keys=True, default=str))
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is cycle:
        return hit[1]
    steps = []
    for step in cycle.steps:
        change = mine.get(step.id)
        try:
            steps.append(_step(step, change, cycle) if change else step)
        except (KeyError, ValueError, TypeError, dates.DateError):  # a damaged entry: the file's own dates stand
            steps.append(step)
    out = cycle.model_copy(update={"steps": steps})
    if len(_MEMO) > 10_000:
        _MEMO.clear()
    _MEMO[key] = (cycle, out)
    return out


def changed(step: Step, changes: dict[str, Any] | None, cycle_id: str) -> dict[str, Any] | None:
    """The district's change of ``step``, or None."""
    return for_cycle(changes, cycle_id).get(step.id)
