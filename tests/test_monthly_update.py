"""The monthly update every month, the digests' opt-outs (per person, per school), the district
picture with the weekly digest, and ``/scep export month`` (Slack and Word, read back with
python-docx): through signed requests and the real sweep, the fake Web API recording what went out.
Schools get their cycles explicitly (the default cycles are the editions' business)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document

from bot.store.schema import DIGEST_OPTOUTS_SETTING, PROFILE
from tests.harness import ADMIN, CHANNEL, Bot
from tests.nudge_driver import DISTRICT, LIAISON, PRINCIPAL, Driver, add_people, give_roles, utc

OTHER = "C0SCHOOL2"
NOBODY = "U0NOBODY1"


@pytest.fixture
def people(fake):
    add_people(fake)
    fake.add_user(NOBODY, "no.body")
    return fake


def two_schools(bot: Bot, when: str = "2021-08-02T13:00:00Z") -> Driver:
    """Lincoln (TSI visits) and Brightwood (SEZP planning), same liaison; set up Mon Aug 2 2021."""
    bot.at(when)
    bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits year:2021-22")
    give_roles(bot)
    bot.setup("Brightwood cycles:sezp-planning year:2021-22", channel=OTHER)
    bot.command(f"roles liaison:<@{LIAISON}> principal:<@{PRINCIPAL}>", channel=OTHER)
    return Driver(bot)


def monthly_posts(d: Driver, channel: str = CHANNEL):
    return [p for p in d.channel_posts(channel) if "monthly update" in p.text]


def sid_of(bot: Bot, channel: str = CHANNEL) -> str:
    return bot.services.store.school_for_channel("T0DEMO001", channel)


# ---------------------------------------------------------------- every month, quiet ones in one line


def test_every_month_has_its_update_quiet_months_in_one_line_on_the_first_school_day(people, bot):
    d = two_schools(bot)
    bot.command("remind district-holiday:2021-12-01")  # a district closure: December's update waits a day
    with bot.services.store.transaction(sid_of(bot)) as tx:  # visit 1 held Wed Nov 3
        from bot.core.schools import SchoolState
        from bot.core.steps import resolve, set_schedule

        state = SchoolState.read(bot.services.store.view(sid_of(bot)))
        ref = resolve(state, bot.services.library, bot.now, "visit 1")
        set_schedule(tx, ref, utc("2021-11-03T13:00:00Z"), ADMIN, bot.now)
    d.run(utc("2021-08-30T02:00:00Z"), utc("2022-01-05T02:00:00Z"), step=timedelta(hours=6))
    posts = monthly_posts(d)
    # Wed Sep 1, Fri Oct 1, Mon Nov 1, Thu Dec 2 (Dec 1 closed), Mon Jan 3 (Jan 1 a Saturday):
    # 09:00 New York, seen by the 14:00Z sweep
    assert [p.local().date().isoformat() for p in posts] == ["2021-09-01", "2021-10-01", "2021-11-01", "2021-12-02", "2022-01-03"]
    aug, sep, octo, nov, dec = (p.text for p in posts)
    assert aug == (":calendar: *Lincoln Elementary: monthly update* · Quiet in August: nothing was recorded. "
                   "Nothing on the calendar in September; next: Visit 1 window opens Oct 1 (through Nov 30).")
    assert len(posts[0].blocks) == 1  # one line
    assert sep.startswith(":calendar: *Lincoln Elementary: monthly update* · Quiet in September") and "Coming in October: Visit 1 window opens Oct 1" in sep
    assert "Quiet in October" in octo and "Visit 1 scheduled for Wed Nov 3" in octo
    assert "In November: Visit 1 held on Nov 3 (no notes yet)." in nov and "Coming in December: Visit 2 window opens Dec 1" in nov
    assert len(posts[3].blocks) > 1
    assert "Quiet in December" in dec or "In December:" in dec
    # Brightwood's channel gets its own, every month too
    assert len(monthly_posts(d, OTHER)) == 5
    # the liaison's roll-up: every month, both schools
    rollups = [p for p in d.dms(LIAISON) if "Your schools in" in p.text]
    assert len(rollups) == 5 and all("*Brightwood*" in p.text and "*Lincoln Elementary*" in p.text for p in rollups)


def test_no_update_for_a_month_that_ended_before_the_school_was_set_up(people, bot):
    d = two_schools(bot, when="2021-09-02T13:00:00Z")  # set up the day after September's update was due
    d.run(utc("2021-09-02T14:00:00Z"), utc("2021-09-06T14:00:00Z"), step=timedelta(hours=6))
    assert monthly_posts(d) == [] and not [p for p in d.dms(LIAISON) if "Your schools in" in p.text]


# ---------------------------------------------------------------- opt-outs


def test_a_school_turns_its_monthly_update_off_and_on(people, bot):
    d = two_schools(bot)
    ans = bot.command("digests school off monthly", user=PRINCIPAL)
    assert "can't" in bot.last_response_text() or ans.status == 200
    assert "monthly" not in str(bot.services.store.view(sid_of(bot)).get(*PROFILE).get("digests"))  # the principal may not
    bot.command("digests school off monthly", user=LIAISON)
    assert "Monthly turned off for Lincoln Elementary" in bot.last_response_text()
    assert bot.services.store.view(sid_of(bot)).get(*PROFILE)["digests"] == {"off": ["monthly"]}
    d.run(utc("2021-09-01T14:00:00Z"), utc("2021-09-01T14:00:00Z"))
    assert monthly_posts(d) == [] and len(monthly_posts(d, OTHER)) == 1
    (rollup,) = [p for p in d.dms(LIAISON) if "Your schools in" in p.text]
    assert "Brightwood" in rollup.text and "Lincoln" not in rollup.text
    bot.command("digests school on monthly", user=LIAISON)
    assert "It sends every digest" in bot.last_response_text()
    d.run(utc("2021-10-01T14:00:00Z"), utc("2021-10-01T14:00:00Z"))
    assert len(monthly_posts(d)) == 1


def test_a_person_turns_off_the_monthly_roll_up_and_the_weekly_digest(people, bot):
    d = two_schools(bot)
    bot.command("digests off monthly weekly", user=LIAISON, channel="D0LIAISON")
    assert "Weekly, monthly turned off for you" in bot.last_response_text()
    assert bot.services.store.get_setting(DIGEST_OPTOUTS_SETTING) == [{"team": "T0DEMO001", "user": LIAISON, "off": ["weekly", "monthly"]}]
    d.run(utc("2021-11-01T02:00:00Z"), utc("2021-11-01T20:00:00Z"), step=timedelta(hours=6))
    assert d.dms(LIAISON) == [] or all("Your week" not in p.text and "Your schools" not in p.text for p in d.dms(LIAISON))
    assert len(monthly_posts(d)) == 1  # the school's own update still goes to its channel
    bot.command("digests on all", user=LIAISON, channel="D0LIAISON")
    assert "You get every digest" in bot.last_response_text()
    d.run(utc("2021-11-08T02:00:00Z"), utc("2021-11-08T20:00:00Z"), step=timedelta(hours=6))
    assert [p for p in d.dms(LIAISON) if p.text.startswith("Your week")]


def test_the_weekly_digest_brings_the_district_picture_unless_turned_off(people, bot):
    d = two_schools(bot)
    bot.fake.clear()
    d.run(utc("2021-11-01T12:00:00Z"), utc("2021-11-01T14:00:00Z"))  # Mon Nov 1, 08:00 New York = 12:00Z
    (week,) = [p for p in d.dms(LIAISON) if p.text.startswith("Your week")]
    dm_channel = "D" + LIAISON[1:]
    (png,) = [u for u in bot.fake.uploaded() if u["channel"] == dm_channel]
    assert png["filename"] == "schools-2021-11-01.png" and png["data"][:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    img = Image.open(io.BytesIO(png["data"]))
    assert img.size[0] == 800 and img.size[1] > 100
    assert "digests off picture" in str(week.blocks)
    # one who turns the picture off still gets the digest, without it
    bot.command("digests off picture", user=LIAISON, channel="D0LIAISON")
    d.run(utc("2021-11-08T12:00:00Z"), utc("2021-11-08T14:00:00Z"))
    assert len([p for p in d.dms(LIAISON) if p.text.startswith("Your week")]) == 2
    assert len([u for u in bot.fake.uploaded() if u["channel"] == dm_channel]) == 1


def test_a_school_leaves_its_liaisons_weekly_digest(people, bot):
    d = two_schools(bot)
    bot.command("digests school off weekly", user=LIAISON, channel=OTHER)
    d.run(utc("2021-11-01T12:00:00Z"), utc("2021-11-01T12:00:00Z"))
    (week,) = [p for p in d.dms(LIAISON) if p.text.startswith("Your week")]
    assert "Lincoln Elementary" in str(week.blocks) and "Brightwood" not in str(week.blocks)


def test_digests_shows_the_choices_and_bad_input_says_what_to_type(people, bot):
    two_schools(bot)
    bot.command("digests off picture", user=LIAISON)
    bot.command("digests", user=LIAISON)
    shown = bot.last_response_text()
    assert "district picture" in shown and "off" in shown and "For Lincoln Elementary" in shown
    bot.command("digests off everything", user=LIAISON)
    assert "'everything' is not a digest you can turn off: say `weekly`, `monthly`, `picture` or `all`" in bot.last_response_text()
    bot.command("digests school off picture", user=LIAISON)
    assert "'picture' is not a digest a school can turn off" in bot.last_response_text()
    bot.command("digests loud", user=LIAISON)
    assert "/scep digests off weekly" in bot.last_response_text()
    bot.command("digests school off", user=LIAISON)
    assert "Say which digest" in bot.last_response_text()
    assert "/scep digests" in bot.command("help").text


# ---------------------------------------------------------------- /scep export month


def docx_text(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs]


def test_export_month_across_the_liaisons_schools_in_slack_and_word(people, bot):
    d = two_schools(bot)
    with bot.services.store.transaction(sid_of(bot)) as tx:
        from bot.core.schools import SchoolState
        from bot.core.steps import resolve, set_schedule

        state = SchoolState.read(bot.services.store.view(sid_of(bot)))
        set_schedule(tx, resolve(state, bot.services.library, bot.now, "visit 1"), utc("2021-11-03T13:00:00Z"), ADMIN, bot.now)
    bot.at("2021-12-06T15:00:00Z")
    bot.fake.clear()
    bot.command("export month 2021-11", user=LIAISON, channel="D0LIAISON")
    said = bot.last_response_text()
    assert "Monthly update · November 2021 · 2 schools" in said
    assert "1 visit or session held" in said
    assert "*Lincoln Elementary*: In November: Visit 1 held on Nov 3 (no notes yet)." in said
    assert "*Brightwood*: Quiet in November" in said
    (up,) = bot.fake.uploaded()
    assert up["filename"] == "monthly-update-2021-11.docx" and up["channel"] == "D0LIAISON"
    paras = docx_text(up["data"])
    assert paras[0] == "Monthly update: November 2021"
    assert any(p.startswith("In November 2021 the bot followed 2 schools. 1 visit or session held.") for p in paras)
    assert "Lincoln Elementary (TSI)" in paras and any(p.startswith("Brightwood (") for p in paras)
    assert "November: Visit 1 held on Nov 3 (no notes yet)." in paras
    assert any(p.startswith("What comes next: Coming in December: Visit 2 window opens Dec 1") for p in paras)
    assert "November: A quiet month: nothing was recorded." in paras
    # by default: the last month that has ended
    bot.command("export month", user=LIAISON, channel="D0LIAISON")
    assert "Monthly update · November 2021" in bot.last_response_text()


def test_export_month_in_a_schools_channel_is_that_school_only(people, bot):
    two_schools(bot)
    bot.at("2021-12-06T15:00:00Z")
    bot.command("export month 2021-11", user=LIAISON, channel=OTHER)
    said = bot.last_response_text()
    assert "1 school" in said and "Brightwood" in said and "Lincoln" not in said


@pytest.mark.parametrize("arg, says", [
    ("2021-13", "'2021-13' is not a month: write it as YYYY-MM"),
    ("november", "'november' is not a month: write it as YYYY-MM"),
    ("2022-03", "March 2022 has not begun yet"),
    ("2021-06", "None of these schools was followed in June 2021"),
])
def test_export_month_bad_input_says_what_to_type(people, bot, arg, says):
    two_schools(bot)
    bot.at("2021-12-06T15:00:00Z")
    bot.fake.clear()
    bot.command(f"export month {arg}", user=LIAISON, channel="D0LIAISON")
    assert says in bot.last_response_text()
    assert bot.fake.uploaded() == []


def test_export_month_for_someone_without_schools(people, bot):
    two_schools(bot)
    bot.at("2021-12-06T15:00:00Z")
    bot.command("export month", user=NOBODY, channel="D0NOBODY1")
    assert "you are neither in any school" in bot.last_response_text()
    bot.command("export month", user=DISTRICT, channel="D0DISTRCT")
    assert "Monthly update" in bot.last_response_text() and "1 school" in bot.last_response_text()


# ---------------------------------------------------------------- docs/staff.md works as written


def test_every_way_to_turn_something_off_in_staff_md_works_as_written(people, bot):
    """Each `/scep remind …` and `/scep digests …` that docs/staff.md quotes, typed by the liaison
    in a school's channel that has the step it names, is accepted (no warning)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "staff.md").read_text(encoding="utf-8")
    quoted = sorted({c for c in re.findall(r"`(/scep (?:remind|digests)[^`]*)`", text)})
    assert len(quoted) >= 10, quoted
    two_schools(bot)
    for cmd in quoted:
        said = []
        for channel in (CHANNEL, OTHER):
            bot.command(cmd[len("/scep "):], user=LIAISON, channel=channel)
            said.append(bot.last_response_text())
            if ":warning:" not in said[-1]:
                break
        else:
            raise AssertionError(f"{cmd}: {said}")
