"""Deletion that holds everywhere, checked as an auditor would: write what people typed about a
student, delete it (Redact, ``/scep forget``, a message deleted or edited in Slack), then search
every byte under the data directory (hidden rotating copies included) and, on the PostgreSQL
backend, every row of every table and a ``pg_dump`` of the database. ``scep-bot doctor`` must not
bring the text back, and the audit log says who deleted what kind of thing and when, never the text.
The log side (nothing typed reaches it at LOG_LEVEL=DEBUG): test_log_privacy.py."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from bot.calendar import dates
from bot.store import files
from bot.store.postgres_migrations import migrate
from tests.harness import CHANNEL, Bot
from tests.notes_helpers import (
    LIAISON,
    TEACHER,
    delete,
    edit,
    notes_in_store,
    reply,
    school,
    start_prompt,
    ts_at,
)
from tests.postgres import find_bin_dir
from tests.test_notes_privacy_backfill import click

SECRET_WORDS = ("Maria", "Lopez", "123456789")
TEXT = "C1: student Maria Lopez 123456789 reads two grades below level"
T0 = "2021-11-03T18:00:00Z"


def bytes_found(root: Path) -> list[str]:
    """Every file under ``root`` (hidden ones too) holding one of the words, as 'path: word'."""
    hits = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path.relative_to(root)}: {w}" for w in SECRET_WORDS if w.encode() in data]
    return hits


def prepare(bot: Bot) -> tuple[str, str]:
    """A school with a prompt thread; the note written, then enough other writes that every
    rotating copy of the school's file holds it (what the issue found in .json.1 and .json.3)."""
    bot.at(T0)
    bot.fake.add_user(TEACHER, "Tia Teacher")
    bot.fake.add_user(LIAISON, "Lee Liaison")
    sid = school(bot)
    bot.command(f"roles liaison:<@{LIAISON}> team:<@{TEACHER}>")
    thread = start_prompt(bot, "visit 1")
    reply(bot, TEXT, thread_ts=thread, ts=ts_at("2021-11-03T18:05:00Z", 1))
    for n in range(2, 2 + files.BACKUPS + 1):
        reply(bot, f"C2: note {n} about the schedule", thread_ts=thread, ts=ts_at("2021-11-03T18:06:00Z", n))
    return sid, thread


def on_disk_before(bot: Bot) -> None:
    data_dir = bot.services.settings.data_dir
    if data_dir.exists():
        hidden = [h for h in bytes_found(data_dir) if "/." in h]
        assert hidden or getattr(bot, "database_url", None), "the set-up must leave the text in the rotating copies (else the test proves nothing)"


def audit_entries(bot: Bot, sid: str, what: str) -> list[dict]:
    return list(bot.services.store.view(sid).find("audit", what=what).values())


def assert_gone(bot: Bot, sid: str) -> None:
    """Nowhere on disk, in the store's rows, nor in the audit log."""
    assert bytes_found(bot.services.settings.data_dir) == []
    for doc in bot.services.store.view(sid).all("audit").values():
        assert not any(w in json.dumps(doc) for w in SECRET_WORDS), doc
    if getattr(bot, "database_url", None):
        assert database_found(bot.database_url) == []


def database_found(url: str) -> list[str]:
    """Every row of every table of the database (cast to text), and a pg_dump of it, searched."""
    hits = []
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for t in tables:
            for (row,) in conn.execute(f'SELECT t::text FROM "{t}" t'):
                hits += [f"table {t}: {w}" for w in SECRET_WORDS if w in row]
    bin_dir = find_bin_dir()
    dump = bin_dir / "pg_dump" if bin_dir else None
    if dump is not None and dump.exists():
        out = subprocess.run([str(dump), "--dbname", url], capture_output=True, timeout=60)
        assert out.returncode == 0, out.stderr.decode()[:500]
        hits += [f"pg_dump: {w}" for w in SECRET_WORDS if w.encode() in out.stdout]
    return hits


def redact_path(bot: Bot, sid: str) -> None:
    key = f"{CHANNEL}:{ts_at('2021-11-03T18:05:00Z', 1)}"
    click(bot, "note_redact", json.dumps({"s": sid, "k": key}), TEACHER)
    assert "Redacted" in bot.last_response_text()
    note = notes_in_store(bot, sid)[key]
    assert note["redacted"] and not any(w in note["text"] for w in SECRET_WORDS), note["text"]
    (entry,) = audit_entries(bot, sid, "note redacted")
    assert entry["who"] == TEACHER and entry["at"].startswith("2021-11-03T18:") and entry["note"] == key


def forget_path(bot: Bot, sid: str) -> None:
    bot.command("forget visit 1", user=LIAISON)
    assert "deleted 5 notes" in bot.last_response_text()
    (entry,) = audit_entries(bot, sid, "notes forgotten")
    assert entry["who"] == LIAISON and entry["notes"] == 5 and entry["step"]


def slack_delete_path(bot: Bot, sid: str, thread: str) -> None:
    delete(bot, thread_ts=thread, ts=ts_at("2021-11-03T18:05:00Z", 1))
    assert len(notes_in_store(bot, sid)) == files.BACKUPS + 1
    (entry,) = audit_entries(bot, sid, "note deleted")
    assert entry["who"] == "slack" and entry["author"] == TEACHER


def slack_edit_path(bot: Bot, sid: str, thread: str) -> None:
    edit(bot, "C1: a student reads two grades below level", thread_ts=thread, ts=ts_at("2021-11-03T18:05:00Z", 1))
    assert any(n["text"] == "C1: a student reads two grades below level" for n in notes_in_store(bot, sid).values())


PATHS = {"redact": redact_path, "forget": forget_path, "deleted in Slack": slack_delete_path, "edited in Slack": slack_edit_path}


@pytest.mark.parametrize("how", list(PATHS))
def test_deleted_text_is_on_no_byte_of_the_data_directory(bot, how):
    sid, thread = prepare(bot)
    on_disk_before(bot)
    fn = PATHS[how]
    fn(bot, sid, thread) if how.endswith("in Slack") else fn(bot, sid)
    assert_gone(bot, sid)
    # later writes keep copies again (of the purged school only)
    bot.command("done visit 1")
    assert files.backup_path(bot.services.settings.data_dir / "schools" / f"{sid}.json", 1).exists()
    assert_gone(bot, sid)


def test_doctor_cannot_bring_forgotten_notes_back(tmp_path, fake):
    bot = Bot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"))
    try:
        sid, _ = prepare(bot)
        forget_path(bot, sid)
    finally:
        bot.close()
    path = tmp_path / "data" / "schools" / f"{sid}.json"
    path.write_text('{"broken')  # a damaged file: doctor looks for a copy to restore
    report = files.doctor(tmp_path / "data")
    assert report and "cannot restore" in report[0], report
    assert bytes_found(tmp_path / "data") == []


def test_a_shredded_copy_is_zeroed_before_it_is_unlinked(tmp_path):
    """The bytes of the copy are overwritten, not only its name removed (the file's only link)."""
    path = tmp_path / "x.json"
    path.write_text('{"a": "Maria Lopez"}')
    keep = tmp_path / "keep"
    fd_path = files.backup_path(path, 1)
    shutil.copy(path, fd_path)
    import os

    os.link(fd_path, keep)  # a second link lets us look at the inode after shred() unlinks the copy
    assert files.shred(fd_path) and not fd_path.exists()
    assert keep.read_bytes() == b'{"a": "Maria Lopez"}'  # another link: only unlinked, never zeroed
    os.unlink(keep)
    shutil.copy(path, fd_path)
    with open(fd_path, "rb") as fh:  # an open handle sees the inode's bytes after the unlink
        assert files.shred(fd_path)
        assert fh.read() == b"\0" * len('{"a": "Maria Lopez"}')


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_bot(tmp_path, fake, postgres_db):
    migrate(postgres_db)
    b = Bot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"), database_url=postgres_db)
    b.database_url = postgres_db
    yield b
    b.close()


@pytest.mark.parametrize("how", ["redact", "forget", "deleted in Slack"])
def test_deleted_text_is_in_no_row_nor_dump_of_the_database(pg_bot, how):
    bot = pg_bot
    sid, thread = prepare(bot)
    assert database_found(bot.database_url), "the set-up must store the text (else the test proves nothing)"
    fn = PATHS[how]
    fn(bot, sid, thread) if how.endswith("in Slack") else fn(bot, sid)
    assert_gone(bot, sid)


def test_the_copy_kept_before_a_data_upgrade_loses_the_deleted_text_too(tmp_path, fake):
    """A data directory from before data versions (index.json without one) is copied to
    upgrade-backups/ when the bot opens it; deleting a note afterwards shreds it there too."""
    from bot.store.tinydb_migrations import BACKUPS_DIR, VERSION_KEY

    data = tmp_path / "data"
    bot = Bot(data, fake, dates.parse_instant("2021-11-02T13:00:00Z"))
    try:
        sid, _ = prepare(bot)
    finally:
        bot.close()
    index = json.loads((data / "index.json").read_text())
    index.pop(VERSION_KEY)
    (data / "index.json").write_text(json.dumps(index))
    bot = Bot(data, fake, dates.parse_instant("2021-11-03T19:00:00Z"))
    try:
        assert [h for h in bytes_found(data) if h.startswith(BACKUPS_DIR)], "the upgrade must have kept a copy holding the note"
        forget_path(bot, sid)
        assert bytes_found(data) == []
    finally:
        bot.close()
