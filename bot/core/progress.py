"""Where a school stands: its state + the cycles + ``now`` -> items with a status.

An *item* is one thing a person acts on: a step's window (visits, sessions, meetings), or one of
a deliverable's deadlines (DRAFT and FINAL are two items). Statuses:

- ``done``: marked done (a FINAL done implies its DRAFT);
- ``open``: the window is open now;
- ``upcoming``: the window opens or the deadline falls later;
- ``overdue``: the window closed or the deadline passed and it is not done;
- ``waiting``: the step hangs on events the school has not reported yet (data ready, meeting);
- ``passed``: an informational milestone whose date has gone by;
- ``undated``: the document gives no date;
- ``untracked``: closed (window or deadline) before the school was set up here: shown as "closed
  before tracking began", never overdue, never nudged, not counted against progress.

Each cycle has a *current instance*: the earliest school year (not before the school's pinned
year) whose cycle has not ended at ``now``. So cycles roll into the next year by themselves when
their last window closes, and any past year stays readable with ``timeline(year=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.cycles import Cycle
from bot.calendar.dates import SchoolYear
from bot.calendar.editions import default_candidates, in_force
from bot.calendar.instances import DatedStep, instantiate, span
from bot.core.school_calendar import dated_cycle, school_calendar
from bot.core.schools import SchoolState

STATUS_ORDER = {"overdue": 0, "open": 1, "waiting": 2, "upcoming": 2, "done": 3, "passed": 3, "untracked": 3, "undated": 4}


@dataclass(frozen=True)
class Item:
    dated: DatedStep
    label: str | None  # deadline label (due/draft/final) or None for a window
    status: str
    at: datetime | None  # the instant that matters: deadline, window close (open), window open
    state: dict

    @property
    def key(self) -> str:
        return self.dated.key + (f":{self.label}" if self.label else "")

    @property
    def title(self) -> str:
        step = self.dated.step
        if self.label in ("draft", "final"):
            return f"{step.title} ({self.label.upper()})"
        return step.title

    @property
    def scheduled_at(self) -> datetime | None:
        value = self.state.get("scheduled_at")
        return dates.parse_instant(value) if value else None


_SPANS: dict[tuple[int, int, str], tuple[Cycle, tuple[datetime, datetime] | None]] = {}


def _span(cycle: Cycle, year: SchoolYear, tz: str) -> tuple[datetime, datetime] | None:
    """``cycles.span`` memoised per (cycle object, year, zone): it is the same for every school."""
    key = (id(cycle), year.start, tz)
    hit = _SPANS.get(key)
    if hit is None or hit[0] is not cycle:
        if len(_SPANS) > 100_000:
            _SPANS.clear()
        hit = _SPANS[key] = (cycle, span(cycle, year, tz))
    return hit[1]


def current_year(cycle: Cycle, state: SchoolState, now: datetime) -> SchoolYear:
    """The served school year of ``cycle``'s current instance for this school at ``now``."""
    tz = state.school.tz
    year = SchoolYear.containing(dates.local_today(now, tz)) + (-2)
    pinned = state.school.pinned_year
    if pinned and pinned > year:
        year = pinned
    for _ in range(6):
        s = _span(cycle, year, tz)
        if s is None or s[1] >= now:
            return year
        year = year + 1
    return year


def _step_items(dated: DatedStep, state: dict, now: datetime) -> list[Item]:
    step = dated.step
    done = state.get("done", {})
    if dated.deadlines:
        out = []
        for d in dated.deadlines:
            is_done = d.label in done or (d.label == "draft" and "final" in done)
            if is_done:
                status = "done"
            elif step.kind == "milestone" or step.district_held:  # the district's: a milestone here
                status = "passed" if now > d.at else "upcoming"
            else:
                status = "overdue" if now > d.at else "upcoming"
            out.append(Item(dated, d.label, status, d.at, state))
        return out
    if dated.opens_at is None and dated.closes_at is None:
        if dated.waiting_for:
            return [Item(dated, None, "done" if done else "waiting", None, state)]
        return [Item(dated, None, "done" if done else "undated", None, state)]
    opens, closes = dated.opens_at, dated.closes_at
    if done:
        status, at = "done", closes or opens
    elif dated.waiting_for and (dated.estimated or opens is None):
        # nothing (or not the data) reported: waiting until the typical window (or the window
        # the reported meeting leaves) has passed, then overdue like any other step
        late = dated.overdue_after
        status, at = ("overdue", late) if late and now > late else ("waiting", opens or closes)
    elif opens and now < opens:  # a future data date: not open before the data is ready
        status, at = "upcoming", opens
    elif dated.waiting_for:  # opened (data ready) but the closing event is not set
        late = dated.overdue_after
        status, at = ("overdue", late) if late and now > late else ("open", closes)
    elif opens and now < opens:
        status, at = "upcoming", opens
    elif closes and now > closes:
        status, at = ("passed" if step.kind == "milestone" or step.district_held else "overdue"), closes
    else:
        status, at = "open", closes
    if status == "overdue" and state.get("scheduled_at"):
        # a date the step allows after its window (visit 3 waits for key data): open until that day ends
        scheduled = dates.parse_instant(state["scheduled_at"])
        late = dated.late_until(scheduled)
        if late and now <= late:
            status, at = "open", scheduled
    return [Item(dated, None, status, at, state)]


def follows(state: SchoolState, cycle: Cycle, year: SchoolYear) -> bool:
    """Whether the school follows ``cycle`` in ``year``: named by the district (every year), or
    the edition of its model's default guidance in force that year (``bot.calendar.editions``)."""
    school = state.school
    return cycle.id in school.cycles or (school.default_cycles and in_force(cycle, school.model, year))


_DATED: dict[tuple, tuple[Cycle, object, tuple[DatedStep, ...]]] = {}


def _dated_steps(cycle: Cycle, year: SchoolYear, state: SchoolState) -> list[DatedStep]:
    """The cycle's steps for ``year`` (none in a year the school does not follow the cycle), with
    the district's own dates where the documents give none; memoised per (cycle object with those
    dates, year, zone, reported anchors, calendar object): schools that share them (most of a
    district) share the dated steps, which are frozen."""
    if not follows(state, cycle, year):
        return []
    cycle = dated_cycle(cycle, state.school)  # memoised: one object per (cycle, district dates)
    anchors = state.anchor_dates(year)
    closed = school_calendar(state.school)  # memoised by content: one object per calendar
    key = (id(cycle), year.start, state.school.tz, tuple(sorted(anchors.items())), id(closed))
    hit = _DATED.get(key)
    if hit is None or hit[0] is not cycle or hit[1] is not closed:
        if len(_DATED) > 20_000:
            _DATED.clear()
        hit = _DATED[key] = (cycle, closed, tuple(instantiate(cycle, year, state.school.tz, anchors, closed)))
    return list(hit[2])


def tracking_began(state: SchoolState) -> datetime | None:
    """UTC instant the school was set up here (None for schools set up before this was recorded)."""
    try:
        return dates.parse_instant(state.school.created_at) if state.school.created_at else None
    except dates.DateError:
        return None


def cycle_items(cycle: Cycle, year: SchoolYear, state: SchoolState, now: datetime) -> list[Item]:
    items: list[Item] = []
    began = tracking_began(state)
    for dated in _dated_steps(cycle, year, state):
        for item in _step_items(dated, state.step_state(year, dated.key), now):
            if began and item.status == "overdue" and item.at and item.at < began:
                item = Item(item.dated, item.label, "untracked", item.at, item.state)
            items.append(item)
    return items


def school_cycles(state: SchoolState, library: CycleLibrary) -> list[Cycle]:
    """Every cycle the school follows in some year: each edition of its model's defaults (oldest
    first), then the cycles the district named. A cycle has no steps in a year it is not followed."""
    school = state.school
    out = default_candidates(library.cycles.values(), school.model) if school.default_cycles else []
    named = [c for c in (library.get(cid) for cid in school.cycles) if c is not None]
    have = {c.id for c in out}
    return out + [c for c in named if c.id not in have]


def next_items(state: SchoolState, library: CycleLibrary, now: datetime, limit: int = 3) -> list[Item]:
    """The next ``limit`` things: overdue first (oldest first), then open windows (closing
    soonest first), then waiting and upcoming items (soonest first). Draws on each cycle's
    current instance and the one after it, so the next year's first items show near the end."""
    pool: list[Item] = []
    for cycle in school_cycles(state, library):
        year = current_year(cycle, state, now)
        for y in (year, year + 1):
            pool.extend(cycle_items(cycle, y, state, now))
    live = [i for i in pool if i.status in ("overdue", "open", "upcoming", "waiting")]
    far = datetime.max.replace(tzinfo=dates.UTC)

    def sort_key(item: Item):
        when = item.at or item.dated.first_at or far
        rank = {"overdue": 0, "open": 1}.get(item.status, 2)
        return (rank, when, item.key)

    live.sort(key=sort_key)
    return live[: max(0, limit)]


def timeline(
    state: SchoolState, library: CycleLibrary, now: datetime, year: SchoolYear | None = None
) -> list[tuple[Cycle, SchoolYear, list[Item]]]:
    """Every cycle's steps for ``year`` (default: each cycle's current instance), with status."""
    out = []
    for cycle in school_cycles(state, library):
        y = year or current_year(cycle, state, now)
        if follows(state, cycle, y):
            out.append((cycle, y, cycle_items(cycle, y, state, now)))
    return out
