"""``/scep remind`` as Slack sends it, and the shape of ``nudges:`` in cycle files."""

from __future__ import annotations

import pytest

from bot.calendar.cycle_files import parse_cycle
from bot.calendar.cycles import CycleError
from tests.harness import ADMIN, CHANNEL
from tests.nudge_driver import LIAISON, PRINCIPAL, Driver, add_people, give_roles, utc

pytestmark = pytest.mark.usefixtures("nudges_only")


@pytest.fixture
def school(bot, fake):
    add_people(fake)
    bot.at("2021-07-01T12:00:00Z")
    bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits year:2021-22")
    give_roles(bot)
    bot.at("2021-09-20T14:00:00Z")
    return bot


def reply(bot, text: str, user: str = ADMIN) -> str:
    bot.command(text, user=user)
    return bot.last_response_text()


def test_remind_shows_the_next_nudges_in_local_time_and_the_settings(school):
    text = reply(school, "remind")
    assert "Nudges for Lincoln Elementary" in text
    assert "at 09:00 America/New_York · quiet days: sat, sun" in text
    assert text.index("Fri Oct 1 2021, 9:00 AM EDT · *SCEP Support Visit 1* · window opens") < text.index("Mon Nov 1 2021, 9:00 AM EDT · *SCEP Support Visit 1* · midpoint")
    assert "Fri Nov 26 2021, 9:00 AM EST" in text  # after the change to standard time, still 9:00


def test_remind_for_a_year_lists_every_nudge_with_what_happened(school):
    Driver(school).sweep(utc("2021-10-01T13:00:00Z"))
    text = reply(school, "remind 2021-22")
    assert "Every nudge for Lincoln Elementary, 2021-22" in text
    assert "Fri Oct 1 2021, 9:00 AM EDT · *SCEP Support Visit 1* · window opens · sent" in text
    assert "Mon Aug 1 2022, 9:00 AM EDT · *SCEP Support Visit 5* · overdue · planned" in text
    assert "overdue, DM to liaison" in text


def test_remind_changes_one_steps_rules_and_the_calendar_follows(school):
    text = reply(school, "remind visit 2 closing:5 midpoint:off")
    assert "Visit 2: midpoint:off closing:5" in text
    # Dec 31 - 5 = Sun Dec 26 -> Fri Dec 24, Christmas Day (Saturday) observed in New York -> Thu Dec 23
    assert "Thu Dec 23 2021, 9:00 AM EST · before the window closes" in text
    assert "midpoint, if unscheduled" not in text
    step = reply(school, "remind visit 2")
    assert "midpoint: off · closing: 5" in step and "Changed for this school: closing, midpoint" in step
    assert "midpoint: on" in reply(school, "remind visit 1")  # other steps keep the defaults
    reply(school, "remind visit 2 reset")
    assert "midpoint: on · closing: 3" in reply(school, "remind visit 2")


def test_remind_off_and_on_for_a_step_and_for_the_school(school):
    d = Driver(school)
    reply(school, "remind visit 1 off")
    d.sweep(utc("2021-10-01T13:00:00Z"))
    assert d.posts == []
    assert "· off" in reply(school, "remind visit 1") or "*off*" in reply(school, "remind visit 1")
    reply(school, "remind off")
    assert "*off* for this school" in reply(school, "remind")
    d.sweep(utc("2021-12-01T14:00:00Z"))
    assert [p for p in d.posts if p.channel == CHANNEL] == []
    reply(school, "remind on")
    d.sweep(utc("2021-12-01T14:01:00Z"))
    assert [p.nudges for p in d.posts if p.channel == CHANNEL] == [[("2021-22:nysed-tsi-visits/visit-2", "opens")]]  # visit 1 stays off


def test_remind_time_quiet_days_and_holidays(school):
    text = reply(school, "remind time:08:30 quiet:mon holiday:2021-10-01")
    assert "nudges at 08:30" in text and "quiet days: sat, sun, mon" in text and "school holidays: + 2021-10-01" in text
    # Oct 1 is a holiday: the opening nudge goes out on Tue Oct 5 (Mon is quiet) at 8:30
    assert "Tue Oct 5 2021, 8:30 AM EDT · *SCEP Support Visit 1* · window opens" in text
    text = reply(school, "remind unholiday:2021-10-01 quiet:none time:9")
    assert "Fri Oct 1 2021, 9:00 AM EDT · *SCEP Support Visit 1* · window opens" in text
    text = reply(school, "remind holiday:2021-12-24..2022-01-02")
    assert "2021-12-24..2022-01-02" in text
    assert "Mon Jan 3 2022, 9:00 AM EST · *SCEP Support Visit 2* · overdue" in text or "Mon Jan 3 2022" in reply(school, "remind 2021-22")
    assert "Thu Dec 23 2021, 9:00 AM EST · before the window closes" in reply(school, "remind visit 2")  # Dec 28 is in the break


def test_a_nudge_already_sent_is_not_sent_again_when_the_hour_changes(school):
    d = Driver(school)
    d.sweep(utc("2021-10-01T13:00:00Z"))
    reply(school, "remind time:10:00")
    d.sweep(utc("2021-10-01T14:00:00Z"))
    assert len([p for p in d.posts if p.channel == CHANNEL]) == 1


@pytest.mark.parametrize("text, expected", [
    ("remind visit 9 closing:3", "This school has no step called 'visit 9'"),
    ("remind visit 2 closing:-3", "-3 days is out of range for `closing:`: use whole days from 1 to 60"),
    ("remind visit 2 closing:400", "400 days is out of range"),
    ("remind all before:1000", "1000 days is out of range for `before:`"),
    ("remind all before:soon", "'soon' is not a number of days: write `before:14,7,2`"),
    ("remind quiet:funday", "'funday' is not a weekday: quiet days are mon, tue, wed, thu, fri"),
    ("remind quiet:mon,tue,wed,thu,fri", "That leaves no school day"),
    ("remind visit 2 before:3", "Visit 2 has a window, not deadlines"),
    ("remind visit 2 midpoint:maybe", "`midpoint:` is on or off"),
    ("remind closing:3", "Say which step the rules are for, or `all`"),
    ("remind time:3am", "03:00 is outside school hours"),
    ("remind time:25:99", "is not a time: write `time:09:00`"),
    ("remind holiday:2021-13-01", "'2021-13-01' is not a real date"),
    ("remind holiday:tomorrow", "is not a date or a range: write a date like 2026-11-25"),
    ("remind holiday:2021-01-01..2021-12-31", "a closure is at most 120 days"),
    ("remind unholiday:2021-11-25", "is not among this school's holidays"),
    ("remind visit 2 escalate:boss", "'boss' is not a role: escalate to liaison, principal, team, district"),
    ("remind visit 2 colour:red", "I don't know the option 'colour'"),
    ("remind visit 2 time:10:00", "apply to the whole school"),
    ("remind 2021", "is not a school year"),
])
def test_remind_bad_input_gives_the_valid_forms_and_changes_nothing(school, text, expected):
    before = school.services.store.view(school.services.store.school_ids()[0]).get("school", "profile")
    answer = reply(school, text)
    assert expected in answer, answer
    assert school.responses()[-1]["response_type"] == "ephemeral"
    assert school.services.store.view(school.services.store.school_ids()[0]).get("school", "profile") == before


def test_only_the_liaison_and_admins_change_nudges_but_anyone_reads_them(school, fake):
    fake.add_user("U0STRANGE", "stranger")
    assert "Only workspace admins and the liaison" in reply(school, "remind visit 2 closing:5", user=PRINCIPAL)
    assert "Nudges for Lincoln Elementary" in reply(school, "remind", user="U0STRANGE")
    assert "changed" in reply(school, "remind visit 2 closing:5", user=LIAISON)
    assert "Only workspace admins and the district admin" in reply(school, "remind district-holiday:2021-11-25", user=LIAISON)


def test_user_text_in_holidays_and_names_is_escaped(bot, fake):
    add_people(fake)
    bot.at("2021-07-01T12:00:00Z")
    bot.setup("<!channel> Academy cycles:nysed-tsi-visits year:2021-22")
    text = reply(bot, "remind")
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


# ---------------------------------------------------------------- the cycle files' nudges: shape

BASE = """id: x
title: X
reference_year: 2021-22
{cycle}steps:
  - id: visit-a
    title: Visit A
    kind: visit
    owner: liaison
    window: {{opens: 2021-10-01, closes: 2021-11-30}}
{step}"""


def test_cycle_and_step_nudges_are_read_and_applied():
    from bot.nudges.rules import effective_rules

    cycle = parse_cycle(BASE.format(cycle="nudges:\n  visit: {closing: 5, midpoint: false}\n", step="    nudges: {overdue: false, escalate: [liaison, district]}\n"), "x.yaml")
    rules, changed = effective_rules(cycle, "visit-a", {})
    assert (rules.closing, rules.midpoint, rules.overdue, rules.opens, rules.escalate) == (5, False, False, True, ("liaison", "district"))
    assert changed == []
    rules, changed = effective_rules(cycle, "visit-a", {"steps": {"x/visit-a": {"closing": 2}}, "all": {"opens": False}})
    assert (rules.closing, rules.opens) == (2, False) and changed == ["closing", "opens"]


@pytest.mark.parametrize("cycle, step, message", [
    ("nudges:\n  vissit: {}\n", "", "x.yaml:5: field 'nudges': 'vissit' is not a step kind"),
    ("", "    nudges: {closing: -1}\n", "step 'visit-a' field 'nudges.closing': write the days before the window closes"),
    ("", "    nudges: {before: [14, 0]}\n", "step 'visit-a' field 'nudges.before': write the days before each deadline"),
    ("", "    nudges: {escalate: [boss]}\n", "step 'visit-a' field 'nudges.escalate.0'"),
    ("", "    nudges: {sometimes: true}\n", "step 'visit-a' field 'nudges.sometimes': Extra inputs are not permitted"),
    ("nudges:\n  visit: {day-before: maybe}\n", "", "field 'nudges.visit.day-before'"),
])
def test_bad_nudges_in_a_cycle_file_name_the_file_line_step_and_field(cycle, step, message):
    with pytest.raises(CycleError) as err:
        parse_cycle(BASE.format(cycle=cycle, step=step), "x.yaml")
    assert message in str(err.value)


def test_any_remind_text_gives_an_answer_never_a_traceback(school):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from bot.core.command import dispatch
    from bot.core.context import Ctx
    from tests.harness import TEAM_ID

    words = st.sampled_from(["visit", "2", "all", "off", "on", "reset", "priority", "levers", "2021-22", "2021", "closing:", "before:",
                             "midpoint:", "quiet:", "time:", "holiday:", "unholiday:", "escalate:", "day-before:", "notes-prompt:",
                             "-3", "400", "fri", "funday", "08:30", "25:00", "2021-12-24..2022-01-02", "none", "<!channel>", ",", "\u201c"])
    texts = st.lists(st.one_of(words, st.text(max_size=12)), max_size=6).map(lambda ws: "remind " + " ".join(ws).replace(": ", ":"))

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(texts)
    def run(text):
        ctx = Ctx(school.services.store, school.services.library, utc("2021-09-20T14:00:00Z"), TEAM_ID, CHANNEL, LIAISON)
        reply = dispatch(ctx, text)
        assert reply.text.strip()
        assert "<!channel>" not in reply.text

    run()
