"""The calendar engine: a cycle's steps dated for one school year in one time zone (local wall-clock times in, UTC instants out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.calendar import dates
from bot.calendar.closures import Calendar
from bot.calendar.cycles import DEADLINE_LABELS, Cycle, DateSpec, Step
from bot.calendar.dates import SchoolYear


@dataclass(frozen=True)
class Deadline:
    label: str  # due | draft | final
    at: datetime  # UTC
    timed: bool  # False: due at the end of the local day
    moved_from: date | None = None  # the local date the cycle gives, when it fell on a closed day
    moved_why: str = ""  # "weekend", the holiday's or the closure's name
    default_why: str = ""  # why the date or time is the bot's default, not the document's

    def default_note(self) -> str:
        """`` (default: the document gives no time)``, or "" for the document's own date."""
        return f" (default: {self.default_why})" if self.default_why else ""

    def moved_note(self) -> str:
        """`` (moved from Sat Mar 1: weekend)``, or "" when the deadline is on its own date."""
        if self.moved_from is None:
            return ""
        return f" (moved from {self.moved_from:%a} {self.moved_from:%b} {self.moved_from.day}: {self.moved_why})"


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
    window_default: str = ""  # why the window is the bot's default, not the document's
    typical: tuple[datetime | None, datetime | None] = (None, None)  # UTC: the document's window of an anchored step

    def window_note(self) -> str:
        """`` (default: ...)`` for a default window still in force, else ""."""
        shown = self.window_default and self.opens_at is not None and (self.estimated or not self.step.anchors)
        return f" (default: {self.window_default})" if shown else ""

    @property
    def typical_closes_at(self) -> datetime | None:
        """UTC end of the typical window (anchored steps)."""
        return self.typical[1]

    @property
    def overdue_after(self) -> datetime | None:
        """UTC instant after which the window, not done, is overdue: its close; for an anchored
        step whose closing event is not reported, the typical close, unless the data came after
        it (waiting for the data is allowed: then only the reported meeting closes it)."""
        if self.closes_at and not self.estimated:
            return self.closes_at
        t = self.typical[1]
        if t and (self.estimated or self.opens_at is None or self.opens_at <= t):
            return t
        return self.closes_at

    def late_until(self, scheduled: datetime | None) -> datetime | None:
        """UTC end of the local day of ``scheduled`` when it is a date the step allows after its
        window (``Step.late_allowed``: not overdue, no overdue notice, until then), else None."""
        close = self.overdue_after
        if not (self.step.late_allowed.strip() and scheduled and close and scheduled > close):
            return None
        return dates.local_instant(dates.local_today(scheduled, self.tz), None, self.tz)

    @property
    def key(self) -> str:
        return f"{self.cycle.id}/{self.step.id}"

    @property
    def events(self) -> tuple[str, ...]:
        """The reported dates (anchor ids) the step hangs on (its window's opening and closing
        events) or needs (e.g. visit 5's year-end data), in that order, once each."""
        step = self.step
        names = [n for n in ((step.anchors.opens, step.anchors.closes) if step.anchors else ()) if n] + list(step.needs)
        return tuple(dict.fromkeys(names))

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


def deadline(label: str, spec: DateSpec, step: Step, cycle: Cycle, year: SchoolYear, tz: str, closed: Calendar | None) -> Deadline:
    """One deadline of ``step`` for ``year``: carried, then moved off a closed day by the step's
    ``on_closed_day`` rule (weekends only when ``closed`` is None)."""
    day = carry_date(spec, cycle, year)
    moved, why = (closed or Calendar()).move(day, step.closed_day_rule)  # type: ignore[arg-type]
    at = dates.local_instant(moved, spec.at, tz)
    return Deadline(label, at, spec.at is not None, day if why else None, why or "", step.default_why(spec, cycle))


def instantiate(
    cycle: Cycle, year: SchoolYear, tz: str, anchors: dict[str, date] | None = None, closed: Calendar | None = None
) -> list[DatedStep]:
    """Every step of ``cycle`` for school ``year`` in zone ``tz``; anchors are local dates;
    ``closed``: the school's closed days, that deadlines move off (None: weekends only)."""
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
        typical = (opens, closes) if step.anchors else (None, None)
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
            deadline(label, spec, step, cycle, year, tz, closed)
            for label, spec in sorted(step.deadlines.items(), key=lambda kv: DEADLINE_LABELS.index(kv[0]))
        )
        window_default = step.default_why(None, cycle) if step.window else ""
        out.append(DatedStep(cycle, step, year, tz, opens, closes, deadlines, tuple(waiting), estimated, window_default, typical))
    return out


def span(cycle: Cycle, year: SchoolYear, tz: str) -> tuple[datetime, datetime] | None:
    """First and last instant of ``cycle``'s dated steps for ``year`` (typical windows count)."""
    steps = instantiate(cycle, year, tz)
    firsts = [s.first_at for s in steps if s.first_at]
    lasts = [s.last_at for s in steps if s.last_at]
    if not firsts:
        return None
    return min(firsts), max(lasts)
