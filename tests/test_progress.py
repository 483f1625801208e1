"""Where a school stands at a given instant: statuses, ordering, roll-over, anchors."""

from __future__ import annotations

from datetime import date

import pytest

from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.dates import SchoolYear
from bot.core import progress
from bot.core.schools import School, SchoolState, step_key


@pytest.fixture(scope="module")
def library():
    return CycleLibrary.load()


def state(cycles, *, steps=None, anchors=None, tz="America/New_York", min_year=None):
    school = School("s1", "PS 1", "T", "C", "TSI", list(cycles), tz, min_year)
    return SchoolState(school, steps or {}, anchors or {})


def at(iso):
    return dates.parse_instant(iso)


@pytest.mark.parametrize("now, year", [
    ("2021-11-02T13:00:00Z", "2021-22"),
    ("2022-07-31T20:00:00Z", "2021-22"),  # visit 5's window still open: July belongs to 2021-22's cycle
    ("2022-08-01T12:00:00Z", "2022-23"),  # it closed: the cycle rolled by itself
    ("2027-03-01T12:00:00Z", "2026-27"),
])
def test_visits_roll_into_the_next_year_when_the_last_window_closes(library, now, year):
    cycle = library.get("nysed-tsi-visits")
    assert progress.current_year(cycle, state(["nysed-tsi-visits"]), at(now)).name == year


@pytest.mark.parametrize("now, year", [
    ("2022-03-01T12:00:00Z", "2022-23"),  # spring 2022 plans for 2022-23
    ("2022-11-15T12:00:00Z", "2022-23"),  # monitoring runs to December
    ("2023-01-05T12:00:00Z", "2023-24"),
])
def test_sezp_planning_serves_the_coming_year(library, now, year):
    cycle = library.get("sezp-planning")
    assert progress.current_year(cycle, state(["sezp-planning"]), at(now)).name == year


def test_a_pinned_year_is_a_floor(library):
    cycle = library.get("nysed-tsi-visits")
    s = state(["nysed-tsi-visits"], min_year="2026-27")
    assert progress.current_year(cycle, s, at("2021-11-02T13:00:00Z")).name == "2026-27"


def test_next_orders_overdue_then_open_then_upcoming(library):
    s = state(["nysed-tsi-visits"])
    items = progress.next_items(s, library, at("2022-01-10T15:00:00Z"), 10)
    assert [(i.dated.step.id, i.status) for i in items[:4]] == [
        ("visit-1", "overdue"), ("visit-2", "overdue"), ("visit-3", "open"), ("visit-4", "upcoming"),
    ]


def test_done_steps_leave_next_and_final_done_implies_draft(library):
    y = SchoolYear.parse("2021-22")
    s = state(["nysed-tsi-visits"], steps={step_key(y, "nysed-tsi-visits/visit-1"): {"done": {"held": {"at": "x", "by": "U"}}}})
    first = progress.next_items(s, library, at("2021-12-10T15:00:00Z"), 1)[0]
    assert first.dated.step.id == "visit-2" and first.status == "open"
    y2 = SchoolYear.parse("2022-23")
    s = state(["sezp-planning"], steps={step_key(y2, "sezp-planning/priority-levers"): {"done": {"final": {"at": "x", "by": "U"}}}})
    items = progress.cycle_items(library.get("sezp-planning"), y2, s, at("2022-05-28T15:00:00Z"))
    levers = {i.label: i.status for i in items if i.dated.step.id == "priority-levers"}
    assert levers == {"draft": "done", "final": "done"}
    goals = {i.label: i.status for i in items if i.dated.step.id == "priority-lever-goals"}
    assert goals == {"draft": "overdue", "final": "overdue"}


def test_a_deadline_is_overdue_one_second_after_4pm(library):
    y = SchoolYear.parse("2022-23")
    s = state(["sezp-planning"])
    cycle = library.get("sezp-planning")

    def status(iso):
        return next(i.status for i in progress.cycle_items(cycle, y, s, at(iso)) if i.dated.step.id == "priority-levers" and i.label == "draft")

    assert status("2022-05-06T20:00:00Z") == "upcoming"  # 16:00 EDT exactly
    assert status("2022-05-06T20:00:01Z") == "overdue"


def test_planning_sessions_wait_for_data_then_open(library):
    cycle = library.get("nysed-planning-sessions")
    y = SchoolYear.parse("2024-25")
    now = at("2024-10-20T14:00:00Z")

    def session_1(anchors):
        s = state(["nysed-planning-sessions"], anchors=anchors)
        return next(i for i in progress.cycle_items(cycle, y, s, now) if i.dated.step.id == "session-1")

    assert session_1({}).status == "waiting"
    item = session_1({"2024-25:milestones-data": {"date": "2024-10-15"}})
    assert item.status == "open" and item.at is None  # the meeting date is still unknown
    item = session_1({"2024-25:milestones-data": {"date": "2024-10-15"}, "2024-25:fall-team-meeting": {"date": "2024-11-05"}})
    assert item.status == "open" and dates.to_local(item.at, "America/New_York").date() == date(2024, 11, 4)
    later = next(i for i in progress.cycle_items(cycle, y, state(["nysed-planning-sessions"], anchors={
        "2024-25:milestones-data": {"date": "2024-10-15"}, "2024-25:fall-team-meeting": {"date": "2024-11-05"}}), at("2024-11-06T14:00:00Z")) if i.dated.step.id == "session-1")
    assert later.status == "overdue"


def test_local_zone_changes_which_day_it_is(library):
    # 03:30 UTC on Dec 1 is still Nov 30 in New York and Los Angeles, but Dec 1 in Berlin
    now = at("2021-12-01T03:30:00Z")
    ny = progress.next_items(state(["nysed-tsi-visits"]), library, now, 1)[0]
    assert ny.dated.step.id == "visit-1" and ny.status == "open"
    berlin = progress.next_items(state(["nysed-tsi-visits"], tz="Europe/Berlin"), library, now, 1)[0]
    assert berlin.dated.step.id == "visit-1" and berlin.status == "overdue"
