"""District closures imported from an .ics file shared in Slack (issue 11, item 1): the file is
shared in the school's channel with the message ``holidays import`` (or its link given to
``/scep holidays import``), read with the bot token from its ``url_private`` (the fake Web API
serves it, and gives Slack's sign-in page to a request without the token). A file that cannot be
read or parsed says the line or the reason and changes nothing."""

from __future__ import annotations

from tests.harness import ADMIN, CHANNEL
from tests.nudge_driver import add_people, give_roles
from tests.test_school_calendar import GOOD_ICS, reply


def _school(bot, fake):
    add_people(fake)
    bot.at("2026-07-01T12:00:00Z")
    bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits")
    give_roles(bot)
    return bot


def _share(bot, name: str, data: bytes, text: str = "<@UBOT0001> holidays import", user: str = ADMIN) -> list[dict]:
    """Share a file in the school's channel with ``text``, as Slack's message event; the bot's posts in its thread."""
    f = bot.fake.share_file(name, data, user=user)
    ts = "1782900000.000100"
    before = len(bot.fake.of("chat.postMessage"))
    ans = bot.event({"type": "message", "subtype": "file_share", "channel": CHANNEL, "user": user, "text": text, "ts": ts,
                     "files": [f], "channel_type": "channel"})
    assert ans.status == 200
    posts = [c.args for c in bot.fake.of("chat.postMessage")[before:]]
    assert all(p.get("thread_ts") == ts for p in posts)
    return posts


def _said(posts: list[dict]) -> str:
    return "\n".join(p.get("text") or "" for p in posts)


def test_an_ics_shared_in_the_channel_with_holidays_import_is_imported(bot, fake):
    school = _school(bot, fake)
    posts = _share(school, "district-2026-27.ics", GOOD_ICS)
    said = _said(posts)
    assert "imported 3 closures from the shared file district-2026-27.ics" in said, said
    assert "Early dismissal (not all-day)" in said
    downloads = school.fake.of("file_download")
    assert len(downloads) == 1 and downloads[0].token == "xoxb-test"  # read with the bot token
    file_id = school.fake.of("files.info")[-1].args["file"]
    assert file_id.startswith("F") and f"-{file_id}/district-2026-27.ics" in downloads[0].path
    shown = reply(school, "holidays 2026-27")
    assert "Mon Dec 28 – Thu Dec 31: Winter Recess - schools closed _(imported from the shared file district-2026-27.ics)_" in shown
    # the same file again: replaces what came from it, no duplicates
    assert "imported 3 closures" in _said(_share(school, "district-2026-27.ics", GOOD_ICS))
    assert reply(school, "holidays 2026-27") == shown
    # a message with a file and other words is left alone (a note, a picture...)
    assert _share(school, "other.ics", GOOD_ICS, text="here is our calendar") == []


def test_the_link_of_a_shared_file_works_with_the_slash_command(bot, fake):
    school = _school(bot, fake)
    f = school.fake.share_file("calendar.ics", GOOD_ICS)
    link = f"https://demo.slack.com/files/{ADMIN}/{f['id']}/calendar.ics"
    assert "imported 3 closures from the shared file calendar.ics" in reply(school, f"holidays import {link}")
    assert "imported 3 closures" in reply(school, f"holidays import {f['id']}")


def test_a_shared_file_that_cannot_be_read_or_parsed_says_why_and_changes_nothing(bot, fake):
    school = _school(bot, fake)
    before = reply(school, "holidays 2026-27")
    bad = GOOD_ICS.replace(b"DTSTART;VALUE=DATE:20261005", b"DTSTART;VALUE=DATE:2026XX05")
    said = _said(_share(school, "broken.ics", bad))
    assert "Nothing imported: line 13:" in said and "is not a date" in said
    said = _said(_share(school, "notes.pdf", b"%PDF-1.4 not a calendar"))
    assert "line 1: an iCalendar file starts with BEGIN:VCALENDAR" in said
    assert "there is no such file" in reply(school, "holidays import F0NOSUCH99")
    # a person who may not change the district's closures: refused, nothing read
    n = len(school.fake.of("file_download"))
    said = _said(_share(school, "district.ics", GOOD_ICS, user="U0TEAMONE"))
    assert "Only workspace admins and the district admin" in said and len(school.fake.of("file_download")) == n
    assert reply(school, "holidays 2026-27") == before
    assert "share the district's .ics file in this channel" in reply(school, "holidays import")
