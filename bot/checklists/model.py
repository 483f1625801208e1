"""A checklist: a step of a cycle as boxes to tick, built from its cycle file; its ticks.

A checklist has three phases: *before* (participants with their counts, what to bring, the
agenda), *during* (the events with their durations, the guiding questions, for sessions the
tips) and *after* (for sessions the deliverable; the summary per commitment, sharing it, what the
district keeps for the state). Each box has a stable id (a hash of its phase and text); the
checklist's *version* is a hash of all its ids, so a click on a message rendered from an older
cycle file (or before the school's commitments changed) is recognised as stale.

Ticks are stored per school and step, in the step's document under ``checklist``:
``{"ticks": {item id: {"at": UTC ISO instant, "by": user}}, "messages": [{"channel", "ts"}]}``;
the messages are the channel posts of this checklist, updated in place after every tick
(``bot.checklists.messages``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from bot.calendar import dates
from bot.calendar.instances import DatedStep
from bot.core import blocks as bk
from bot.core.schools import School, SchoolState
from bot.core.steps import StepRef
from bot.store.schema import CHECKLIST_KEY

MAX_OPTIONS = 10  # Slack: at most 10 options in one checkboxes element
PHASES = (("before", "Before"), ("during", "During"), ("after", "After"))
SUMMARY_MARK = "for each commitment"
SCHOOL_GONE = "This school is no longer tracked here: `/scep schools` lists the schools."


@dataclass(frozen=True)
class Item:
    id: str
    phase: str
    text: str  # as the cycle file (or the school's commitments) gives it: escape to show
    optional: bool = False  # shown as optional; not counted in "n/m done"
    options: tuple[str, ...] = ()  # a choice (one of these); its tick records which: {"choice": index}

    @property
    def is_choice(self) -> bool:
        return bool(self.options)


@dataclass(frozen=True)
class Checklist:
    dated: DatedStep
    items: tuple[Item, ...]
    info: dict[str, tuple[str, ...]] = field(default_factory=dict)  # phase -> mrkdwn lines (escaped)

    @property
    def version(self) -> str:
        return hashlib.sha1("|".join(i.id for i in self.items).encode()).hexdigest()[:8]

    @property
    def key(self) -> str:
        return f"{self.dated.year.name}:{self.dated.key}"

    def groups(self) -> list[tuple[str, list[Item]]]:
        """The elements in order: (phase, up to 10 boxes) each, a choice alone in its own."""
        out: list[tuple[str, list[Item]]] = []
        for phase, _ in PHASES:
            run: list[Item] = []
            for item in (i for i in self.items if i.phase == phase):
                if item.is_choice:
                    if run:
                        out.append((phase, run))
                    out.append((phase, [item]))
                    run = []
                    continue
                run.append(item)
                if len(run) == MAX_OPTIONS:
                    out.append((phase, run))
                    run = []
            if run:
                out.append((phase, run))
        return out


def minutes(events) -> str:
    lo = hi = 0
    for e in events:
        if e.optional or e.minutes is None:
            continue
        a, b = e.minutes if isinstance(e.minutes, tuple) else (e.minutes, e.minutes)
        lo, hi = lo + a, hi + b
    if not hi:
        return ""
    return f"{lo} min" if lo == hi else f"{lo}-{hi} min"


def build(dated: DatedStep, school: School, anchors: dict[str, Any] | None = None) -> Checklist:
    """The checklist of one dated step for one school (its commitments expand the summaries)."""
    step = dated.step
    rows: list[tuple[str, str, bool, tuple[str, ...]]] = []  # phase, text, optional, options
    info: dict[str, list[str]] = {"before": [], "during": [], "after": []}

    def add(phase: str, text: str, optional: bool = False, options: tuple[str, ...] = ()) -> None:
        rows.append((phase, text, optional, options))

    for p in step.participants:
        add("before", f"Invite: {p.describe()}", p.optional)
    for b in step.bring:
        add("before", f"Bring: {b}")
    if step.events:
        total = minutes(step.events)
        add("before", "Send the agenda to the participants" + (f" (about {total}, see During)" if total else " (see During)"))
    anchors = anchors or {}
    for name in step.needs:
        ad = dated.cycle.anchors.get(name)
        title = ad.title if ad else name
        day = anchors.get(name)
        if day:
            info["before"].append(f":white_check_mark: Needs {bk.esc(title)}: reported for {dates.fmt_day(day)}")
        else:
            hint = f" (tell me: `{bk.esc(ad.hint)}`)" if ad and ad.hint else ""
            info["before"].append(f":hourglass: Needs {bk.esc(title)}: not reported yet{hint}")
    for e in step.events:
        add("during", e.describe(), e.optional)
    for c in step.choices:
        add(c.phase, c.title, c.optional, tuple(c.options))
    for t in step.tasks:
        add(t.phase, t.text, t.optional)
    for q in step.guiding_questions:
        add("during", f"Discuss: {q}")
    for t in step.tips:
        add("during", f"Tip: {t}")
    if step.deliverable:
        add("after", f"Deliverable: {step.deliverable}")
    for a in step.after:
        if not step.reporting:
            info["after"].append(bk.esc(a))
            continue
        if SUMMARY_MARK in a.lower() and school.commitments:
            for n, c in enumerate(school.commitments, 1):
                add("after", f"Summary for commitment {n} ({c}) on the SCEP Support Visit template")
            continue
        add("after", a)
        if SUMMARY_MARK in a.lower():
            info["after"].append("_Set the school's commitments (`/scep commitments`) to get one box per commitment._")
    if not step.reporting and not step.after:
        info["after"].append("No reporting requirement for this step.")
    seen: dict[str, int] = {}
    items = []
    for phase, text, optional, options in rows:
        # a box's id is the hash of its phase and text, as before optional boxes and choices
        # existed (ticks stay where they were); a choice's id also covers its options
        what = f"{phase}|{text}" + ("|" + "|".join(options) if options else "")
        n = seen.get(what, 0)
        seen[what] = n + 1
        digest = hashlib.sha1(f"{what}|{n}".encode()).hexdigest()[:10]
        items.append(Item(digest, phase, text, optional, options))
    return Checklist(dated, tuple(items), {k: tuple(v) for k, v in info.items()})


def for_ref(state: SchoolState, ref: StepRef) -> Checklist:
    return build(ref.dated, state.school, state.anchor_dates(ref.year))


def ticks_of(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(((doc or {}).get(CHECKLIST_KEY) or {}).get("ticks") or {})


def counts(cl: Checklist, doc: dict[str, Any]) -> tuple[int, int]:
    """(required boxes done, required boxes): a choice counts once, optional boxes not at all."""
    ticks = ticks_of(doc)
    required = [i for i in cl.items if not i.optional]
    return sum(1 for i in required if i.id in ticks), len(required)


def optional_done(cl: Checklist, doc: dict[str, Any]) -> tuple[int, int]:
    """(optional boxes done, optional boxes)."""
    ticks = ticks_of(doc)
    optional = [i for i in cl.items if i.optional]
    return sum(1 for i in optional if i.id in ticks), len(optional)


def chosen(item: Item, tick: dict[str, Any] | None) -> int | None:
    """The index of the option a choice's tick records, or None."""
    if not tick or not item.is_choice:
        return None
    k = tick.get("choice")
    return k if isinstance(k, int) and not isinstance(k, bool) and 0 <= k < len(item.options) else None


def progress_text(state: SchoolState, dated: DatedStep, doc: dict[str, Any] | None = None, *, always: bool = False) -> str | None:
    """``checklist 4/9`` for a step, or None when it has no boxes (or none ticked, unless ``always``)."""
    cl = build(dated, state.school, state.anchor_dates(dated.year))
    done, total = counts(cl, doc if doc is not None else state.step_state(dated.year, dated.key))
    if not total or (not done and not always):
        return None
    return f"checklist {done}/{total}"


def next_label(dated: DatedStep, doc: dict[str, Any]) -> str | None:
    """The label the next "mark done" marks: the first deadline not done, or ``held``."""
    done = doc.get("done") or {}
    labels = [d.label for d in dated.deadlines]
    if not labels:
        return None if done else "held"
    if "final" in done:
        return None
    for label in labels:
        if label not in done:
            return label
    return None
