"""Cycle templates (YAML data) and their instantiation for a school year.

A cycle file holds the steps of one improvement cycle as its source document gives them, with
dates written as they fall in the document's own school year (``reference_year``). Instantiating
for another school year carries each date by its pattern (see ``dates.shift_years``) and turns
local wall-clock times of the school's zone into UTC instants. Files are validated on load; an
error names the file, the line, the step and the field.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from bot.calendar import dates
from bot.calendar.dates import SchoolYear

KINDS = ("visit", "session", "deliverable", "meeting", "review", "milestone")
ROLES = ("liaison", "principal", "team", "district")
OWNERS = (*ROLES, "board")  # "board": an outside body (the SEZP Board), chased by the district
# support models by US state: New York's (NYSED), Massachusetts' Springfield Empowerment Zone
# Partnership, and the kinds of low-performing school seed 003 names for Mississippi
MODELS_BY_STATE = {"NY": ("CSI", "ATSI", "TSI"), "MA": ("SEZP",), "MS": ("SIG", "Priority", "Focus")}
MODELS = tuple(m for ms in MODELS_BY_STATE.values() for m in ms)
ModelName = Literal["CSI", "ATSI", "TSI", "SEZP", "SIG", "Priority", "Focus"]


def canonical_model(text: str) -> str | None:
    """The model's own spelling for ``text`` typed in any case (``sezp`` -> ``SEZP``), or None."""
    return next((m for m in MODELS if m.lower() == str(text).strip().lower()), None)
DEADLINE_LABELS = ("due", "draft", "final")

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
    # why this date (or its time) is the bot's default, not the document's: shown with it
    default: str = ""
    set_by: str = ""  # "district": the district's own date (/scep dates), never a default

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
    default: str = ""  # why the window is the bot's default, not the document's: shown with it
    set_by: str = ""  # "district": the district's own dates (/scep dates), never a default

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


PHASE_NAMES = ("before", "during", "after")


class Task(BaseModel):
    """A checklist box the other fields do not give (a vote, a tool to use); ``optional`` boxes
    are shown as such and do not count in "n/m done"."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)
    phase: Literal["before", "during", "after"] = "during"
    optional: bool = False

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value


class Choice(BaseModel):
    """Alternatives of which one is done ("Option 1 or Option 2"): one radio choice in the
    checklist that counts once in "n/m done" (not at all when ``optional``)."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1)
    options: list[str] = Field(min_length=2, max_length=10)
    phase: Literal["before", "during", "after"] = "before"
    optional: bool = False

    @field_validator("options")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("two options of a choice have the same text")
        if any(not v.strip() for v in value):
            raise ValueError("an option is empty")
        return value


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
    owner: Literal["liaison", "principal", "team", "district", "board"]
    # who the step is for when the owner is not the school's (board: "the SEZP Board")
    owner_name: str = ""
    # "district": held once for every school of the district (the district's training, its
    # reflection, the Board's approval), shown to each school as a milestone and chased by the
    # district role; "school" (default): each school's own
    held: Literal["school", "district"] = "school"
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
    tasks: list[Task] = []
    choices: list[Choice] = []
    notes: str = ""
    # a sentence shown with the step's reminders, where the document changes what to do
    nudge_note: str = ""
    # why the step's dates are the bot's defaults, not the document's (every date of the step)
    default: str = ""
    nudges: NudgeRules | None = None
    # anchors (data the school reports) the step needs without moving its window: shown in
    # its checklist, and scheduling before them is warned about (visit 5 needs year-end data)
    needs: list[str] = []
    # why a date after the window is allowed (visit 3 waits for key data): recorded, not overdue while it stands
    late_allowed: str = ""
    # what the step sends to the district for approval (deliverables can always be submitted):
    # makes it a step for `/scep submit` (visit 5: the final SCEP)
    approval: str = ""
    # where a deadline carried to a closed day (weekend, public holiday, closure) goes: the
    # school day before, the school day after, or nowhere (keep). Unset: the school day before,
    # except a milestone's date, which is the calendar's own and is kept (July 1 starts a year)
    on_closed_day: Literal["previous", "next", "keep"] | None = None

    @model_validator(mode="after")
    def _has_dates(self) -> "Step":
        if not (self.window or self.deadlines or self.anchors or self.undated):
            raise ValueError("a step needs a window, deadlines, anchors, or 'undated' with the reason")
        if "draft" in self.deadlines and "final" in self.deadlines:
            if self.deadlines["final"].on < self.deadlines["draft"].on:
                raise ValueError("the FINAL deadline falls before the DRAFT")
        if "due" in self.deadlines and len(self.deadlines) > 1:
            raise ValueError("use either 'due' or 'draft'/'final', not both")
        if self.owner == "board" and self.held != "district":
            raise ValueError("an outside body's step (owner: board) is held once per district: add 'held: district'")
        if self.late_allowed.strip() and not (self.window and self.kind in ("visit", "session", "meeting", "review") and not self.deadlines):
            raise ValueError("'late_allowed' is for a visit, session, meeting or review with a window (a date scheduled after it)")
        return self

    @property
    def label(self) -> str:
        return self.short or self.title

    def default_why(self, spec: "DateSpec | None" = None, cycle: "Cycle | None" = None) -> str:
        """Why a date of this step (``spec``, or its window) is a default: the nearest reason
        given (the date's, the window's, the step's, the cycle's), or "" for the document's own."""
        if (spec is not None and spec.set_by) or (spec is None and self.window and self.window.set_by):
            return ""
        if spec is not None and spec.default:
            return spec.default
        if spec is None and self.window and self.window.default:
            return self.window.default
        return self.default or (cycle.default if cycle else "")

    @property
    def district_held(self) -> bool:
        """Held once per district, not by each school (the district's training, the Board's
        approval): a milestone in each school's timeline, chased by the district role."""
        return self.held == "district"

    @property
    def closed_day_rule(self) -> str:
        """``on_closed_day``, or its default for the step's kind."""
        return self.on_closed_day or ("keep" if self.kind == "milestone" else "previous")


class Edition(BaseModel):
    """Which guidance a cycle file is an edition of, and the school years it is in force: a
    school of one of the cycle's ``models`` follows, by default, one edition of each guidance."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    of: str = Field(pattern=_SLUG)
    from_: str = Field(alias="from")
    until: str | None = None

    @field_validator("from_", "until", mode="before")
    @classmethod
    def _year(cls, value: Any) -> Any:
        if value is None:
            return None
        try:
            return SchoolYear.parse(str(value)).name
        except dates.DateError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _ordered(self) -> "Edition":
        if self.until and SchoolYear.parse(self.until) < SchoolYear.parse(self.from_):
            raise ValueError(f"the edition ends ({self.until}) before it starts ({self.from_})")
        return self


class Cycle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=_SLUG)
    title: str
    source: str = ""
    description: str = ""
    reference_year: str
    models: list[ModelName] = []
    edition: Edition | None = None
    # the editions of the same guidance in the library (set by CycleLibrary; alone: itself)
    _editions: list["Cycle"] = PrivateAttr(default_factory=list)
    carry: Literal["same-date", "same-weekday"] = "same-date"
    defaults_note: str = ""
    default: str = ""  # why every date of the cycle is a default (a short phrase, shown with each)
    anchors: dict[str, AnchorDef] = {}
    nudges: dict[str, NudgeRules] = {}
    steps: list[Step] = Field(min_length=1)

    @field_validator("models", mode="before")
    @classmethod
    def _models(cls, value: Any) -> Any:
        if isinstance(value, list):
            out = []
            for v in value:
                m = canonical_model(v) if isinstance(v, str) else None
                if m is None:
                    raise ValueError(f"'{v}' is not a support model: write any of {', '.join(MODELS)} (or [] for every model)")
                out.append(m)
            return out
        return value

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
                    raise ValueError(f"steps[{i}] '{step.id}': needs names '{name}', which is not in the cycle's anchors ({', '.join(self.anchors) or 'none'})")
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

    def fits(self, model: str) -> bool:
        """Whether a school of ``model`` may follow this cycle (no ``models``: every model)."""
        return not self.models or model in self.models

