"""Unlinking a school (issue 14, item 2): its data kept and still reached by retention, exports
and deletion, its channel free, nothing posted for it, its notes threads silent; a workspace
admin lists the unlinked schools and links one back to a free channel. On TinyDB and on
PostgreSQL, through signed Slack requests into the real Bolt app."""

from __future__ import annotations

import json

from bot.calendar import dates
from bot.feeds.access import fetch
from bot.store.postgres_migrations import migrate
from bot.store.postgres_store import PostgresStore
from bot.store.tinydb_store import TinyStore
from bot.store.transfer import transfer
from tests.harness import CHANNEL, Bot
from tests.notes_helpers import LIAISON, reply, start_prompt, sweep, ts_at
from tests.nudge_driver import Driver
from tests.test_feeds import token_in
from tests.test_privacy_rights import (  # noqa: F401 - any_bot: a fixture
    any_bot,
    everywhere,
    make_bot,
    notes_year,
    school_with_notes,
)

TEAM = "T0DEMO001"
OTHER, FREE = "C0OTHER01", "C0FREE001"
OPENS = dates.parse_instant("2021-10-01T13:00:00Z")  # visit 1's window opens: a nudge to each TSI school


def channels_posted(bot: Bot, since: int = 0) -> set[str]:
    return {c.args.get("channel") for c in bot.fake.of("chat.postMessage")[since:]}


def unlink(bot: Bot) -> str:
    sid = bot.services.store.school_for_channel(TEAM, CHANNEL)
    bot.command("privacy unlink school Lincoln Elementary")
    assert "unlinked *Lincoln Elementary* from this channel" in bot.last_response_text(), bot.last_response_text()
    return sid


def test_an_unlinked_school_keeps_its_data_frees_its_channel_and_is_linked_back(any_bot):  # noqa: F811
    bot = any_bot
    store = bot.services.store
    sid = school_with_notes(bot)
    bot.at("2021-09-20T14:00:00Z")
    thread = start_prompt(bot, "visit 1")
    reply(bot, "C1: the reading block grew to 90 minutes", thread_ts=thread, ts=ts_at("2021-09-20T14:05:00Z", 1))
    assert len(store.view(sid).all("notes")) == 1
    bot.services.settings.public_url = "https://scep.example.org"
    bot.command("calendar", user=LIAISON)
    token = token_in(bot, bot.last_response_text())
    assert fetch(store, bot.services.library, bot.now, token) is not None
    bot.command("privacy unlink school", user=LIAISON)
    assert "Only workspace admins" in bot.last_response_text()
    bot.command("privacy unlink school")
    assert "To go on, type `/scep privacy unlink school Lincoln Elementary`" in bot.last_response_text()
    assert store.school_for_channel(TEAM, CHANNEL) == sid  # nothing done yet
    bot.command("privacy unlink school Springfield High")  # a wrong name confirms nothing
    assert store.school_for_channel(TEAM, CHANNEL) == sid
    unlink(bot)
    assert bot.responses()[-1]["response_type"] == "in_channel"
    assert store.school_for_channel(TEAM, CHANNEL) is None and sid not in store.school_ids()
    assert store.view(sid).all("notes") and store.view(sid).find("audit", what="unlinked")
    assert "isn't linked to a school" in bot.command("next").text
    assert fetch(store, bot.services.library, bot.now, token) is None  # its calendar link answers nothing while unlinked

    # its notes thread no longer collects replies; nothing is posted for it
    reply(bot, "C2: families came to the open house", thread_ts=thread, ts=ts_at("2021-09-20T14:10:00Z", 2))
    assert len(store.view(sid).all("notes")) == 1
    bot.setup("Adams Middle model:TSI cycles:nysed-tsi-visits", channel=OTHER)
    before = len(bot.fake.of("chat.postMessage"))
    Driver(bot).sweep(OPENS)
    assert OTHER in channels_posted(bot, before) and CHANNEL not in channels_posted(bot, before)

    # the same name set up again points to the kept school
    bot.command("setup Lincoln Elementary model:TSI", user=LIAISON)
    assert "`/scep relink Lincoln Elementary`" in bot.last_response_text() and store.school_for_channel(TEAM, CHANNEL) is None
    assert "1 unlinked school is kept with no channel" in bot.command("schools").text

    # linked back by a workspace admin, in a channel with no school
    bot.command("relink Lincoln Elementary", user=LIAISON, channel=FREE)
    assert "Only workspace admins" in bot.last_response_text()
    bot.command("relink")
    assert "*Lincoln Elementary* (`" + sid + "`)" in bot.last_response_text()
    bot.command("relink Springfield High", channel=FREE)
    assert "No unlinked school is named *Springfield High*" in bot.last_response_text()
    bot.command("relink Lincoln Elementary", channel="D0DIRECT1")  # a DM cannot hold a school
    assert "This is a direct message" in bot.last_response_text() and store.unlinked(TEAM)
    bot.command("relink Lincoln Elementary", channel=OTHER)
    assert "This channel is linked to *Adams Middle*" in bot.last_response_text()
    bot.command("relink lincoln elementary", channel=FREE)
    assert "linked *Lincoln Elementary* back to this channel" in bot.last_response_text()
    assert store.school_for_channel(TEAM, FREE) == sid and store.unlinked(TEAM) == []
    assert store.view(sid).get("school", "profile")["channel_id"] == FREE
    assert "Lincoln Elementary" in bot.command("next", channel=FREE).text
    assert b"BEGIN:VCALENDAR" in fetch(store, bot.services.library, bot.now, token)  # the same link works again
    bot.command("relink")
    assert "no unlinked school" in bot.last_response_text()
    log = [e["what"] for e in store.get_setting("privacy_log")]
    assert "school unlinked" in log and "school relinked" in log


def test_retention_export_and_forgetting_reach_an_unlinked_school(any_bot):  # noqa: F811
    bot = any_bot
    store = bot.services.store
    sid = school_with_notes(bot)
    notes_year(bot, 2021, "C1: student Quentinold reads below level")
    notes_year(bot, 2023, f"C1: ask <@{LIAISON}> about Zorabeth's plan", user=LIAISON)
    bot.command("retention 1")
    unlink(bot)
    bot.command(f"privacy export <@{LIAISON}>")
    data = json.loads(bot.fake.uploaded()[-1]["data"])
    assert sid in data["schools"] and data["schools"][sid]["school"]["channel_id"] is None
    sweep(bot, dates.parse_instant("2024-01-10T15:00:00Z"))  # the retention sweep: 2021-22 goes, unlinked or not
    assert everywhere(bot, ("Quentinold",)) == [] and everywhere(bot, ("Zorabeth",))
    bot.command(f"privacy forget <@{LIAISON}> confirm")
    assert "no longer name that person" in bot.last_response_text()
    assert not [d for d in store.view(sid).all("notes").values() if LIAISON in json.dumps(d)]
    assert everywhere(bot, (LIAISON,)) == []


def test_an_unlinked_school_moves_to_postgresql_and_back_unlinked(tmp_path, fake, postgres_db):
    bot = make_bot(tmp_path, fake)
    try:
        sid = school_with_notes(bot)
        unlink(bot)
    finally:
        bot.close()
    migrate(postgres_db)
    source, db = TinyStore(tmp_path / "data"), PostgresStore(postgres_db)
    try:
        report = transfer(source, db)
        assert not report.problems and report.unlinked == 1 and report.bound == 0
        assert db.unlinked(TEAM) == [{"school_id": sid, "name": "Lincoln Elementary", "team_id": TEAM, "channel_id": None}]
        assert db.school_ids() == [] and db.school_for_channel(TEAM, CHANNEL) is None
        back = TinyStore(tmp_path / "back")
        try:
            assert not transfer(db, back).problems
            assert [e["school_id"] for e in back.unlinked(TEAM)] == [sid] and back.school_ids() == []
        finally:
            back.close()
    finally:
        source.close()
        db.close()
