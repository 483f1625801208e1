"""Cycle templates (YAML data) and their instantiation for a school year.

A cycle file holds the steps of one improvement cycle as its source document gives them, with
dates written as they fall in the document's own school year (``reference_year``). Instantiating
for another school year carries each date by its pattern (see ``dates.shift_years``) and turns
local wall-clock times of the school's zone into UTC instants. Files are validated on load; an
error names the file, the line, the step and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.calendar import dates
from bot.calendar.dates import SchoolYear

KINDS = ("visit", "session", "deliverable", "meeting", "review", "milestone")
ROLES = ("liaison", "principal", "team", "district")
MODELS = ("CSI", "ATSI", "TSI")
DEADLINE_LABELS = ("due", "draft", "final")
BUILTIN_DIR = Path(__file__).resolve().parents[2] / "schedules" / "cycles"

_DATE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}):(\d{2}))?$")
_SLUG = r"^[a-z0-9][a-z0-9-]*$"


class CycleError(ValueError):
    """A cycle file that cannot be used; ``str()`` names the file, line, step and field."""


class DateSpec(BaseModel):
    """A date in the reference year, an optional local time, and how it carries to other years."""

    model_config = ConfigDict(extra="forbid")
    on: date
    at: time | None = None
    carry: Literal["same-date", "same-weekday"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_scalar(cls, value: Any) -> Any:
        if isinstance(value, dict) and True in value:  # YAML 1.1 reads a bare `on:` key as True
            value = {("on" if k is True else k): v for k, v in value.items()}
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                raise ValueError("write local wall-clock time without a zone, like 2022-05-06 16:00")
            return {"on": value.date(), "at": value.time()}
        if isinstance(value, date):
            return {"on": value}
        if isinstance(value, str):
            m = _DATE_RE.match(value.strip())
            if not m:
                raise ValueError("write a date like 2022-05-06 or 2022-05-06 16:00")
            out: dict[str, Any] = {"on": m.group(1)}
            if m.group(2):
                out["at"] = f"{int(m.group(2)):02d}:{m.group(3)}"
            return out
        return value


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid")
    opens: DateSpec
    closes: DateSpec

    @model_validator(mode="after")
    def _ordered(self) -> "Window":
        if self.closes.on < self.opens.on:
            raise ValueError("the window closes before it opens")
        return self


class Participant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    who: str
    role: Literal["liaison", "principal", "team", "district"] | None = None
    min: int | None = Field(default=None, ge=1)
    max: int | None = Field(default=None, ge=1)
    optional: bool = False
    note: str = ""

    def describe(self) -> str:
        count = ""
        if self.min and self.max:
            count = f" of {self.min}-{self.max}"
        elif self.min:
            count = f" of {self.min}+"
        text = f"{self.who}{count}"
        if self.note:
            text += f" ({self.note})"
        return ("Optional: " + text) if self.optional else text


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    minutes: tuple[int, int] | int | None = None
    optional: bool = False
    note: str = ""

    @field_validator("minutes", mode="before")
    @classmethod
    def _minutes(cls, value: Any) -> Any:
        if isinstance(value, list):
            return tuple(value)
        return value

    def describe(self) -> str:
        text = self.title
        if isinstance(self.minutes, tuple):
            text += f" ({self.minutes[0]}-{self.minutes[1]} min)"
        elif self.minutes:
            text += f" ({self.minutes} min)"
        if self.note:
            text += f"; {self.note}"
        return ("Optional: " + text) if self.optional else text


class Anchors(BaseModel):
    """Events the school reports that fix a step's dates (planning sessions hang on data)."""

    model_config = ConfigDict(extra="forbid")
    opens: str | None = None
    closes: str | None = None


class AnchorDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    hint: str = ""


MAX_NUDGE_DAYS = 60
NUDGE_KEYS = ("default", *KINDS)


class NudgeRules(BaseModel):
    """Which nudges a step gets, as data (``nudges:`` of a cycle's kinds or of one step).

    A key left out inherits (built-in defaults per step kind, then the cycle's ``default``, the
    cycle's entry for the step's kind, the step's own, then the school's overrides). Windows:
    ``opens``, ``midpoint`` (if unscheduled), ``closing`` (days before the window closes, if not
    held), ``day-before`` (a scheduled visit), ``notes-prompt`` (the day after a held visit),
    ``overdue`` (after the window closes). Deadlines: ``before`` (days before each DRAFT/FINAL/
    due deadline), ``morning-of``, ``overdue`` (the next morning). ``escalate``: the roles told
    by DM when something is overdue. ``enabled: false`` turns a step's nudges off.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    enabled: bool | None = None
    opens: bool | None = None
    midpoint: bool | None = None
    closing: int | None = None
    day_before: bool | None = Field(default=None, alias="day-before")
    notes_prompt: bool | None = Field(default=None, alias="notes-prompt")
    before: list[int] | None = None
    morning_of: bool | None = Field(default=None, alias="morning-of")
    overdue: bool | None = None
    escalate: list[Literal["liaison", "principal", "team", "district"]] | None = None

    @field_validator("closing", mode="before")
    @classmethod
    def _closing(cls, value: Any) -> Any:
        if value is False:
            return 0  # off
        if value is True or not isinstance(value, int) or not 0 <= value <= MAX_NUDGE_DAYS:
            raise ValueError(f"write the days before the window closes, a whole number from 1 to {MAX_NUDGE_DAYS} (or false for none)")
        return value

    @field_validator("before", mode="before")
    @classmethod
    def _before(cls, value: Any) -> Any:
        if value is False or value is None:
            return [] if value is False else None
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_NUDGE_DAYS for v in value):
            raise ValueError(f"write the days before each deadline as a list of whole numbers from 1 to {MAX_NUDGE_DAYS}, like [14, 7, 2] (or false for none)")
        return sorted(set(value), reverse=True)

    def given(self) -> dict[str, Any]:
        """Only the keys that were set, by their Python names."""
        return self.model_dump(exclude_none=True)


def _nudge_map(value: Any) -> Any:
    if isinstance(value, dict):
        for key in value:
            if key not in NUDGE_KEYS:
                raise ValueError(f"'{key}' is not a step kind: nudges are set for {', '.join(NUDGE_KEYS)}")
    return value


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=_SLUG)
    title: str
    short: str | None = None
    aliases: list[str] = []
    kind: Literal["visit", "session", "deliverable", "meeting", "review", "milestone"]
    owner: Literal["liaison", "principal", "team", "district"]
    phase: str | None = None
    window: Window | None = None
    deadlines: dict[Literal["due", "draft", "final"], DateSpec] = {}
    anchors: Anchors | None = None
    undated: str | None = None
    scheduling: str = ""
    purpose: str = ""
    guiding_questions: list[str] = []
    participants: list[Participant] = []
    events: list[Event] = []
    bring: list[str] = []
    deliverable: str = ""
    after: list[str] = []
    reporting: bool = True
    tips: list[str] = []
    notes: str = ""
    nudges: NudgeRules | None = None
    # anchors (data the school reports) the step needs without moving its window: shown in
    # its checklist, and scheduling before them is warned about (visit 5 needs year-end data)
    needs: list[str] = []
    # what the step sends to the district for approval (deliverables can always be submitted):
    # makes it a step for `/scep submit` (visit 5: the final SCEP)
    approval: str = ""

    @model_validator(mode="after")
    def _has_dates(self) -> "Step":
        if not (self.window or self.deadlines or self.anchors or self.undated):
            raise ValueError("a step needs a window, deadlines, anchors, or 'undated' with the reason")
        if "draft" in self.deadlines and "final" in self.deadlines:
            if self.deadlines["final"].on < self.deadlines["draft"].on:
                raise ValueError("the FINAL deadline falls before the DRAFT")
        if "due" in self.deadlines and len(self.deadlines) > 1:
            raise ValueError("use either 'due' or 'draft'/'final', not both")
        return self

    @property
    def label(self) -> str:
        return self.short or self.title


class Cycle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=_SLUG)
    title: str
    source: str = ""
    description: str = ""
    reference_year: str
    models: list[Literal["CSI", "ATSI", "TSI"]] = []
    carry: Literal["same-date", "same-weekday"] = "same-date"
    defaults_note: str = ""
    anchors: dict[str, AnchorDef] = {}
    nudges: dict[str, NudgeRules] = {}
    steps: list[Step] = Field(min_length=1)

    @field_validator("nudges", mode="before")
    @classmethod
    def _nudge_kinds(cls, value: Any) -> Any:
        return _nudge_map(value)

    @field_validator("reference_year", mode="before")
    @classmethod
    def _year(cls, value: Any) -> str:
        try:
            return SchoolYear.parse(str(value)).name
        except dates.DateError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _consistent(self) -> "Cycle":
        seen: set[str] = set()
        for i, step in enumerate(self.steps):
            if step.id in seen:
                raise ValueError(f"steps[{i}] '{step.id}': the step id is used twice")
            seen.add(step.id)
            for name in step.needs:
                if name not in self.anchors:
                    raise ValueError(
                        f"steps[{i}] '{step.id}': needs names '{name}', which is not in the "
                        f"cycle's anchors ({', '.join(self.anchors) or 'none'})"
                    )
            for which in ("opens", "closes"):
                name = getattr(step.anchors, which, None) if step.anchors else None
                if name and name not in self.anchors:
                    raise ValueError(
                        f"steps[{i}] '{step.id}': anchors.{which} names '{name}', which is not in the "
                        f"cycle's anchors ({', '.join(self.anchors) or 'none'})"
                    )
        return self

    @property
    def year(self) -> SchoolYear:
        return SchoolYear.parse(self.reference_year)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


# ---------------------------------------------------------------- loading


def _node_line(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at pydantic location ``loc`` (closest ancestor)."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
        else:
            nxt = None
        if nxt is None:
            break
        node, line = nxt, nxt.start_mark.line + 1
    return line


def parse_cycle(text: str, filename: str) -> Cycle:
    """Validate one cycle file's text; raise CycleError naming file, line, step and field."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}" if mark else filename
        raise CycleError(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(data, dict):
        raise CycleError(f"{filename}:1: a cycle file is a mapping with id, title, reference_year and steps")
    try:
        return Cycle.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:5]:
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in ("function-after", "function-before")))
            line = _node_line(root, loc)
            step = ""
            if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
                steps = data.get("steps") or []
                sid = steps[loc[1]].get("id") if loc[1] < len(steps) and isinstance(steps[loc[1]], dict) else None
                step = f" step '{sid}'" if sid else f" step #{loc[1] + 1}"
                loc = loc[2:]
            fieldname = ".".join(str(p) for p in loc) or "(the file)"
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{filename}:{line}:{step} field '{fieldname}': {msg}")
        raise CycleError("\n".join(problems)) from None


def load_cycle_file(path: Path) -> Cycle:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CycleError(f"{path}: cannot read the file ({exc})") from None
    return parse_cycle(text, str(path))


@dataclass
class CycleLibrary:
    """The cycles available: the built-in files, replaced or extended by a district's own."""

    cycles: dict[str, Cycle] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, *dirs: Path | None) -> "CycleLibrary":
        lib = cls()
        for folder in (BUILTIN_DIR, *dirs):
            if folder is None or not Path(folder).is_dir():
                continue
            for path in sorted(Path(folder).glob("*.y*ml")):
                try:
                    cycle = load_cycle_file(path)
                except CycleError as exc:
                    lib.errors.append(str(exc))
                    continue
                lib.cycles[cycle.id] = cycle
                lib.origins[cycle.id] = str(path)
        return lib

    def get(self, cycle_id: str) -> Cycle | None:
        return self.cycles.get(cycle_id)

    def ids(self) -> list[str]:
        return sorted(self.cycles)


# ---------------------------------------------------------------- instantiation


@dataclass(frozen=True)
class Deadline:
    label: str  # due | draft | final
    at: datetime  # UTC
    timed: bool  # False: due at the end of the local day


@dataclass(frozen=True)
class DatedStep:
    """One step of one cycle for one school year, with UTC instants in the school's zone."""

    cycle: Cycle
    step: Step
    year: SchoolYear
    tz: str
    opens_at: datetime | None = None  # UTC, start of the window's first local day
    closes_at: datetime | None = None  # UTC, end of the window's last local day
    deadlines: tuple[Deadline, ...] = ()
    waiting_for: tuple[str, ...] = ()  # anchor ids not yet reported
    estimated: bool = False  # the window is the typical one, not yet fixed by anchors

    @property
    def key(self) -> str:
        return f"{self.cycle.id}/{self.step.id}"

    @property
    def first_at(self) -> datetime | None:
        points = [p for p in (self.opens_at, *(d.at for d in self.deadlines)) if p]
        return min(points) if points else None

    @property
    def last_at(self) -> datetime | None:
        points = [p for p in (self.closes_at, *(d.at for d in self.deadlines)) if p]
        return max(points) if points else None


def carry_date(spec: DateSpec, cycle: Cycle, year: SchoolYear, default: str | None = None) -> date:
    """The reference date of ``spec`` carried to ``year``: by the spec's own ``carry``, else
    ``default`` (windows keep their dates: whole months stay whole), else the cycle's."""
    return dates.shift_years(spec.on, year - cycle.year, carry=spec.carry or default or cycle.carry)


def instantiate(
    cycle: Cycle, year: SchoolYear, tz: str, anchors: dict[str, date] | None = None
) -> list[DatedStep]:
    """Every step of ``cycle`` for school ``year`` in zone ``tz``; anchors are local dates."""
    anchors = anchors or {}
    out: list[DatedStep] = []
    for step in cycle.steps:
        opens = closes = None
        if step.window:
            w = step.window
            opens = dates.local_instant(carry_date(w.opens, cycle, year, "same-date"), w.opens.at or dates.MIDNIGHT, tz)
            closes = dates.local_instant(carry_date(w.closes, cycle, year, "same-date"), w.closes.at, tz)
        waiting: list[str] = []
        estimated = False
        if step.anchors:
            # Until any anchor is reported the typical window stands (estimated). Once one is,
            # reported dates rule and an unreported side is unknown (None), never guessed.
            reported: dict[str, datetime | None] = {"opens": None, "closes": None}
            for which in ("opens", "closes"):
                name = getattr(step.anchors, which)
                if not name:
                    continue
                if name in anchors:
                    day = anchors[name]
                    if which == "opens":
                        reported["opens"] = dates.local_instant(day, dates.MIDNIGHT, tz)
                    else:  # must happen before the anchor: the window ends the day before
                        reported["closes"] = dates.local_instant(dates.add_days(day, -1), None, tz)
                else:
                    waiting.append(name)
            if len(waiting) == len([n for n in (step.anchors.opens, step.anchors.closes) if n]):
                estimated = True
            else:
                if step.anchors.opens:
                    opens = reported["opens"]
                if step.anchors.closes:
                    closes = reported["closes"]
                if opens and closes and closes < opens:  # the meeting came before the data
                    closes = dates.local_instant(dates.local_today(opens, tz), None, tz)
        deadlines = tuple(
            Deadline(label, dates.local_instant(carry_date(spec, cycle, year), spec.at, tz), spec.at is not None)
            for label, spec in sorted(step.deadlines.items(), key=lambda kv: DEADLINE_LABELS.index(kv[0]))
        )
        out.append(DatedStep(cycle, step, year, tz, opens, closes, deadlines, tuple(waiting), estimated))
    return out


def span(cycle: Cycle, year: SchoolYear, tz: str) -> tuple[datetime, datetime] | None:
    """First and last instant of ``cycle``'s dated steps for ``year`` (typical windows count)."""
    steps = instantiate(cycle, year, tz)
    firsts = [s.first_at for s in steps if s.first_at]
    lasts = [s.last_at for s in steps if s.last_at]
    if not firsts:
        return None
    return min(firsts), max(lasts)
