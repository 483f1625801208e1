"""A school's steps as people name them, and the changes people make to them.

Every change goes through a function here, inside a store transaction, and leaves an audit
entry (who, when, what). ``now`` is a UTC instant passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.dates import SchoolYear, local_today
from bot.calendar.instances import DatedStep
from bot.core import permissions as R
from bot.core import progress
from bot.core.blocks import esc
from bot.core.context import Ctx
from bot.core.school_calendar import read_school
from bot.core.schools import SchoolState, iso, step_key
from bot.errors import UserError
from bot.store.port import SchoolTx
from bot.store.schema import ANCHOR_KIND, AUDIT_KIND, STEP_KIND

_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5"}


def normalize(text: str) -> str:
    """Lower case, punctuation to spaces, number words to digits, ``v2``/``s1`` spelled out."""
    t = re.sub(r"[^a-z0-9]+", " ", str(text or "").lower()).strip()
    t = re.sub(r"\b(\d)(?:st|nd|rd|th)\b", r"\1", t)  # 2nd visit -> 2 visit
    t = " ".join(_WORDS.get(w, w) for w in t.split())
    t = re.sub(r"\b(\d) (visit|session)\b", r"\2 \1", t)  # 2 visit -> visit 2
    t = re.sub(r"\bcheckin\b", "check in", t)
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


def school_steps(state: SchoolState, library: CycleLibrary, now: datetime, year: SchoolYear | None = None) -> list[DatedStep]:
    """The school's steps dated in each cycle's current year, or in ``year`` when given."""
    out: list[DatedStep] = []
    for cycle in progress.school_cycles(state, library):
        out.extend(progress._dated_steps(cycle, year or progress.current_year(cycle, state, now), state))
    return out


_NAMES: dict[int, tuple[Any, list[str]]] = {}


def names_of(dated: DatedStep) -> list[str]:
    """The normalized names of a step (memoised per step object: the same for every school)."""
    s = dated.step
    hit = _NAMES.get(id(s))
    if hit is None or hit[0] is not s:
        if len(_NAMES) > 10_000:
            _NAMES.clear()
        hit = _NAMES[id(s)] = (s, [normalize(n) for n in (s.id, s.short or "", s.title, *s.aliases, f"{dated.cycle.id}/{s.id}") if n])
    return hit[1]


MAX_REF = 200


class AmbiguousStep(UserError):
    """A reference that matches several steps; the message lists them."""


class UnknownStep(UserError):
    """A reference that matches no step; the message lists the school's steps."""


class StaleStep(UserError):
    """A step key (from a button or an old message) that no longer names a current step."""


def resolve(state: SchoolState, library: CycleLibrary, now: datetime, text: str) -> StepRef:
    """The step a person means by ``text`` ("visit 2", "v2", "priority levers", an id).

    Exact names win over partial ones; an ambiguous reference raises a UserError listing the
    matches, an unknown one lists the school's steps.
    """
    return resolve_in(school_steps(state, library, now), text)


def resolve_in(steps: list[DatedStep], text: str) -> StepRef:
    """``resolve`` over a list of dated steps already computed."""
    shown = esc(" ".join(str(text or "").split())[:80])
    want = normalize(str(text or "")[:MAX_REF])
    if not want:
        raise UnknownStep("Name a step, like `visit 2`: " + _list(steps))
    exact = [d for d in steps if want in names_of(d)]
    if len(exact) == 1:
        return StepRef(exact[0])
    pool = exact or [d for d in steps if any(_contains(n, want) for n in names_of(d))]
    if len(pool) == 1:
        return StepRef(pool[0])
    if len(pool) > 1:
        raise AmbiguousStep(f"'{shown}' could mean {len(pool)} steps: " + ", ".join(f"`{d.step.label}` ({d.step.id})" for d in pool[:10]) + ". Say which.")
    close = _close_matches(steps, want)
    hint = f" Did you mean {' or '.join(f'`{d.step.label}`' for d in close)}?" if close else ""
    raise UnknownStep(f"This school has no step called '{shown}'.{hint} Its steps: " + _list(steps))


def _close_matches(steps: list[DatedStep], want: str) -> list[DatedStep]:
    """The steps whose names are closest to a mistyped reference (the best, and any as close)."""
    import difflib

    scored: dict[int, tuple[float, DatedStep]] = {}
    for i, d in enumerate(steps):
        for n in names_of(d):
            sm = difflib.SequenceMatcher(None, want, n)
            if sm.real_quick_ratio() < 0.75 or sm.quick_ratio() < 0.75:
                continue
            ratio = sm.ratio()
            if ratio >= 0.75 and ratio > scored.get(i, (0.0, d))[0]:
                scored[i] = (ratio, d)
    if not scored:
        return []
    best = max(r for r, _ in scored.values())
    return [d for r, d in sorted(scored.values(), key=lambda x: -x[0]) if r >= best - 0.01][:2]


def split_ref(steps: list[DatedStep], words: list[str], rest_ok) -> tuple[StepRef, Any]:
    """A step reference at the start of ``words`` and what follows it.

    ``rest_ok(rest_text)`` reads the words after the step (a date, a label...) and raises a
    UserError when they don't fit. The longest prefix naming one step whose rest reads wins.
    Errors: the rest's error when a step was found, else the most helpful reference error.
    """
    if not words:
        raise UnknownStep("Name a step, like `visit 2`: " + _list(steps))
    rest_error: UserError | None = None
    ambiguous: UserError | None = None
    unknown: list[UserError] = []
    for k in range(len(words), 0, -1):
        head, tail = " ".join(words[:k]), " ".join(words[k:])
        try:
            ref = resolve_in(steps, head)
        except AmbiguousStep as exc:
            ambiguous = ambiguous or exc
            continue
        except UserError as exc:
            unknown.append(exc)
            continue
        try:
            return ref, rest_ok(tail)
        except UserError as exc:
            rest_error = rest_error or exc
    if rest_error is not None:
        raise rest_error
    if ambiguous is not None:
        raise ambiguous
    hinted = [e for e in unknown if "Did you mean" in str(e)]
    raise (hinted[0] if hinted else unknown[-1])


def parse_key(key: str) -> tuple[SchoolYear, str, str]:
    """``"2021-22:nysed-tsi-visits/visit-2"`` -> (year, cycle id, step id); StaleStep if malformed."""
    m = re.fullmatch(r"(\d{4}-\d{2}):([a-z0-9-]+)/([a-z0-9-]+)", str(key or ""))
    if not m:
        raise StaleStep("That button points at a step I can't read: type `/scep checklist &lt;step&gt;` instead.")
    try:
        year = SchoolYear.parse(m.group(1))
    except ValueError:
        raise StaleStep("That button points at a step I can't read: type `/scep checklist &lt;step&gt;` instead.") from None
    return year, m.group(2), m.group(3)


def tracked_school(ctx: Ctx, school_id: str, gone: str = "This school is no longer tracked here.") -> SchoolState:
    """The school a button or form names, read afresh; StaleStep(``gone``) when it is no longer tracked."""
    state = read_school(ctx.store, school_id) if school_id and ctx.store.index_entry(school_id) else None
    if state is None:
        raise StaleStep(gone)
    return state


def ref_for_key(state: SchoolState, library: CycleLibrary, key: str) -> StepRef:
    """The step a stored key names (``<year>:<cycle>/<step>``), instantiated for that year.

    StaleStep when the school no longer follows the cycle or the cycle lost the step.
    """
    year, cycle_id, step_id = parse_key(key)
    cycle = library.get(cycle_id)
    if cycle is None or not progress.follows(state, cycle, year):
        raise StaleStep(f"This school no longer follows the cycle '{cycle_id}': see `/scep timeline`.")
    for dated in progress._dated_steps(cycle, year, state):
        if dated.step.id == step_id:
            return StepRef(dated)
    raise StaleStep(f"The cycle '{cycle.title}' no longer has the step '{step_id}' (its file changed): see `/scep timeline`.")


def is_current(state: SchoolState, library: CycleLibrary, now: datetime, ref: StepRef) -> bool:
    """The step belongs to its cycle's current instance (or the next one, shown near year end)."""
    year = progress.current_year(ref.dated.cycle, state, now)
    return ref.year in (year, year + 1)


def schedulable(dated: DatedStep) -> bool:
    """Visits, sessions, meetings and reviews held on a day (not deliverables or milestones)."""
    step = dated.step
    return step.kind in ("visit", "session", "meeting", "review") and not step.deadlines and bool(step.window or step.anchors)


def submittable(dated: DatedStep) -> bool:
    """Deliverables, and steps that send something for approval (visit 5: the final SCEP)."""
    return dated.step.kind == "deliverable" or bool(dated.step.approval)


def _contains(name: str, want: str) -> bool:
    return bool(re.search(r"\b" + re.escape(want) + r"\b", name))


def _list(steps: list[DatedStep]) -> str:
    if not steps:
        return "none (this school follows no cycles: `/scep setup cycles:&lt;id&gt;`)"
    shown = ", ".join(f"`{d.step.label}`" for d in steps[:30])
    return shown + (f" and {len(steps) - 30} more" if len(steps) > 30 else "")


# ---------------------------------------------------------------- changes


def audit(tx: SchoolTx, who: str, now: datetime, what: str, **detail: Any) -> None:
    """Record a change to the school: who (Slack user id or 'bot'), when (UTC), what."""
    n = tx.count(AUDIT_KIND)  # an ordered suffix without copying the log; the retention sweep deletes old entries,
    while tx.get(AUDIT_KIND, f"{iso(now)}#{n:06d}") is not None:  # so skip a key still taken at this instant
        n += 1
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


def covers(done: dict[str, Any], label: str | None) -> bool:
    """``label`` is done in ``done`` (a step's done marks): a DRAFT is when its FINAL is; no label: any mark."""
    if label is None:
        return bool(done)
    return label in done or (label == "draft" and "final" in done)


@dataclass(frozen=True)
class Marked:
    """What "mark done" did: the label marked (``held`` for a step without deadlines) and the
    step's done marks before (label -> ``{"at": UTC ISO instant, "by": user id}``)."""

    label: str | None  # None: nothing written (``unless_done`` and it was done already)
    before: dict[str, dict[str, Any]]

    def earlier(self, label: str) -> dict[str, Any] | None:
        """The mark that already covered ``label`` before: its own, or for a DRAFT its FINAL's."""
        return self.before.get(label) or (self.before.get("final") if label == "draft" else None)


@dataclass(frozen=True)
class DoneMarker:
    """Leave to mark this school's steps done: made only by ``may_mark_done`` (the one permission
    check of "mark done", for ``/scep done``, a nudge's and a checklist's buttons and a submission)."""

    ctx: Ctx
    state: SchoolState

    def mark(self, ref: StepRef, label: str | None, *, unless_done: bool = False, confirmed: bool = False) -> Marked:
        """Mark ``ref`` (or its deadline ``label``) done in one transaction, at ``ctx.now`` (UTC).

        ``unless_done``: write nothing when ``covers(done, label)`` already (``Marked.label`` None).
        Before the data the step hangs on is reported ready (a future date), EarlyDone asks for
        confirmation unless ``confirmed``."""
        with self.ctx.store.transaction(self.state.school.school_id) as tx:
            return self.mark_in(tx, ref, label, unless_done=unless_done, confirmed=confirmed)

    def mark_in(self, tx: SchoolTx, ref: StepRef, label: str | None, *, unless_done: bool = False, confirmed: bool = False) -> Marked:
        """``mark`` inside a transaction the caller holds (a submission marks its deadline done)."""
        before = dict(get_step_state(tx, ref).get("done") or {})
        if unless_done and covers(before, label):
            return Marked(None, before)
        if not confirmed and not covers(before, label):
            early = data_not_ready(ref.dated, self.state.anchor_dates(ref.year), self.ctx.now)
            if early:
                raise EarlyDone(self.state, ref, label, *early)
        return Marked(mark_done(tx, ref, label, self.ctx.user_id, self.ctx.now), before)


CONFIRM_DONE_ACTION = "done_confirm"  # "Mark done anyway": value LabelButton (school, step key, label)


def data_not_ready(dated: DatedStep, reported: dict[str, date], now: datetime) -> tuple[str, date] | None:
    """(title, local day) of the data a step opens on or needs, when reported for after today."""
    step = dated.step
    names = ([step.anchors.opens] if step.anchors and step.anchors.opens else []) + list(step.needs)
    today = local_today(now, dated.tz)
    for name in names:
        day = reported.get(name)
        if day and day > today:
            ad = dated.cycle.anchors.get(name)
            return (ad.title if ad else name), day
    return None


class EarlyDone(UserError):
    """Marking done before the data the step hangs on is ready: a question, with how to confirm."""

    def __init__(self, state: SchoolState, ref: StepRef, label: str | None, what: str, day: date) -> None:
        step = ref.dated.step
        lab = f" {label}" if label in ("draft", "final") else ""
        super().__init__(
            f"{esc(step.title)} waits for {esc(what)}, reported for {day:%a %b} {day.day} {day.year}: it can't have been "
            f"held yet. Was it held anyway (the data came early)? Then confirm: `/scep done {esc(step.label.lower())}{lab} anyway`, "
            f"or correct the date: `/scep data ... ready &lt;date&gt;`.")
        value = f"{state.school.school_id}|{ref.state_key}|{label or 'held'}"
        self.blocks = [{"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Mark done anyway"}, "action_id": CONFIRM_DONE_ACTION, "value": value}]}]


def may_mark_done(ctx: Ctx, state: SchoolState) -> DoneMarker:
    """The permission check of "mark done" (action ``act``): a UserError says who may."""
    R.require(ctx, state.school, "act")
    return DoneMarker(ctx, state)


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


def set_schedule(tx: SchoolTx, ref: StepRef, at: datetime | None, who: str, now: datetime, late: str = "") -> bool:
    """Schedule (``at``: UTC instant) or cancel (None) a visit, session or meeting; ``late``: the
    reason the cycle file allows a date after the window (kept with the date as ``late_reason``).

    Returns False (and writes nothing) when it was already so: a form sent twice is one change.
    """
    doc = get_step_state(tx, ref)
    before = doc.get("scheduled_at")
    if before == (iso(at) if at else None):
        return False
    if at is None:
        doc.pop("scheduled_at", None)
        doc.pop("scheduled_on", None)
        doc["cancelled_at"] = before  # the calendar feeds send the cancelled event as cancelled
    else:
        doc["scheduled_at"] = iso(at)
        doc["scheduled_on"] = iso(now)  # nudges due before this were not known yet
        doc.pop("cancelled_at", None)
    doc.pop("late_reason", None)
    if at is not None and late:
        doc["late_reason"] = late
    doc["schedule_rev"] = int(doc.get("schedule_rev") or 0) + 1  # the feeds' SEQUENCE: grows with every change
    tx.put(STEP_KIND, ref.state_key, doc)
    audit(tx, who, now, "scheduled" if at else "unscheduled", step=ref.key, year=ref.year.name, before=before, after=doc.get("scheduled_at"),
          **({"late": late} if at is not None and late else {}))
    return True


def set_anchor(tx: SchoolTx, year: SchoolYear, anchor: str, day: date | None, who: str, now: datetime) -> None:
    """Report (or clear) the local date of an anchor event: data ready, a team meeting."""
    key = f"{year.name}:{anchor}"
    if day is None:
        tx.delete(ANCHOR_KIND, key)
    else:
        tx.put(ANCHOR_KIND, key, {"date": day.isoformat(), "by": who, "at": iso(now)})
    audit(tx, who, now, "anchor", anchor=anchor, year=year.name, date=day.isoformat() if day else None)
