"""A school as the bot tracks it: its profile and its per-year step state, read from the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.calendar import dates
from bot.calendar.dates import SchoolYear
from bot.store.port import SchoolView
from bot.store.schema import ANCHOR_KIND, PROFILE, STEP_KIND


@dataclass
class School:
    """The profile of one school. ``tz`` is an IANA zone; ``min_year`` pins the first year tracked."""

    school_id: str
    name: str
    team_id: str
    channel_id: str
    model: str = "TSI"
    cycles: list[str] = field(default_factory=list)  # named by the district: followed every year
    tz: str = dates.DEFAULT_TZ
    min_year: str | None = None
    roles: dict[str, list[str]] = field(default_factory=dict)
    commitments: list[str] = field(default_factory=list)
    holidays: list[str] = field(default_factory=list)
    created_at: str = ""
    created_by: str = ""
    state: str | None = None  # US state code whose public holidays close the school (None: the model's)
    default_cycles: bool = False  # also the model's default cycles, the edition in force each year
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "School":
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        if "default_cycles" not in doc:  # stored before editions: the old defaults were copied in
            old = _OLD_DEFAULTS.get(str(doc.get("model")), set())
            if not doc.get("cycles") or set(doc.get("cycles") or ()) == old:
                doc = {**doc, "cycles": [], "default_cycles": True}
        return cls(**{k: v for k, v in doc.items() if k in known}, extra={k: v for k, v in doc.items() if k not in known})

    def to_doc(self) -> dict[str, Any]:
        doc = {f: getattr(self, f) for f in self.__dataclass_fields__ if f != "extra"}
        doc.update((k, v) for k, v in self.extra.items() if not k.startswith("_"))  # "_district": attached by readers, never stored
        return doc

    @property
    def pinned_year(self) -> SchoolYear | None:
        return SchoolYear.parse(self.min_year) if self.min_year else None


# the default cycles copied into a school's profile before editions (both NYSED editions stacked)
_OLD_DEFAULTS = {
    "TSI": {"nysed-tsi-visits", "nysed-planning-sessions"},
    "ATSI": {"nysed-tsi-visits", "nysed-planning-sessions"},
    "CSI": {"nysed-planning-sessions"},
}


def step_key(year: SchoolYear, step_key_: str) -> str:
    return f"{year.name}:{step_key_}"


@dataclass
class SchoolState:
    """What the bot knows of a school at one moment: profile, step states and anchors."""

    school: School
    steps: dict[str, dict[str, Any]]  # "<year>:<cycle>/<step>" -> state
    anchors: dict[str, dict[str, Any]]  # "<year>:<anchor>" -> {"date": "YYYY-MM-DD", ...}
    # what was computed from this state (a snapshot: it never changes), by whoever computed it
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def read(cls, view: SchoolView) -> "SchoolState | None":
        doc = view.get(*PROFILE)
        if doc is None:
            return None
        return cls(School.from_doc(doc), view.all(STEP_KIND), view.all(ANCHOR_KIND))

    def step_state(self, year: SchoolYear, key: str) -> dict[str, Any]:
        return self.steps.get(step_key(year, key), {})

    def anchor_dates(self, year: SchoolYear) -> dict[str, date]:
        prefix = f"{year.name}:"
        out = {}
        for k, v in self.anchors.items():
            if k.startswith(prefix) and v.get("date"):
                out[k[len(prefix):]] = date.fromisoformat(v["date"])
        return out


def iso(instant: datetime) -> str:
    return instant.astimezone(dates.UTC).isoformat()
