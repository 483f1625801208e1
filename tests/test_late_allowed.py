"""A step that allows a date after its window for a stated reason (issue 11 item 4, last sentence:
visit 3 waits for key data), through signed requests and hourly sweeps. Dates written by hand
from a calendar: 2021-22, visit 2's window Dec 1 - Fri Dec 31 2021, visit 3's Jan 1 - Mon Feb 28
2022 (so its overdue notice is due Tue Mar 1); the late date is Thu Mar 10 2022, 10 AM."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.calendar.cycle_files import parse_cycle
from bot.calendar.cycles import CycleError
from bot.store.schema import STEP_KIND
from tests.harness import CHANNEL, Bot
from tests.nudge_driver import LIAISON, Driver, add_people, give_roles, utc

pytestmark = pytest.mark.usefixtures("nudges_only")
V2 = "2021-22:nysed-tsi-visits/visit-2"
V3 = "2021-22:nysed-tsi-visits/visit-3"
REASON = "waiting for key data"


@pytest.fixture
def lbot(tmp_path, fake):
    add_people(fake)
    b = Bot(tmp_path / "data", fake, utc("2021-12-01T14:00:00Z"))
    b.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits")
    give_roles(b)
    yield b
    b.close()


def reply(bot, text):
    bot.fake.clear()
    bot.command(text)
    return bot.last_response_text()


def doc(bot, key):
    store = bot.services.store
    return store.view(store.school_ids()[0]).get(STEP_KIND, key) or {}


def line(bot, short):
    return next(x for x in bot.command("timeline").text.splitlines() if short in x)


def test_a_late_date_is_recorded_with_its_reason_and_the_step_is_not_overdue_until_it_passes(lbot):
    bot = lbot
    bot.at("2022-02-22T15:00:00Z")
    text = reply(bot, "schedule visit 3 Mar 10 10am")
    assert "scheduled *SCEP Support Visit 3* (2021-22) for *Thu Mar 10 2022, 10:00 AM EST*" in text
    assert "After its window (closed Mon Feb 28 2022): recorded as waiting for key data" in text
    assert "as the guidance allows; no overdue notice while this date stands" in text
    assert ":warning:" not in text and "after Visit 3's window" not in text
    assert doc(bot, V3)["late_reason"].startswith(REASON)
    bot.at("2022-03-03T15:00:00Z")
    v3 = line(bot, "Visit 3")
    assert "overdue" not in v3 and f"scheduled after the window: {REASON}" in v3, v3
    assert "(window closed Mon Feb 28 2022; scheduled Thu Mar 10 2022, 10:00 AM EST)" in v3
    bot.at("2022-03-10T20:00:00Z")  # the afternoon of the date: it still stands
    assert "scheduled after the window" in line(bot, "Visit 3")
    bot.at("2022-03-11T14:00:00Z")  # the day after, not marked held: the usual
    v3 = line(bot, "Visit 3")
    assert v3.strip().startswith("[overdue]") and "scheduled after the window" not in v3, v3
    bot.at("2022-03-11T15:00:00Z")
    bot.command("done visit 3")
    assert line(bot, "Visit 3").strip().startswith("[done]")


def test_cancelling_the_late_date_makes_it_overdue_again(lbot):
    bot = lbot
    bot.at("2022-02-22T15:00:00Z")
    bot.command("schedule visit 3 Mar 10 10am")
    bot.at("2022-03-03T15:00:00Z")
    assert "scheduled after the window" in line(bot, "Visit 3")
    bot.command("schedule visit 3 cancel")
    assert line(bot, "Visit 3").strip().startswith("[overdue]")
    assert "late_reason" not in doc(bot, V3)


def test_a_step_without_the_field_is_warned_about_and_overdue(lbot):
    bot = lbot
    bot.at("2021-12-20T15:00:00Z")
    text = reply(bot, "schedule visit 2 Jan 12 10am")
    assert ":warning: That is after Visit 2's window (Wed Dec 1 2021 – Fri Dec 31 2021)." in text
    assert "recorded as" not in text and "late_reason" not in doc(bot, V2)
    bot.at("2022-01-05T15:00:00Z")
    v2 = line(bot, "Visit 2")
    assert v2.strip().startswith("[overdue]") and "scheduled after the window" not in v2, v2


def sent(d: Driver, step: str) -> list[tuple[str, str, str]]:
    """(local day, where, rule) of every overdue notice and escalation about ``step``."""
    out = []
    for p in d.posts:
        for item, rule in p.nudges:
            if item.endswith(f"/{step}") and rule in ("overdue", "escalation", "closing"):
                where = "channel" if p.channel == CHANNEL else ("liaison" if p.channel == LIAISON else p.channel)
                out.append((p.local().date().isoformat(), where, rule))
    return sorted(out)


def test_the_sweep_holds_the_overdue_notice_while_the_late_date_stands(lbot):
    bot = lbot
    d = Driver(bot)
    d.run(utc("2021-12-20T14:00:00Z"), utc("2022-01-12T23:00:00Z"), step=timedelta(hours=1), events={
        utc("2021-12-20T15:30:00Z"): lambda: bot.command("schedule visit 2 Jan 12 10am")})
    v2 = sent(d, "visit-2")  # no late_allowed: the usual overdue notice and escalation
    # Fri Dec 31 closes it; Mon Jan 3 is the next school day
    assert v2 == [("2021-12-28", "channel", "closing"), ("2022-01-03", "channel", "overdue"), ("2022-01-03", "liaison", "escalation")]
    d.run(utc("2022-02-20T14:00:00Z"), utc("2022-03-16T23:00:00Z"), step=timedelta(hours=1), events={
        utc("2022-02-20T15:30:00Z"): lambda: bot.command("schedule visit 3 Mar 10 10am")})
    # no closing notice (Fri Feb 25), no overdue notice on Tue Mar 1: both on Fri Mar 11, the day after the date
    assert sent(d, "visit-3") == [("2022-03-11", "channel", "overdue"), ("2022-03-11", "liaison", "escalation")]
    note = next(p for p in d.posts if any(i == V3 and r == "overdue" for i, r in p.nudges))
    assert "was scheduled for Thu Mar 10 2022, 10:00 AM EST, after its window (waiting for key data" in note.text


def test_held_on_the_late_date_nothing_overdue_goes_out(lbot):
    bot = lbot
    d = Driver(bot)
    d.run(utc("2022-02-20T14:00:00Z"), utc("2022-03-16T23:00:00Z"), step=timedelta(hours=1), events={
        utc("2022-02-20T15:30:00Z"): lambda: bot.command("schedule visit 3 Mar 10 10am"),
        utc("2022-03-10T18:00:00Z"): lambda: bot.command("done visit 3")})
    assert sent(d, "visit-3") == []


def test_without_a_late_date_visit_3_is_overdue_and_escalated_the_day_after_its_window(lbot):
    bot = lbot
    d = Driver(bot)
    d.run(utc("2022-02-20T14:00:00Z"), utc("2022-03-08T23:00:00Z"), step=timedelta(hours=1))
    assert sent(d, "visit-3") == [("2022-02-25", "channel", "closing"), ("2022-03-01", "channel", "overdue"), ("2022-03-01", "liaison", "escalation")]


def test_cycles_check_takes_late_allowed_only_on_a_step_with_a_window():
    bad = ("id: x\ntitle: X\nreference_year: 2021-22\nsteps:\n  - id: a\n    title: A\n    kind: deliverable\n"
           "    owner: team\n    deadlines: {due: 2021-10-01}\n    late_allowed: because\n")
    with pytest.raises(CycleError) as err:
        parse_cycle(bad, "x.yaml")
    assert "x.yaml:5: step 'a'" in str(err.value) and "'late_allowed' is for a visit, session, meeting or review with a window" in str(err.value)
    ok = bad.replace("kind: deliverable", "kind: visit").replace("deadlines: {due: 2021-10-01}", "window: {opens: 2021-10-01, closes: 2021-11-30}")
    assert parse_cycle(ok, "x.yaml").steps[0].late_allowed == "because"
