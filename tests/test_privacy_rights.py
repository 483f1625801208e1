"""Retention and the right to delete (issue 14, item 2), checked as an auditor would: data
written over several school years, then the retention sweep, a school deleted or archived, a
departing person forgotten; after each, every byte under the data directory (rotating copies
included) and, on PostgreSQL, every row and a pg_dump are searched for what was deleted. Exports
are parsed back. Deletions asked by someone not allowed are refused and recorded."""

from __future__ import annotations

import json

import pytest

from bot.calendar import dates
from bot.privacy import retention
from bot.root.emulator import TEAM_ID
from bot.store import files
from bot.store.postgres_migrations import migrate
from tests.harness import ADMIN, CHANNEL, Bot
from tests.notes_helpers import LIAISON, TEACHER, reply, school, start_prompt, sweep, ts_at
from tests.test_deletion import SECRET_WORDS, TEXT, bytes_found, database_found


def everywhere(bot: Bot, words: tuple[str, ...]) -> list[str]:
    """Every place under the data directory (and the database) holding one of ``words``."""
    hits = []
    root = bot.services.settings.data_dir
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path.relative_to(root)}: {w}" for w in words if w.encode() in data]
    url = getattr(bot, "database_url", None)
    if url:
        import tests.test_deletion as td

        saved = td.SECRET_WORDS
        td.SECRET_WORDS = words
        try:
            hits += database_found(url)
        finally:
            td.SECRET_WORDS = saved
    return hits


def notes_year(bot: Bot, year_start: int, text: str, user: str = TEACHER) -> None:
    """A note in the school year starting ``year_start`` (written through a Slack reply in the
    visit's thread of 2021-22, then re-filed under that year, as the TSI cycle has visits in
    2021-22 only); then enough writes that every rotating copy holds it."""
    sid = bot.services.store.school_for_channel("T0DEMO001", CHANNEL)
    bot.at(f"{year_start}-11-03T18:00:00Z")
    if not bot.services.store.view(sid).all("prompts"):
        bot.at("2021-11-03T18:00:00Z")
        start_prompt(bot, "visit 1")
        bot.at(f"{year_start}-11-03T18:00:00Z")
    (thread,) = [p["ts"] for p in bot.services.store.view(sid).all("prompts").values() if p["year"] == "2021-22"][:1]
    key = f"{CHANNEL}:{ts_at(f'{year_start}-11-03T18:05:00Z', 1)}"
    reply(bot, text, thread_ts=thread, ts=key.split(":")[1], user=user)
    name = f"{year_start}-{(year_start + 1) % 100:02d}"
    with bot.services.store.transaction(sid) as tx:
        note = tx.get("notes", key)
        note["year"] = name
        tx.put("notes", key, note)
        tx.put("prompts", f"{CHANNEL}:{year_start}.1", {"channel": CHANNEL, "ts": f"{year_start}.1", "year": name, "title": text, "closed": True})
    for n in range(files.BACKUPS + 1):
        bot.command("next")
        with bot.services.store.transaction(sid) as tx:
            tx.put("anchors", f"pad:{n}", {"n": n, "at": bot.now.isoformat()})


def make_bot(tmp_path, fake, database_url=None) -> Bot:
    b = Bot(tmp_path / "data", fake, dates.parse_instant("2021-09-02T13:00:00Z"), database_url=database_url)
    b.database_url = database_url
    fake.add_user(TEACHER, "Tia Teacher")
    fake.add_user(LIAISON, "Lee Liaison")
    return b


@pytest.fixture(params=["tinydb", "postgres"])
def any_bot(request, tmp_path, fake):
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_db")
        migrate(url)
        b = make_bot(tmp_path, fake, url)
    else:
        b = make_bot(tmp_path, fake)
    yield b
    b.close()


def school_with_notes(bot: Bot) -> str:
    bot.at("2021-09-02T13:00:00Z")
    sid = school(bot)
    bot.command(f"roles liaison:<@{LIAISON}> team:<@{TEACHER}>")
    return sid


# ---------------------------------------------------------------- retention


def test_retention_is_shown_set_by_an_admin_and_refused_shorter_than_the_current_year(tmp_path, fake):
    bot = make_bot(tmp_path, fake)
    try:
        school_with_notes(bot)
        bot.command("retention", user=TEACHER)
        assert "kept *3 school years*" in bot.last_response_text() and "the default" in bot.last_response_text()
        assert "2018-19 and later" in bot.last_response_text()
        bot.command("retention -1")
        assert "shorter than the current school year" in bot.last_response_text()
        bot.command("retention soon")
        assert "is not a number of school years" in bot.last_response_text()
        bot.command("retention 2", user=TEACHER)
        assert "Only workspace admins" in bot.last_response_text() and "recorded" in bot.last_response_text()
        log = bot.services.store.get_setting("privacy_log")
        assert log[-1]["who"] == TEACHER and log[-1]["what"] == "refused"
        assert retention.years(bot.services.store, TEAM_ID) == retention.DEFAULT_YEARS
        bot.command("retention 1")
        assert "kept *1 school year*" in bot.last_response_text() and f"<@{ADMIN}>" in bot.last_response_text()
        assert retention.years(bot.services.store, TEAM_ID) == 1
    finally:
        bot.close()


def test_the_retention_sweep_deletes_notes_and_audit_entries_of_old_years_everywhere(any_bot):
    bot = any_bot
    sid = school_with_notes(bot)
    words = {2021: "Xavierold", 2022: "Yolandamid", 2023: "Zacharynew"}
    for year, word in words.items():
        notes_year(bot, year, f"C1: student {word} reads below level")
    assert all(everywhere(bot, (w,)) for w in words.values())  # else the test proves nothing
    bot.command("retention 1")
    # 2023-24: with 1 year, 2022-23 and 2023-24 are kept; 2021-22 goes
    sweep(bot, dates.parse_instant("2024-01-10T15:00:00Z"))
    assert everywhere(bot, (words[2021],)) == []
    assert everywhere(bot, (words[2022],)) and everywhere(bot, (words[2023],))
    view = bot.services.store.view(sid)
    assert {n["year"] for n in view.all("notes").values()} == {"2022-23", "2023-24"}
    assert "2021-22" not in {p["year"] for p in view.all("prompts").values()}
    assert not [a for a in view.all("audit").values() if a["at"] < "2022-07-01"]
    (entry,) = view.find("audit", what="retention applied").values()
    assert entry["who"] == "bot" and entry["before"] == "2022-23" and entry["notes"] == 1 and entry["prompts"] >= 1
    # the same day again: nothing more (once a day); a year later 2022-23 goes too
    sweep(bot, dates.parse_instant("2024-01-10T16:00:00Z"))
    assert len(bot.services.store.view(sid).find("audit", what="retention applied")) == 1
    sweep(bot, dates.parse_instant("2024-07-02T15:00:00Z"))
    assert everywhere(bot, (words[2022],)) == [] and everywhere(bot, (words[2023],))


# ---------------------------------------------------------------- a school


def test_a_school_is_deleted_for_good_after_a_typed_confirmation(any_bot):
    bot = any_bot
    sid = school_with_notes(bot)
    notes_year(bot, 2021, TEXT)
    bot.command("privacy delete school", user=LIAISON)
    assert "Only workspace admins" in bot.last_response_text()
    refused = bot.services.store.get_setting("privacy_log")[-1]
    assert refused["who"] == LIAISON and refused["what"] == "refused" and refused["school_id"] == sid
    assert not bot.services.store.view(sid).find("audit", what="refused")  # a refusal changes nothing of the school
    bot.command("privacy delete school")
    assert "To go on, type `/scep privacy delete school Lincoln Elementary`" in bot.last_response_text()
    assert bot.services.store.school_for_channel("T0DEMO001", CHANNEL) == sid  # nothing done yet
    bot.command("privacy delete school lincoln elementary")
    assert "deleted *Lincoln Elementary* for good" in bot.last_response_text()
    assert bot.services.store.school_for_channel("T0DEMO001", CHANNEL) is None
    assert sid not in bot.services.store.school_ids()
    assert everywhere(bot, (*SECRET_WORDS, "Lincoln Elementary", "Every student reads daily")) == []
    log = bot.services.store.get_setting("privacy_log")
    assert log[-1]["what"] == "school deleted" and log[-1]["who"] == ADMIN and log[-1]["school_id"] == sid
    bot.setup("Washington High model:TSI")  # the channel is free
    assert bot.services.store.school_for_channel("T0DEMO001", CHANNEL) not in (None, sid)


def test_archiving_a_school_sends_its_export_to_the_admin_then_deletes_it(tmp_path, fake):
    bot = make_bot(tmp_path, fake)
    try:
        sid = school_with_notes(bot)
        notes_year(bot, 2021, TEXT)
        bot.command("privacy archive school Lincoln Elementary")
        (up,) = fake.uploaded()
        assert up["channel"].startswith("D") and fake.of("conversations.open")[0].args["users"] == ADMIN  # the admin's DM, never the channel
        data = json.loads(up["data"])
        assert data["school"]["name"] == "Lincoln Elementary"
        assert any(n["text"] == TEXT for n in data["documents"]["notes"].values())
        assert everywhere(bot, SECRET_WORDS) == [] and sid not in bot.services.store.school_ids()
    finally:
        bot.close()


# ---------------------------------------------------------------- a person


def test_a_departing_person_is_forgotten_everywhere_and_their_export_parses_back(any_bot):
    bot = any_bot
    sid = school_with_notes(bot)
    notes_year(bot, 2021, f"C1: ask <@{LIAISON}> about the plan", user=LIAISON)
    bot.command("done visit 1", user=LIAISON)
    bot.command("privacy export <@U0LIAIS01>")
    data = json.loads(bot.fake.uploaded()[-1]["data"])
    assert data["person"] == LIAISON
    docs = data["schools"][sid]["documents"]
    kinds = {d["kind"] for d in docs}
    assert {"school", "audit", "notes"} <= kinds, kinds
    assert any(n.get("author_name") == "Lee Liaison" for n in bot.services.store.view(sid).all("notes").values())
    assert everywhere(bot, (LIAISON, "Lee Liaison"))  # else the test proves nothing
    bot.command(f"privacy forget <@{LIAISON}>", user=TEACHER)
    assert "Only workspace admins" in bot.last_response_text()
    bot.command(f"privacy forget <@{LIAISON}>")
    assert "confirm" in bot.last_response_text() and everywhere(bot, (LIAISON,))
    bot.command(f"privacy forget <@{LIAISON}> confirm")
    assert "no longer name that person" in bot.last_response_text()
    assert everywhere(bot, (LIAISON, "Lee Liaison")) == []
    view = bot.services.store.view(sid)
    profile = view.get("school", "profile")
    assert LIAISON not in json.dumps(profile["roles"]) and TEACHER in profile["roles"]["team"]
    (note,) = [n for n in view.all("notes").values() if "@former staff" in n["text"]]
    assert note["author"] == "former staff" and note["author_name"] == "former staff"
    (entry,) = view.find("audit", what="person forgotten").values()
    assert entry["who"] == ADMIN and "person" not in entry
    assert bot.services.store.get_setting("privacy_log")[-1]["what"] == "person forgotten"


def test_an_admin_exports_and_forgets_only_in_their_own_workspace(tmp_path, fake):
    """Many workspaces share a store: another workspace's school naming the same id is neither
    exported nor changed."""
    bot = make_bot(tmp_path, fake)
    try:
        sid = school_with_notes(bot)
        store = bot.services.store
        other = store.new_school_id()
        store.bind(other, name="Elsewhere School", team_id="T0OTHER01", channel_id="C0ELSE001")
        with store.transaction(other) as tx:
            tx.put("notes", "C0ELSE001:1.1", {"text": f"ask <@{LIAISON}>", "author": LIAISON, "year": "2021-22"})
        bot.command(f"privacy export <@{LIAISON}>")
        data = json.loads(fake.uploaded()[-1]["data"])
        assert sid in data["schools"] and other not in data["schools"]
        bot.command(f"privacy forget <@{LIAISON}> confirm")
        assert store.view(other).get("notes", "C0ELSE001:1.1")["author"] == LIAISON
        assert LIAISON not in json.dumps(store.view(sid).get("school", "profile"))
    finally:
        bot.close()
