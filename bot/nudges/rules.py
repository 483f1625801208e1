"""Nudge rules: which nudges a step gets, from the weakest to the strongest layer.

Built-in defaults per step kind (``DEFAULTS``) < the cycle file's ``nudges: {default: ...}`` <
the cycle file's ``nudges: {<kind>: ...}`` < the step's own ``nudges:`` < the school's ``all``
overrides < the school's overrides for that step (``/scep remind``). The layers are data
(``NudgeRules`` in ``bot/calendar/cycles.py``); fields use Python names (``day_before``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.calendar.cycles import Cycle, NudgeRules

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
SNOOZE_DAYS = 2  # a snoozed reminder comes back on the first school day this many days later


def alias(name: str) -> str:
    """``day_before`` -> ``day-before`` (the spelling of YAML files and /scep remind)."""
    return name.replace("_", "-")


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

