"""Steps held once per district (issue 11, item 8): the district's training for a district of
three schools is nudged once, by DM to the district role (never the liaison, never a school
channel), and each school shows it as a milestone, never overdue.

Expected dates by hand from schedules/cycles/district-plan-review.yaml (2021-22 defaults): the
training window is Thu Apr 15 - Fri May 7 2021; nudges at 09:00 New York time on school days:
opens Thu Apr 15, midpoint (Apr 26, a Monday), 3 days before it closes (Tue May 4), overdue the
next school day after it closes (Mon May 10).
"""

from __future__ import annotations

import pytest

from tests.harness import Bot
from tests.nudge_driver import DISTRICT, LIAISON, PRINCIPAL, Driver, add_people, utc

CHANNELS = ("C0SCHOOL1", "C0SCHOOL2", "C0SCHOOL3")
ITEM = "2021-22:district-plan-review/training"


@pytest.fixture
def district(tmp_path, fake, nudges_only):
    add_people(fake)
    b = Bot(tmp_path / "data", fake, utc("2021-03-15T14:00:00Z"))
    for i, ch in enumerate(CHANNELS):
        b.setup(f"School {i + 1} model:TSI cycles:district-plan-review year:2021-22", channel=ch)
        b.command(f"roles liaison:<@{LIAISON}> principal:<@{PRINCIPAL}> district:<@{DISTRICT}>", channel=ch)
    yield b
    b.close()


def test_a_district_step_is_nudged_once_for_three_schools_to_the_district_role(district):
    bot = district
    d = Driver(bot)
    d.run(utc("2021-04-01T12:00:00Z"), utc("2021-05-20T12:00:00Z"))
    dm = [(p.local().strftime("%Y-%m-%d %H:%M"), rule) for p in d.dms(DISTRICT) for item, rule in p.nudges if item == ITEM]
    assert dm == [("2021-04-15 09:00", "opens"), ("2021-04-26 09:00", "midpoint"), ("2021-05-04 09:00", "closing"), ("2021-05-10 09:00", "overdue")]
    text = next(p.text for p in d.dms(DISTRICT) if (ITEM, "opens") in p.nudges)
    assert "held once for the district" in text and "3 schools" in text and "School 1, School 2, School 3" in text
    # never in a school's channel, never to the liaison
    assert not [p for ch in CHANNELS for p in d.channel_posts(ch) if any(item == ITEM for item, _ in p.nudges)]
    assert not [p for p in d.dms(LIAISON) if "Training" in p.text]
    # each school shows it as a milestone: passed, not overdue
    text = bot.at("2021-05-12T14:00:00Z").command("timeline", channel="C0SCHOOL2").text
    line = next(ln for ln in text.splitlines() if "Training for school leaders" in ln)
    assert "overdue" not in line.lower(), line


def test_marked_done_in_one_school_it_is_done_for_the_district(district):
    bot = district
    d = Driver(bot)
    d.run(utc("2021-04-14T12:00:00Z"), utc("2021-04-16T12:00:00Z"))
    assert [r for p in d.dms(DISTRICT) for i, r in p.nudges if i == ITEM] == ["opens"]
    bot.at("2021-04-20T14:00:00Z").command("done training", channel="C0SCHOOL3")
    d.run(utc("2021-04-20T15:00:00Z"), utc("2021-05-20T12:00:00Z"))
    assert [r for p in d.dms(DISTRICT) for i, r in p.nudges if i == ITEM] == ["opens"]


def test_the_board_approval_is_the_boards_and_nudged_to_the_district(tmp_path, fake, nudges_only):
    add_people(fake)
    bot = Bot(tmp_path / "data", fake, utc("2022-05-01T14:00:00Z"))
    try:
        for i, ch in enumerate(CHANNELS):
            bot.setup(f"Brightwood {i + 1} model:SEZP state:MA year:2022-23", channel=ch)
            bot.command(f"roles liaison:<@{LIAISON}> district:<@{DISTRICT}>", channel=ch)
        d = Driver(bot)
        d.run(utc("2022-05-20T12:00:00Z"), utc("2022-06-10T12:00:00Z"))
        item = "2022-23:sezp-planning/board-approval:due"
        got = [(p.local().strftime("%Y-%m-%d"), r) for p in d.dms(DISTRICT) for i, r in p.nudges if i == item]
        # due Tue Jun 7 2022: 14 days before (Tue May 24), 7 (Tue May 31), 2 (Sun Jun 5 -> Fri Jun 3),
        # the morning of, and overdue the next morning (Wed Jun 8): the district chases the Board
        assert got == [("2022-05-24", "before-14"), ("2022-05-31", "before-7"), ("2022-06-03", "before-2"),
                       ("2022-06-07", "morning-of"), ("2022-06-08", "overdue")]
        assert "by the SEZP Board" in next(p.text for p in d.dms(DISTRICT) if (item, "morning-of") in p.nudges)
    finally:
        bot.close()
