"""A school's steps as people name them, and the changes people make to them.

Every change goes through a function here, inside a store transaction, and leaves an audit
entry (who, when, what). ``now`` is a UTC instant passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot import progress
from bot.blocks import esc
from bot.command import UserError
from bot.cycles import CycleLibrary, DatedStep
from bot.dates import SchoolYear
from bot.schools import ANCHOR_KIND, STEP_KIND, SchoolState, iso, step_key
from bot.store import SchoolTx

AUDIT_KIND = "audit"

_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5"}


def normalize(text: str) -> str:
    """Lower case, punctuation to spaces, number words to digits, ``v2``/``s1`` spelled out."""
    t = re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).strip()
    t = " ".join(_WORDS.get(w, w) for w in t.split())
    t = re.sub(r"\bv ?(\d)\b", r"visit \1", t)
    t = re.sub(r"\b(?:s|ps) ?(\d)\b", r"session \1", t)
    t = re.sub(r"\bplanning session (\d)\b", r"session \1", t)
    t = re.sub(r"\b(visit|session) ?#? ?(\d)\b", r"\1 \2", t)
    return t


@dataclass(frozen=True)
class StepRef:
    """A step of the school's current instance of one cycle."""

    dated: DatedStep

    @property
    def year(self) -> SchoolYear:
        return self.dated.year

    @property
    def key(self) -> str:
        return self.dated.key

    @property
    def state_key(self) -> str:
        return step_key(self.dated.year, self.dated.key)


def school_steps(state: SchoolState, library: CycleLibrary, now: datetime) -> list[DatedStep]:
    out: list[DatedStep] = []
    for cycle in progress.school_cycles(state, library):
        year = progress.current_year(cycle, state, now)
        out.extend(progress._dated_steps(cycle, year, state))
    return out


def names_of(dated: DatedStep) -> list[str]:
    s = dated.step
    return [normalize(n) for n in (s.id, s.short or "", s.title, *s.aliases, f"{dated.cycle.id}/{s.id}") if n]


def resolve(state: SchoolState, library: CycleLibrary, now: datetime, text: str) -> StepRef:
    """The step a person means by ``text`` ("visit 2", "v2", "priority levers", an id).

    Exact names win over partial ones; an ambiguous reference raises a UserError listing the
    matches, an unknown one lists the school's steps.
    """
    steps = school_steps(state, library, now)
    want = normalize(text)
    if not want:
        raise UserError("Name a step, like `visit 2`: " + _list(steps))
    exact = [d for d in steps if want in names_of(d)]
    if len(exact) == 1:
        return StepRef(exact[0])
    pool = exact or [d for d in steps if any(_contains(n, want) for n in names_of(d))]
    if len(pool) == 1:
        return StepRef(pool[0])
    if len(pool) > 1:
        raise UserError(f"'{esc(text)}' could mean {len(pool)} steps: " + ", ".join(f"`{d.step.label}` ({d.step.id})" for d in pool[:10]) + ". Say which.")
    raise UserError(f"This school has no step called '{esc(text)}'. Its steps: " + _list(steps))


def _contains(name: str, want: str) -> bool:
    return bool(re.search(r"\b" + re.escape(want) + r"\b", name))


def _list(steps: list[DatedStep]) -> str:
    if not steps:
        return "none (this school follows no cycles: `/scep setup cycles:<id>`)"
    shown = ", ".join(f"`{d.step.label}`" for d in steps[:30])
    return shown + (f" and {len(steps) - 30} more" if len(steps) > 30 else "")


# ---------------------------------------------------------------- changes


def audit(tx: SchoolTx, who: str, now: datetime, what: str, **detail: Any) -> None:
    """Record a change to the school: who (Slack user id or 'bot'), when (UTC), what."""
    n = len(tx.all(AUDIT_KIND))
    tx.put(AUDIT_KIND, f"{iso(now)}#{n:06d}", {"at": iso(now), "who": who, "what": what, **detail})


def get_step_state(tx: SchoolTx, ref: StepRef) -> dict[str, Any]:
    return tx.get(STEP_KIND, ref.state_key) or {}


def mark_done(tx: SchoolTx, ref: StepRef, label: str | None, who: str, now: datetime) -> str:
    """Mark a step (or one deadline: draft/final/due) done. Returns the label marked."""
    labels = [d.label for d in ref.dated.deadlines]
    if label and labels and label not in labels:
        raise UserError(f"{ref.dated.step.label} has {' and '.join(labels)} deadlines: say `{labels[0]}`" + (f" or `{labels[-1]}`" if len(labels) > 1 else ""))
    if label and not labels:
        raise UserError(f"{ref.dated.step.label} has no draft/final deadlines: mark it done without `{label}`")
    label = label or (labels[-1] if labels else "held")
    doc = get_step_state(tx, ref)
    done = dict(doc.get("done", {}))
    if label in done:
        return label
    done[label] = {"at": iso(now), "by": who}
    doc["done"] = done
    tx.put(STEP_KIND, ref.state_key, doc)
    audit(tx, who, now, "done", step=ref.key, year=ref.year.name, label=label)
    return label


def undo_done(tx: SchoolTx, ref: StepRef, label: str | None, who: str, now: datetime) -> list[str]:
    doc = get_step_state(tx, ref)
    done = dict(doc.get("done", {}))
    removed = [label] if label else list(done)
    removed = [r for r in removed if r in done]
    if not removed:
        return []
    for r in removed:
        done.pop(r)
    doc["done"] = done
    tx.put(STEP_KIND, ref.state_key, doc)
    audit(tx, who, now, "undone", step=ref.key, year=ref.year.name, labels=removed)
    return removed


def set_schedule(tx: SchoolTx, ref: StepRef, at: datetime | None, who: str, now: datetime) -> None:
    """Schedule (``at``: UTC instant) or cancel (None) a visit, session or meeting."""
    doc = get_step_state(tx, ref)
    before = doc.get("scheduled_at")
    if at is None:
        doc.pop("scheduled_at", None)
        doc.pop("scheduled_on", None)
    else:
        doc["scheduled_at"] = iso(at)
        doc["scheduled_on"] = iso(now)  # nudges due before this were not known yet
    tx.put(STEP_KIND, ref.state_key, doc)
    audit(tx, who, now, "scheduled" if at else "unscheduled", step=ref.key, year=ref.year.name, before=before, after=doc.get("scheduled_at"))


def set_anchor(tx: SchoolTx, year: SchoolYear, anchor: str, day: date | None, who: str, now: datetime) -> None:
    """Report (or clear) the local date of an anchor event: data ready, a team meeting."""
    key = f"{year.name}:{anchor}"
    if day is None:
        tx.delete(ANCHOR_KIND, key)
    else:
        tx.put(ANCHOR_KIND, key, {"date": day.isoformat(), "by": who, "at": iso(now)})
    audit(tx, who, now, "anchor", anchor=anchor, year=year.name, date=day.isoformat() if day else None)
