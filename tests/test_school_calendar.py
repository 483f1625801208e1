"""The school's calendar of record: public holidays per state, district closures, deadlines moved
off closed days, and every sender waiting for a school day.

The holiday tables below are written by hand from the statutes' rules (first Monday of
September, fourth Thursday of November, a Saturday holiday observed the Friday before, a
Sunday one the Monday after...), not computed with the ``holidays`` package the bot uses.
"""

from __future__ import annotations

import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.calendar.closures import Calendar
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.dates import SchoolYear
from bot.calendar.instances import instantiate
from bot.digests import monthly
from tests.harness import ADMIN
from tests.nudge_driver import add_people, give_roles, utc

# The eleven days both states close schools on, school years 2025-26, 2026-27, 2027-28.
COMMON = {
    # 2025-26
    date(2025, 9, 1): "Labor Day", date(2025, 10, 13): "Columbus Day", date(2025, 11, 11): "Veterans Day",
    date(2025, 11, 27): "Thanksgiving Day", date(2025, 12, 25): "Christmas Day", date(2026, 1, 1): "New Year's Day",
    date(2026, 1, 19): "Martin Luther King Jr. Day", date(2026, 2, 16): "Washington's Birthday", date(2026, 5, 25): "Memorial Day",
    date(2026, 6, 19): "Juneteenth National Independence Day",
    # 2026-27 (Independence Day 2026 is a Saturday: observed Friday Jul 3)
    date(2026, 7, 3): "Independence Day (observed)", date(2026, 9, 7): "Labor Day", date(2026, 10, 12): "Columbus Day",
    date(2026, 11, 11): "Veterans Day", date(2026, 11, 26): "Thanksgiving Day", date(2026, 12, 25): "Christmas Day",
    date(2027, 1, 1): "New Year's Day", date(2027, 1, 18): "Martin Luther King Jr. Day", date(2027, 2, 15): "Washington's Birthday",
    date(2027, 5, 31): "Memorial Day", date(2027, 6, 18): "Juneteenth National Independence Day (observed)",  # Jun 19 2027: Saturday
    # 2027-28 (Jul 4 2027 is a Sunday: observed Monday Jul 5; Christmas 2027 and New Year 2028 are Saturdays)
    date(2027, 7, 5): "Independence Day (observed)", date(2027, 9, 6): "Labor Day", date(2027, 10, 11): "Columbus Day",
    date(2027, 11, 11): "Veterans Day", date(2027, 11, 25): "Thanksgiving Day", date(2027, 12, 24): "Christmas Day (observed)",
    date(2027, 12, 31): "New Year's Day (observed)", date(2028, 1, 17): "Martin Luther King Jr. Day",
    date(2028, 2, 21): "Washington's Birthday", date(2028, 5, 29): "Memorial Day", date(2028, 6, 19): "Juneteenth National Independence Day",
}
# 2025-26 starts Jul 1 2025: Independence Day 2025 is a Friday.
COMMON[date(2025, 7, 4)] = "Independence Day"
# Massachusetts adds Patriots' Day, the third Monday of April; it moves a Sunday holiday to the
# Monday but does not observe a Saturday one on the Friday before (M.G.L. c. 4 s. 7, cl. 18).
MA_ONLY = {date(2026, 4, 20): "Patriots' Day", date(2027, 4, 19): "Patriots' Day", date(2028, 4, 17): "Patriots' Day"}
SATURDAY_OBSERVED = (date(2026, 7, 3), date(2027, 6, 18), date(2027, 12, 24), date(2027, 12, 31))
MA = {d: n for d, n in {**COMMON, **MA_ONLY}.items() if d not in SATURDAY_OBSERVED}
# New York's schools stay open on Lincoln's Birthday and Election Day (Education Law 3604(8)).
NY_OPEN = [date(2026, 2, 12), date(2025, 11, 4), date(2026, 11, 3), date(2027, 11, 2), date(2027, 2, 12)]


def closed_weekdays(state: str) -> dict[date, str]:
    cal = Calendar(state)
    return {d: why for d, why, _ in cal.closed_days(date(2025, 7, 1), date(2028, 6, 30))}


@pytest.mark.parametrize("state, expected", [("NY", COMMON), ("MA", MA)])
def test_public_holidays_of_three_school_years(state, expected):
    got = closed_weekdays(state)
    assert {d: n for d, n in got.items()} == {d: n for d, n in expected.items() if d.weekday() < 5}


def test_new_york_schools_are_open_on_election_day_and_lincolns_birthday():
    cal = Calendar("NY")
    assert [cal.why_closed(d) for d in NY_OPEN] == [None] * len(NY_OPEN)
    assert Calendar("MS").why_closed(date(2026, 4, 27)) == "Confederate Memorial Day"  # any state by its code


def test_deadlines_move_off_closed_days():
    lib = CycleLibrary.load()
    sezp = lib.get("sezp-planning")

    def due(year: str, step: str, label: str, cal: Calendar):
        d = next(s for s in instantiate(sezp, SchoolYear.parse(year), "America/New_York", closed=cal) if s.step.id == step)
        return next(x for x in d.deadlines if x.label == label)

    ma = Calendar("MA")
    # FINAL on the Friday before Memorial Day is a school day: it stays
    final = due("2026-27", "priority-levers", "final", ma)
    assert (final.moved_from, str(final.at)) == (None, "2026-05-22 20:00:00+00:00")
    # a same-date carry to a Sunday (SPS decision, Mar 1 2026) moves to the Friday before, and says so
    sps = due("2026-27", "optional-services-sps", "due", ma)
    assert (str(sps.at), sps.moved_note()) == ("2026-02-27 21:00:00+00:00", " (moved from Sun Mar 1: weekend)")
    # Saturday Mar 1 2031 -> Friday Feb 28 2031
    sps31 = due("2031-32", "optional-services-sps", "due", ma)
    assert (str(sps31.at), sps31.moved_note()) == ("2031-02-28 21:00:00+00:00", " (moved from Sat Mar 1: weekend)")
    # a closure on the Friday before Memorial Day moves the FINAL to Thursday
    recess = Calendar("MA", (closure(date(2026, 5, 22), "Staff day"),))
    moved = due("2026-27", "priority-levers", "final", recess)
    assert (str(moved.at), moved.moved_note()) == ("2026-05-21 20:00:00+00:00", " (moved from Fri May 22: Staff day)")


def closure(d: date, name: str):
    from bot.calendar.closures import Closure

    return Closure(d, d, name, "district")


def test_on_closed_day_next_and_keep_are_read_from_the_cycle_file():
    from bot.calendar.cycle_files import parse_cycle

    text = """
id: t
title: T
reference_year: 2026-27
steps:
  - {id: a, title: A, kind: deliverable, owner: team, deadlines: {due: 2026-11-26}, on_closed_day: next}
  - {id: b, title: B, kind: deliverable, owner: team, deadlines: {due: 2026-11-26}, on_closed_day: keep}
  - {id: c, title: C, kind: deliverable, owner: team, deadlines: {due: 2026-11-26}}
"""
    cycle = parse_cycle(text, "t.yaml")
    got = {s.step.id: (s.deadlines[0].at.date(), s.deadlines[0].moved_why) for s in instantiate(cycle, SchoolYear.parse("2026-27"), "UTC", closed=Calendar("NY"))}
    assert got == {"a": (date(2026, 11, 27), "Thanksgiving Day"), "b": (date(2026, 11, 26), ""), "c": (date(2026, 11, 25), "Thanksgiving Day")}


def test_a_monthly_digest_on_a_holiday_waits():
    # Jan 1 2027 (Friday) is New Year's Day: the January digest goes out Monday Jan 4
    assert monthly.first_school_day(2027, 1, Calendar("NY")) == date(2027, 1, 4)
    # Sep 2026: Tuesday Sep 1 is a school day
    assert monthly.first_school_day(2026, 9, Calendar("NY")) == date(2026, 9, 1)
    # Jun 2026 with a district recess Jun 1-2
    from bot.calendar.closures import Closure

    cal = Calendar("NY", (Closure(date(2026, 6, 1), date(2026, 6, 2), "Recess", "district"),))
    assert monthly.first_school_day(2026, 6, cal) == date(2026, 6, 3)


# ---------------------------------------------------------------- through Slack


@pytest.fixture
def school(bot, fake):
    add_people(fake)
    bot.at("2026-07-01T12:00:00Z")
    bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits")
    give_roles(bot)
    return bot


def reply(bot, text: str, user: str = ADMIN) -> str:
    bot.command(text, user=user)
    return bot.last_response_text()


def test_setup_shows_the_state_and_takes_another(school):
    assert "State: NY (from the CSI model; `state:MA` to change)" in reply(school, "setup Lincoln Elementary model:CSI")
    refused = reply(school, "setup Lincoln Elementary state:ma")
    assert "Massachusetts schools follow the SEZP model" in refused and "model:SEZP" in refused
    text = reply(school, "setup Lincoln Elementary model:SEZP state:ma")
    assert "State: MA" in text
    assert "is not a US state code" in reply(school, "setup Lincoln Elementary state:XX")


def test_holidays_lists_the_years_closed_days_with_their_source(school):
    text = reply(school, "holidays 2026-27")
    assert "Thu Nov 26: Thanksgiving Day _(public holiday (NY))_" in text
    assert "Mon Jan 18: Martin Luther King Jr. Day" in text
    assert "Nov 3" not in text  # Election Day: NY schools are open
    added = reply(school, "holidays add 2026-12-24..2027-01-01 Winter recess")
    assert "District closures added 2026-12-24..2027-01-01 Winter recess" in added
    text = reply(school, "holidays 2026-27")
    assert "Thu Dec 24: Winter recess _(district)_" in text and "Mon Dec 28 – Thu Dec 31: Winter recess _(district)_" in text  # Christmas keeps its name
    assert "Fri Dec 25: Christmas Day" in text and "Fri Jan 1: New Year's Day" in text
    reply(school, "holidays remove 2026-12-24..2027-01-01")
    assert "Winter recess _(district)_" not in reply(school, "holidays 2026-27")


def test_a_closure_that_closes_a_whole_window_is_refused_with_the_window_named(school):
    text = reply(school, "holidays add 2026-12-01..2026-12-31 Long recess")
    assert "Refused, nothing changed" in text and "SCEP Support Visit 2" in text
    assert "Long recess" not in reply(school, "holidays 2026-27")


def test_only_the_district_admin_or_a_workspace_admin_changes_closures(school):
    from tests.nudge_driver import PRINCIPAL

    assert "Only workspace admins and the district admin" in reply(school, "holidays add 2026-12-24 Eve", user=PRINCIPAL)


THANKSGIVING_CYCLE = """
id: t
title: T
reference_year: 2026-27
steps:
  - {id: w, title: Window, kind: visit, owner: liaison, window: {opens: 2026-11-02, closes: 2026-11-25}}
  - {id: d, title: Form, kind: deliverable, owner: team, deadlines: {due: 2026-11-25}}
"""


def a_school(tmp_path, cycle_text: str, state: str = "NY"):
    from bot.core.schools import School, SchoolState

    (tmp_path / "t.yaml").write_text(cycle_text)
    library = CycleLibrary.load(tmp_path)
    school = School("S1", "Lincoln", "T1", "C1", model="TSI", state=state, cycles=["t"], tz="America/New_York",
                    roles={"liaison": ["U1"]}, created_at="2026-07-01T00:00:00+00:00")
    return SchoolState(school, {}, {}), library


def test_a_nudge_that_would_fall_on_thanksgiving_goes_out_the_next_school_day(tmp_path):
    from bot.nudges import planning

    state, library = a_school(tmp_path, THANKSGIVING_CYCLE)
    got = {(n.item.split("/")[-1], n.rule): n.due_at for n in planning.calendar(state, library, utc("2026-09-01T12:00:00Z"), SchoolYear.parse("2026-27"))}
    # the window closes and the form is due Wed Nov 25: their overdue notices (and the
    # escalations) would fall on Thanksgiving, Thu Nov 26: they go out Fri Nov 27, 09:00 EST
    assert got[("w", "overdue")] == got[("w", "escalation")] == utc("2026-11-27T14:00:00Z")
    assert got[("d:due", "overdue")] == utc("2026-11-27T14:00:00Z")
    # without the state's holidays they would have gone out on Thanksgiving
    state.school.state, state.school.extra["public_holidays"] = None, False
    got = {(n.item.split("/")[-1], n.rule): n.due_at for n in planning.calendar(state, library, utc("2026-09-01T12:00:00Z"), SchoolYear.parse("2026-27"))}
    assert got[("w", "overdue")] == utc("2026-11-26T14:00:00Z")


def test_a_weekly_digest_on_a_holiday_monday_waits_for_tuesday(tmp_path):
    from bot.digests import weekly

    state, library = a_school(tmp_path, THANKSGIVING_CYCLE)
    # Mon Jan 18 2027 is Martin Luther King Jr. Day: that week's digest goes out Tue Jan 19 08:00 EST
    outs = weekly.weekly_digests([state], library, utc("2027-01-18T12:00:00Z"), lambda uid: None)
    assert sorted(o.due_at for o in outs) == [utc("2027-01-19T13:00:00Z"), utc("2027-01-25T13:00:00Z")]


class _Calendar(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.end_headers()
        self.wfile.write(type(self).body)

    def log_message(self, *a):
        pass


@pytest.fixture
def ics_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Calendar)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server
    server.shutdown()


GOOD_ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//District//EN\r
BEGIN:VEVENT\r
UID:1@district\r
SUMMARY:Winter Recess - schools closed\r
DTSTART;VALUE=DATE:20261224\r
DTEND;VALUE=DATE:20270102\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@district\r
SUMMARY:Superintendent's Conference Day\r
DTSTART;VALUE=DATE:20261005\r
DTEND;VALUE=DATE:20261006\r
RRULE:FREQ=YEARLY;COUNT=2\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:3@district\r
SUMMARY:Early dismissal\r
DTSTART:20261120T120000\r
DTEND:20261120T130000\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:4@district\r
SUMMARY:First day of school\r
DTSTART;VALUE=DATE:20260909\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_import_a_districts_calendar_from_a_url_with_recurring_events(school, ics_server):
    _Calendar.body = GOOD_ICS
    url = f"http://127.0.0.1:{ics_server.server_address[1]}/calendar.ics"
    text = reply(school, f"holidays import {url}")
    assert "imported 3 closures" in text  # the recess, and the conference day in 2026 and 2027
    assert "Early dismissal (not all-day)" in text and "First day of school" in text
    shown = reply(school, "holidays 2026-27")
    assert "Mon Oct 5: Superintendent's Conference Day _(imported from" in shown
    assert "Mon Dec 28 – Thu Dec 31: Winter Recess - schools closed" in shown
    assert "Tue Oct 5: Superintendent's Conference Day" in reply(school, "holidays 2027-28")  # yearly: Oct 5 again
    # importing again replaces what came from the same address (no duplicates)
    assert "imported 3 closures" in reply(school, f"holidays import {url}")
    assert reply(school, "holidays 2026-27") == shown


def test_an_ical_file_that_fails_to_parse_names_the_line_and_changes_nothing(school, ics_server):
    url = f"http://127.0.0.1:{ics_server.server_address[1]}/calendar.ics"
    _Calendar.body = GOOD_ICS.replace(b"DTSTART;VALUE=DATE:20261005", b"DTSTART;VALUE=DATE:2026XX05")
    text = reply(school, f"holidays import {url}")
    assert "Nothing imported: line 13:" in text and "is not a date" in text
    _Calendar.body = b"<html>not a calendar</html>"
    assert "line 1: an iCalendar file starts with BEGIN:VCALENDAR" in reply(school, f"holidays import {url}")
    assert "not an https address" in reply(school, "holidays import http://example.org/x.ics")
    assert "could not fetch" in reply(school, "holidays import http://127.0.0.1:1/x.ics")
    assert "_(district)_" not in reply(school, "holidays 2026-27") and "imported" not in reply(school, "holidays 2026-27")
