"""The cycle calendars against their source documents.

The seed documents are the oracle: each table below is a document's own dates, written out as
literal local wall-clock times in America/New_York, and the same patterns carried to other years
with the expected dates worked out by hand (with a calendar, not with the code under test).
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the package is not installed in the test venv
    sys.path.insert(0, str(ROOT))

from bot.calendar.cycle_files import BUILTIN_DIR, CycleLibrary, parse_cycle
from bot.calendar.cycles import CycleError
from bot.calendar.dates import SchoolYear  # noqa: E402
from bot.calendar.instances import DatedStep, instantiate

TZ = "America/New_York"
NY = ZoneInfo(TZ)


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=NY)


def end_of(y: int, m: int, d: int) -> datetime:
    return local(y, m, d, 23, 59, 59)


@pytest.fixture(scope="module")
def library() -> CycleLibrary:
    return CycleLibrary.load()


def steps_for(library: CycleLibrary, cycle_id: str, year: str, anchors: dict[str, date] | None = None) -> dict[str, DatedStep]:
    cycle = library.get(cycle_id)
    assert cycle is not None, f"cycle {cycle_id} did not load: {library.errors}"
    return {s.step.id: s for s in instantiate(cycle, SchoolYear.parse(year), TZ, anchors)}


def case_id(value: object) -> str | None:
    """Readable test ids: dates and times as ISO text, strings as they are."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return None


def deadline(step: DatedStep, label: str) -> datetime:
    found = [d for d in step.deadlines if d.label == label]
    assert len(found) == 1, f"{step.key} has no single '{label}' deadline: {step.deadlines}"
    return found[0].at


# ---------------------------------------------------------------- the library


def test_every_builtin_cycle_loads_without_errors(library):
    assert library.errors == []
    assert library.ids() == ["district-plan-review", "nysed-planning-sessions", "nysed-tsi-visits", "sezp-planning"]
    for cycle_id in library.ids():
        assert Path(library.origins[cycle_id]) == BUILTIN_DIR / f"{cycle_id}.yaml"


@pytest.mark.parametrize(
    "cycle_id, source, reference_year, models",
    [
        ("nysed-tsi-visits", "000_1a1abb8c0d9e6cfd.txt", "2021-22", ["TSI"]),  # "Support Visits of TSI Schools"
        ("nysed-planning-sessions", "001_44c36e16934ec8e3.txt", "2024-25", ["CSI", "ATSI", "TSI"]),
        ("sezp-planning", "002_0a3836081179c4d5.txt", "2022-23", ["SEZP"]),
        ("district-plan-review", "004_80466974e679f8b8.txt", "2021-22", []),
    ],
)
def test_cycle_header(library, cycle_id, source, reference_year, models):
    cycle = library.get(cycle_id)
    assert (cycle.source, cycle.reference_year, cycle.models) == (source, reference_year, models)


# ---------------------------------------------------------------- NYSED TSI visits (seed 000)

VISIT_WINDOWS = [
    # the document's own year
    ("2021-22", "visit-1", date(2021, 10, 1), date(2021, 11, 30)),
    ("2021-22", "visit-2", date(2021, 12, 1), date(2021, 12, 31)),
    ("2021-22", "visit-3", date(2022, 1, 1), date(2022, 2, 28)),
    ("2021-22", "visit-4", date(2022, 3, 1), date(2022, 4, 30)),
    ("2021-22", "visit-5", date(2022, 6, 1), date(2022, 7, 31)),
    # carried to 2026-27: the same months
    ("2026-27", "visit-1", date(2026, 10, 1), date(2026, 11, 30)),
    ("2026-27", "visit-2", date(2026, 12, 1), date(2026, 12, 31)),
    ("2026-27", "visit-3", date(2027, 1, 1), date(2027, 2, 28)),
    ("2026-27", "visit-4", date(2027, 3, 1), date(2027, 4, 30)),
    ("2026-27", "visit-5", date(2027, 6, 1), date(2027, 7, 31)),
    # a leap year: the end of February stays the end of February
    ("2027-28", "visit-3", date(2028, 1, 1), date(2028, 2, 29)),
    ("2027-28", "visit-5", date(2028, 6, 1), date(2028, 7, 31)),
]


@pytest.mark.parametrize("year, step_id, first, last", VISIT_WINDOWS, ids=case_id)
def test_tsi_visit_windows(library, year, step_id, first, last):
    step = steps_for(library, "nysed-tsi-visits", year)[step_id]
    assert step.opens_at == local(first.year, first.month, first.day)
    assert step.closes_at == end_of(last.year, last.month, last.day)
    assert (step.waiting_for, step.estimated, step.deadlines) == ((), False, ())


def test_window_instants_are_utc_and_follow_dst(library):
    visit_1 = steps_for(library, "nysed-tsi-visits", "2021-22")["visit-1"]
    assert visit_1.opens_at.utcoffset() == timedelta(0)
    # opens on EDT (UTC-4), closes on EST (UTC-5) after the November change
    assert visit_1.opens_at == datetime(2021, 10, 1, 4, 0, tzinfo=ZoneInfo("UTC"))
    assert visit_1.closes_at == datetime(2021, 12, 1, 4, 59, 59, tzinfo=ZoneInfo("UTC"))
    assert visit_1.opens_at.astimezone(NY).utcoffset() == timedelta(hours=-4)
    assert visit_1.closes_at.astimezone(NY).utcoffset() == timedelta(hours=-5)


def test_tsi_visit_4_has_no_reporting_requirement(library):
    cycle = library.get("nysed-tsi-visits")
    assert [s.id for s in cycle.steps if not s.reporting] == ["visit-4"]


# ---------------------------------------------------------------- planning sessions (seed 001)

SESSION_WINDOWS = [
    ("2024-25", "session-1", date(2024, 10, 1), date(2024, 11, 30)),
    ("2024-25", "session-2", date(2025, 1, 6), date(2025, 2, 28)),
    ("2024-25", "session-3", date(2025, 3, 1), date(2025, 3, 31)),
    ("2024-25", "session-4", date(2025, 4, 1), date(2025, 4, 30)),
    ("2024-25", "session-5", date(2025, 5, 15), date(2025, 6, 30)),
    ("2027-28", "session-2", date(2028, 1, 6), date(2028, 2, 29)),
]


@pytest.mark.parametrize("year, step_id, first, last", SESSION_WINDOWS, ids=case_id)
def test_session_typical_windows(library, year, step_id, first, last):
    step = steps_for(library, "nysed-planning-sessions", year)[step_id]
    assert step.opens_at == local(first.year, first.month, first.day)
    assert step.closes_at == end_of(last.year, last.month, last.day)


def test_sessions_1_and_2_wait_for_their_events(library):
    steps = steps_for(library, "nysed-planning-sessions", "2024-25")
    assert steps["session-1"].waiting_for == ("milestones-data", "fall-team-meeting")
    assert steps["session-1"].estimated is True
    assert steps["session-2"].waiting_for == ("benchmarks-data", "winter-team-meeting")
    assert steps["session-2"].estimated is True
    for step_id in ("session-3", "session-4", "session-5"):
        assert (steps[step_id].waiting_for, steps[step_id].estimated) == ((), False)


def test_session_1_is_fixed_by_the_reported_events(library):
    anchors = {"milestones-data": date(2024, 10, 15), "fall-team-meeting": date(2024, 11, 5)}
    steps = steps_for(library, "nysed-planning-sessions", "2024-25", anchors)
    session_1 = steps["session-1"]
    # as soon as the data is available, and before the team meeting (ends the day before)
    assert session_1.opens_at == local(2024, 10, 15)
    assert session_1.closes_at == end_of(2024, 11, 4)
    assert (session_1.waiting_for, session_1.estimated) == ((), False)
    # the fall events do not move the winter session
    assert steps["session-2"].opens_at == local(2025, 1, 6)
    assert steps["session-2"].waiting_for == ("benchmarks-data", "winter-team-meeting")


def test_session_1_with_only_the_data_reported(library):
    steps = steps_for(library, "nysed-planning-sessions", "2024-25", {"milestones-data": date(2024, 10, 15)})
    session_1 = steps["session-1"]
    assert session_1.opens_at == local(2024, 10, 15)
    assert session_1.closes_at is None  # unknown until the meeting is reported: never guessed
    assert (session_1.waiting_for, session_1.estimated) == (("fall-team-meeting",), False)


def test_session_2_is_fixed_by_the_reported_events(library):
    anchors = {"benchmarks-data": date(2025, 1, 27), "winter-team-meeting": date(2025, 2, 11)}
    session_2 = steps_for(library, "nysed-planning-sessions", "2024-25", anchors)["session-2"]
    assert session_2.opens_at == local(2025, 1, 27)
    assert session_2.closes_at == end_of(2025, 2, 10)
    assert (session_2.waiting_for, session_2.estimated) == ((), False)


def test_planning_session_anchors_tell_how_to_report_them(library):
    cycle = library.get("nysed-planning-sessions")
    assert {k: (a.title, a.hint) for k, a in cycle.anchors.items()} == {
        "milestones-data": ("Early Progress Milestone data to be available", "/scep data milestones ready <date>"),
        "fall-team-meeting": ("the date of the fall SCEP team meeting", "/scep meeting fall <date>"),
        "benchmarks-data": ("Mid-Year Benchmark data to be available", "/scep data benchmarks ready <date>"),
        "winter-team-meeting": ("the date of the winter SCEP team meeting", "/scep meeting winter <date>"),
    }


SESSION_BRINGS = [
    ("session-1", "Early Progress Milestone data"),
    ("session-2", "Mid-Year Benchmark data"),
    ("session-3", "reflected on"),
    ("session-4", "Proposed Key Strategies"),
    ("session-5", "emailed as part of the Session 4 Follow-Up"),
]


@pytest.mark.parametrize("step_id, brings", SESSION_BRINGS)
def test_each_session_as_the_document_gives_it(library, step_id, brings):
    step = library.get("nysed-planning-sessions").step(step_id)
    n = step_id[-1]
    assert (step.kind, step.owner, step.short) == ("session", "principal", f"Session {n}")
    assert f"s{n}" in step.aliases and f"planning session {n}" in step.aliases
    assert any(brings in item for item in step.bring)
    assert step.deliverable == "An agenda for the 60-120 minute SCEP team meeting that follows, and a plan for how to run it"
    assert [p.role for p in step.participants] == ["principal", "liaison"]
    assert "NYSED for CSI" in step.participants[1].note and "District/BOCES for ATSI and TSI" in step.participants[1].note
    assert step.purpose and step.guiding_questions and step.tips and step.after


def test_sessions_1_and_2_carry_the_five_tips(library):
    cycle = library.get("nysed-planning-sessions")
    tips = cycle.step("session-1").tips
    assert len(tips) == 5 and cycle.step("session-2").tips == tips
    assert "surprising, unexpected, and/or lower" in tips[1]
    assert "does not mean the strategies are wrong" in tips[2]
    assert "fall session" in cycle.step("session-1").aliases
    assert "winter session" in cycle.step("session-2").aliases


def test_session_4_follow_up_emails_the_proposed_final_plan(library):
    after = library.get("nysed-planning-sessions").step("session-4").after
    assert any("Email the proposed final plan" in item and "Session 4 Follow-Up" in item for item in after)


# ---------------------------------------------------------------- SEZP planning (seed 002)

# (step, label, local deadline): every date the document gives, for the year it gives them.
SEZP_2022 = [
    ("priority-levers", "draft", local(2022, 5, 6, 16)),
    ("priority-levers", "final", local(2022, 5, 27, 16)),
    ("educator-working-conditions", "draft", local(2022, 5, 6, 16)),
    ("educator-working-conditions", "final", local(2022, 5, 27, 16)),
    ("calendars", "draft", local(2022, 5, 6, 16)),
    ("calendars", "final", local(2022, 5, 27, 16)),
    ("optional-services-sps", "due", local(2022, 3, 1, 16)),
    ("optional-services-sezp", "due", local(2022, 4, 8, 16)),
    ("priority-lever-goals", "draft", local(2022, 5, 20, 16)),
    ("priority-lever-goals", "final", local(2022, 5, 27, 16)),
    ("tlt-transition", "draft", local(2022, 5, 20, 16)),
    ("tlt-transition", "final", local(2022, 5, 27, 16)),
    ("summer-plan", "draft", local(2022, 5, 20, 16)),
    ("summer-plan", "final", local(2022, 5, 27, 16)),
    ("strategic-action-plan", "due", local(2022, 8, 5, 16)),
    ("mid-year-targets", "due", local(2022, 10, 28, 16)),
    ("tlt-selection", "due", local(2022, 10, 28, 16)),
    ("board-approval", "due", end_of(2022, 6, 7)),
    ("phase-3-4-begin", "due", end_of(2022, 7, 1)),
]

# The same deadlines carried to 2026-27, worked out with a calendar: the same nth Friday
# (May 6 2022 = 1st Friday of May -> May 1 2026; May 20 = 3rd -> May 15; May 27 = 4th -> May 22;
# Apr 8 = 2nd Friday -> Apr 10; Aug 5 = 1st -> Aug 7; Oct 28 = 4th -> Oct 23), except the
# dates that carry as dates (Mar 1, Jun 7, Jul 1).
SEZP_2026 = [
    ("priority-levers", "draft", local(2026, 5, 1, 16)),
    ("priority-levers", "final", local(2026, 5, 22, 16)),
    ("calendars", "draft", local(2026, 5, 1, 16)),
    ("optional-services-sps", "due", local(2026, 2, 27, 16)),  # Mar 1 2026 is a Sunday: the Friday before
    ("optional-services-sezp", "due", local(2026, 4, 10, 16)),
    ("priority-lever-goals", "draft", local(2026, 5, 15, 16)),
    ("priority-lever-goals", "final", local(2026, 5, 22, 16)),
    ("summer-plan", "draft", local(2026, 5, 15, 16)),
    ("strategic-action-plan", "due", local(2026, 8, 7, 16)),
    ("mid-year-targets", "due", local(2026, 10, 23, 16)),
    ("tlt-selection", "due", local(2026, 10, 23, 16)),
    ("board-approval", "due", end_of(2026, 6, 7)),
    ("phase-3-4-begin", "due", end_of(2026, 7, 1)),
]

# And to 2027-28 (May 1 2027 is a Saturday: 1st Friday May 7, 3rd May 21, 4th May 28).
SEZP_2027 = [
    ("priority-levers", "draft", local(2027, 5, 7, 16)),
    ("priority-levers", "final", local(2027, 5, 28, 16)),
    ("priority-lever-goals", "draft", local(2027, 5, 21, 16)),
    ("optional-services-sezp", "due", local(2027, 4, 9, 16)),
    ("strategic-action-plan", "due", local(2027, 8, 6, 16)),
    ("mid-year-targets", "due", local(2027, 10, 22, 16)),
]


@pytest.mark.parametrize(
    "year, step_id, label, expected",
    [("2022-23", *row) for row in SEZP_2022] + [("2026-27", *row) for row in SEZP_2026] + [("2027-28", *row) for row in SEZP_2027],
    ids=case_id,
)
def test_sezp_deadlines(library, year, step_id, label, expected):
    step = steps_for(library, "sezp-planning", year)[step_id]
    assert deadline(step, label) == expected
    assert deadline(step, label).astimezone(NY).replace(tzinfo=None) == expected.replace(tzinfo=None)


def test_sezp_table_covers_every_deadline(library):
    steps = steps_for(library, "sezp-planning", "2022-23")
    given = sorted((s.step.id, d.label) for s in steps.values() for d in s.deadlines)
    assert given == sorted((step_id, label) for step_id, label, _ in SEZP_2022)


def test_sezp_2022_deadlines_fall_on_fridays(library):
    steps = steps_for(library, "sezp-planning", "2022-23")
    timed = {(s.step.id, d.label): d.at.astimezone(NY) for s in steps.values() for d in s.deadlines if d.timed}
    not_friday = {key: at.strftime("%a") for key, at in timed.items() if at.weekday() != 4}
    assert not_friday == {("optional-services-sps", "due"): "Tue"}
    end_of_day = {s.step.id for s in steps.values() for d in s.deadlines if not d.timed}
    assert end_of_day == {"board-approval", "phase-3-4-begin"}


@pytest.mark.parametrize("year", ["2023-24", "2024-25", "2025-26", "2026-27", "2027-28", "2028-29", "2031-32"])
def test_sezp_friday_deadlines_stay_on_fridays(library, year):
    reference = steps_for(library, "sezp-planning", "2022-23")
    carried = steps_for(library, "sezp-planning", year)
    for step_id, step in carried.items():
        for d, ref in zip(step.deadlines, reference[step_id].deadlines):
            was, now = ref.at.astimezone(NY), d.at.astimezone(NY)
            if d.moved_from:  # a same-date carry landed on a closed day (the SPS decision, Mar 1)
                assert (step_id, d.moved_why, now.date()) == ("optional-services-sps", "weekend", d.moved_from - timedelta(days=(d.moved_from.weekday() - 4) % 7))
                now = now.replace(year=d.moved_from.year, month=d.moved_from.month, day=d.moved_from.day)
            assert (now.year - was.year, now.month, now.time()) == (SchoolYear.parse(year) - SchoolYear(2022), was.month, was.time())
            if d.timed and step_id != "optional-services-sps":
                assert now.weekday() == 4, f"{step_id} {d.label} {now:%a %Y-%m-%d}"
                assert (now.day - 1) // 7 == (was.day - 1) // 7, f"{step_id} {d.label} is not the same nth Friday"


@pytest.mark.parametrize(
    "step_id, label, utc_hour, offset_hours",
    [
        ("optional-services-sps", "due", 21, -5),  # March 1: still EST
        ("optional-services-sezp", "due", 20, -4),  # April 8: EDT
        ("priority-levers", "draft", 20, -4),  # May
        ("mid-year-targets", "due", 20, -4),  # Oct 28: EDT until Nov 6 2022
    ],
)
def test_sezp_4pm_is_4pm_local_across_dst(library, step_id, label, utc_hour, offset_hours):
    at = deadline(steps_for(library, "sezp-planning", "2022-23")[step_id], label)
    assert at.utcoffset() == timedelta(0)
    assert at.hour == utc_hour
    assert at.astimezone(NY).utcoffset() == timedelta(hours=offset_hours)
    assert (at.astimezone(NY).hour, at.astimezone(NY).minute) == (16, 0)


SEZP_WINDOWS_2022 = [
    ("mid-year-data-review", date(2022, 1, 1), date(2022, 1, 31)),
    ("budgets-launch", date(2022, 2, 10), date(2022, 2, 20)),
    ("tlt-goal-meetings", date(2022, 4, 1), date(2022, 4, 30)),
    ("faculty-handbook", date(2022, 8, 1), date(2022, 8, 31)),
    ("tlt-elections", date(2022, 8, 1), date(2022, 8, 31)),
    ("target-setting", date(2022, 9, 1), date(2022, 10, 28)),
    ("monitoring", date(2022, 10, 1), date(2022, 12, 31)),
]
# Month windows keep whole months in other years; target setting still closes with the
# Phase IV deadline (the 4th Friday of October: Oct 23 2026).
SEZP_WINDOWS_2026 = [
    ("mid-year-data-review", date(2026, 1, 1), date(2026, 1, 31)),
    ("budgets-launch", date(2026, 2, 10), date(2026, 2, 20)),
    ("tlt-goal-meetings", date(2026, 4, 1), date(2026, 4, 30)),
    ("tlt-elections", date(2026, 8, 1), date(2026, 8, 31)),
    ("target-setting", date(2026, 9, 1), date(2026, 10, 23)),
    ("monitoring", date(2026, 10, 1), date(2026, 12, 31)),
]


@pytest.mark.parametrize(
    "year, step_id, first, last",
    [("2022-23", *row) for row in SEZP_WINDOWS_2022] + [("2026-27", *row) for row in SEZP_WINDOWS_2026],
    ids=case_id,
)
def test_sezp_timeline_windows(library, year, step_id, first, last):
    step = steps_for(library, "sezp-planning", year)[step_id]
    assert step.opens_at == local(first.year, first.month, first.day)
    assert step.closes_at == end_of(last.year, last.month, last.day)


def test_faculty_handbook_is_due_by_the_first_day_of_august_pd(library):
    cycle = library.get("sezp-planning")
    assert (cycle.anchors["august-pd"].title, cycle.anchors["august-pd"].hint) == (
        "the date of the first day of August PD",
        "/scep meeting august-pd <date>",
    )
    typical = steps_for(library, "sezp-planning", "2022-23")["faculty-handbook"]
    assert (typical.waiting_for, typical.estimated) == (("august-pd",), True)
    fixed = steps_for(library, "sezp-planning", "2022-23", {"august-pd": date(2022, 8, 22)})["faculty-handbook"]
    assert fixed.closes_at == end_of(2022, 8, 21)
    assert (fixed.waiting_for, fixed.estimated) == ((), False)


SEZP_STEPS = [
    # step, kind, owner, phase
    ("priority-levers", "deliverable", "team", "I"),
    ("educator-working-conditions", "deliverable", "team", "I"),
    ("calendars", "deliverable", "team", "I"),
    ("optional-services-sps", "deliverable", "principal", "I"),
    ("optional-services-sezp", "deliverable", "principal", "I"),
    ("summer-school", "deliverable", "principal", "I"),
    ("priority-lever-goals", "deliverable", "team", "II"),
    ("tlt-transition", "deliverable", "team", "II"),
    ("summer-plan", "deliverable", "principal", "II"),
    ("strategic-action-plan", "deliverable", "principal", "III"),
    ("faculty-handbook", "deliverable", "principal", "III"),
    ("mid-year-targets", "deliverable", "team", "IV"),
    ("tlt-selection", "deliverable", "team", "IV"),
    ("mid-year-data-review", "review", "team", None),
    ("budgets-launch", "milestone", "principal", None),
    ("tlt-goal-meetings", "meeting", "team", None),
    ("board-approval", "review", "board", None),  # the SEZP Board's, chased by the district
    ("phase-3-4-begin", "milestone", "principal", None),
    ("tlt-elections", "meeting", "team", None),
    ("target-setting", "review", "team", None),
    ("monitoring", "review", "team", None),
    ("operations-check-ins", "meeting", "principal", None),
]


def test_sezp_steps_kinds_owners_and_phases(library):
    cycle = library.get("sezp-planning")
    assert [(s.id, s.kind, s.owner, s.phase) for s in cycle.steps] == SEZP_STEPS
    assert all(s.purpose for s in cycle.steps)
    assert "TLT" in cycle.step("educator-working-conditions").notes and "vote" in cycle.step("educator-working-conditions").notes
    assert "Governor" in cycle.step("budgets-launch").notes
    assert any("September" in a for a in cycle.step("tlt-elections").after)


def test_summer_school_planning_is_undated(library):
    step = steps_for(library, "sezp-planning", "2022-23")["summer-school"]
    assert step.step.undated
    assert (step.opens_at, step.closes_at, step.deadlines, step.first_at) == (None, None, (), None)


# ---------------------------------------------------------------- district plan review (seed 004)

AAR = [
    "What was expected to happen?",
    "What actually happened?",
    "Why was there a difference?",
    "What can we learn from this? What will we do next time?",
]


def test_district_plan_review_ships_defaults_and_says_so(library):
    cycle = library.get("district-plan-review")
    assert "defaults" in cycle.defaults_note
    assert "district-plan-review" in cycle.defaults_note and "cycles/" in cycle.defaults_note
    assert [(s.id, s.kind, s.owner) for s in cycle.steps] == [
        ("planning-start", "meeting", "district"),
        ("training", "meeting", "district"),
        ("first-draft", "deliverable", "principal"),
        ("first-feedback", "review", "district"),
        ("revisions", "deliverable", "principal"),
        ("final-review", "review", "district"),
        ("approval", "review", "district"),
        ("checkin-fall", "meeting", "liaison"),
        ("checkin-winter", "meeting", "liaison"),
        ("checkin-spring", "meeting", "liaison"),
        ("district-reflection", "review", "district"),
    ]
    for step_id in ("checkin-fall", "checkin-winter", "checkin-spring"):
        assert cycle.step(step_id).guiding_questions == AAR
    assert any(q.startswith("Approval: Who will approve") for q in cycle.step("planning-start").guiding_questions)
    assert cycle.step("district-reflection").guiding_questions


DISTRICT_DEFAULTS = [
    ("2021-22", "first-draft", "due", local(2021, 5, 14, 16)),
    ("2021-22", "revisions", "due", local(2021, 6, 11, 16)),
    # the 2nd Friday of May and of June carried to 2026-27
    ("2026-27", "first-draft", "due", local(2026, 5, 8, 16)),
    ("2026-27", "revisions", "due", local(2026, 6, 12, 16)),
]


@pytest.mark.parametrize("year, step_id, label, expected", DISTRICT_DEFAULTS, ids=case_id)
def test_district_default_deadlines(library, year, step_id, label, expected):
    assert deadline(steps_for(library, "district-plan-review", year)[step_id], label) == expected


def test_district_default_windows(library):
    steps = steps_for(library, "district-plan-review", "2021-22")
    windows = {k: (s.opens_at, s.closes_at) for k, s in steps.items() if s.opens_at}
    assert windows["planning-start"] == (local(2021, 4, 1), end_of(2021, 4, 30))
    assert windows["first-feedback"][1] == end_of(2021, 5, 28)
    assert windows["final-review"][1] == end_of(2021, 6, 25)
    assert windows["approval"][1] == end_of(2021, 7, 15)
    assert windows["checkin-fall"] == (local(2021, 10, 1), end_of(2021, 10, 31))
    assert windows["checkin-winter"][0].astimezone(NY).month == 1
    assert windows["checkin-spring"] == (local(2022, 4, 1), end_of(2022, 4, 30))
    assert windows["district-reflection"] == (local(2022, 5, 1), end_of(2022, 5, 31))


def test_a_district_file_with_the_same_id_replaces_the_builtin(tmp_path, library):
    text = (BUILTIN_DIR / "district-plan-review.yaml").read_text(encoding="utf-8")
    (tmp_path / "district-plan-review.yaml").write_text(
        text.replace('{"on": 2021-05-14, at: "16:00"', '{"on": 2021-05-07, at: "12:00"'), encoding="utf-8"
    )
    mine = CycleLibrary.load(tmp_path)
    assert mine.errors == []
    assert mine.origins["district-plan-review"] == str(tmp_path / "district-plan-review.yaml")
    first_draft = steps_for(mine, "district-plan-review", "2021-22")["first-draft"]
    assert deadline(first_draft, "due") == local(2021, 5, 7, 12)


# ---------------------------------------------------------------- validation errors

BASE = """\
id: bad-cycle
title: Bad cycle
reference_year: 2021-22
steps:
  - id: visit-1
    title: Visit 1
    kind: visit
    owner: liaison
    window: {opens: 2021-10-01, closes: 2021-11-30}
  - id: report
    title: Report
    kind: deliverable
    owner: team
    deadlines: {draft: "2022-05-06 16:00", final: "2022-05-27 16:00"}
"""


def test_the_base_of_the_error_cases_is_valid():
    cycle = parse_cycle(BASE, "bad.yaml")
    assert [s.id for s in cycle.steps] == ["visit-1", "report"]


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            "closes: 2021-11-30",
            "closes: 2021-09-30",
            "bad.yaml:9: step 'visit-1' field 'window': the window closes before it opens",
        ),
        (
            "kind: deliverable",
            "kind: workshop",
            "bad.yaml:12: step 'report' field 'kind': Input should be 'visit', 'session', 'deliverable', "
            "'meeting', 'review' or 'milestone'",
        ),
        (
            "    title: Report\n",
            "",
            "bad.yaml:10: step 'report' field 'title': Field required",
        ),
        (
            '"2022-05-06 16:00"',
            '"May 6"',
            "bad.yaml:14: step 'report' field 'deadlines.draft': write a date like 2022-05-06 or 2022-05-06 16:00",
        ),
        (
            '"2022-05-06 16:00"',
            "May 6",
            "bad.yaml:14: step 'report' field 'deadlines.draft': write a date like 2022-05-06 or 2022-05-06 16:00",
        ),
        (
            '"2022-05-06 16:00"',
            '"2022-05-06 25:00"',
            "bad.yaml:14: step 'report' field 'deadlines.draft.at': Input should be in a valid time format, "
            "hour value is outside expected range of 0-23",
        ),
        (
            "{draft:",
            "{drft:",
            "bad.yaml:14: step 'report' field 'deadlines.drft.[key]': Input should be 'due', 'draft' or 'final'",
        ),
        (
            "    owner: team\n",
            "    owner: team\n    colour: red\n",
            "bad.yaml:14: step 'report' field 'colour': Extra inputs are not permitted",
        ),
        (
            "    window: {opens: 2021-10-01, closes: 2021-11-30}\n",
            "",
            "bad.yaml:5: step 'visit-1' field '(the file)': a step needs a window, deadlines, anchors, or "
            "'undated' with the reason",
        ),
        (
            "title: Bad cycle\n",
            "",
            "bad.yaml:1: field 'title': Field required",
        ),
    ],
    ids=[
        "window-closes-before-opens",
        "unknown-kind",
        "missing-title",
        "deadline-May-6-quoted",
        "deadline-May-6-bare",
        "deadline-hour-25",
        "unknown-deadline-label",
        "unknown-field",
        "step-without-dates",
        "cycle-without-title",
    ],
)
def test_validation_error_names_file_line_step_and_field(old, new, message):
    assert old in BASE
    with pytest.raises(CycleError) as caught:
        parse_cycle(BASE.replace(old, new, 1), "bad.yaml")
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("kind: visit", "kind: [visit", "bad.yaml:8: not valid YAML (expected ',' or ']', but got ':')"),
        ("    owner: team", "   owner: team", "bad.yaml:13: not valid YAML (expected <block end>, but found '<block mapping start>')"),
    ],
    ids=["unclosed-flow-sequence", "bad-indent"],
)
def test_bad_yaml_names_file_and_line(old, new, message):
    with pytest.raises(CycleError) as caught:
        parse_cycle(BASE.replace(old, new, 1), "bad.yaml")
    assert str(caught.value) == message


def test_a_file_that_is_not_a_mapping():
    with pytest.raises(CycleError) as caught:
        parse_cycle("- a\n- b\n", "bad.yaml")
    assert str(caught.value) == "bad.yaml:1: a cycle file is a mapping with id, title, reference_year and steps"


def test_a_broken_district_file_is_reported_and_the_builtin_stays(tmp_path):
    broken = BASE.replace("id: bad-cycle", "id: district-plan-review").replace("kind: deliverable", "kind: workshop")
    (tmp_path / "district-plan-review.yaml").write_text(broken, encoding="utf-8")
    lib = CycleLibrary.load(tmp_path)
    path = tmp_path / "district-plan-review.yaml"
    assert lib.errors == [
        f"{path}:12: step 'report' field 'kind': Input should be 'visit', 'session', 'deliverable', "
        "'meeting', 'review' or 'milestone'"
    ]
    assert lib.origins["district-plan-review"] == str(BUILTIN_DIR / "district-plan-review.yaml")
