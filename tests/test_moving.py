"""Moving in and out (issue 12, item 5): ``scep-bot migrate --from DATA_DIR --to URL`` copies a
TinyDB data directory the bot wrote (a school, its notes, its ledger after a sweep, a setting) into
a real PostgreSQL, idempotently and checked; the bot then runs on the database as it ran on the
directory; ``scep-bot export --all --to DIR`` brings it back out as a data directory that
``migrate --from`` reads again (a round trip). Bad arguments get one line, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.calendar import dates
from bot.root.cli import main
from bot.store.postgres_store import PostgresStore
from bot.store.schema import LEDGER, NOTE_KIND
from bot.store.tinydb_store import TinyStore
from schedules.sweep.due import DUE_SETTING
from tests.harness import Bot
from tests.harness import CHANNEL
from tests.notes_helpers import TEACHER, reply, start_prompt, ts_at
from tests.nudge_driver import Driver, add_people, give_roles, utc


def _everything(store) -> dict:
    """Every school's entry and documents and every setting of a store, comparable across backends."""
    schools = {sid: {"entry": store.index_entry(sid), "docs": store.documents(sid)} for sid in store.stored_school_ids()}
    settings = {k: v for k, v in store.settings().items() if k != DUE_SETTING}  # the sweep's own bookkeeping moves on
    return {"schools": {sid: v for sid, v in schools.items() if v["docs"] or v["entry"]}, "settings": settings}


def _written_by_the_bot(tmp_path: Path, fake) -> tuple[Path, str]:
    """A data directory written by the bot itself: a school set up, roles, a note, a sweep's ledger."""
    add_people(fake)
    data = tmp_path / "data"
    bot = Bot(data, fake, utc("2021-11-03T15:00:00Z"))
    try:
        fake.add_user(TEACHER, "Tia Teacher")
        bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits year:2021-22")
        bot.command('commitments "Every student reads daily"')
        give_roles(bot)
        sid = bot.services.store.school_for_channel("T0DEMO001", CHANNEL)
        thread = start_prompt(bot, "visit 1")
        reply(bot, "C1: a first note with ünïcode", thread_ts=thread, ts=ts_at("2021-11-03T18:05:00Z", 1))
        report = Driver(bot).sweep(dates.parse_instant("2021-11-08T14:00:00Z"))
        assert report.deliveries, "the sweep sent nothing: the ledger would be empty"
        store = bot.services.store
        assert store.view(sid).count(NOTE_KIND) == 1
        assert sum(store.view(s).count(LEDGER) for s in store.stored_school_ids()) >= len(report.deliveries)
    finally:
        bot.close()
    return data, sid


def test_migrate_copies_a_data_directory_idempotently_and_export_brings_it_back(tmp_path, fake, postgres_db, capsys):
    data, sid = _written_by_the_bot(tmp_path, fake)
    source = TinyStore(data)
    before = _everything(source)
    source.close()

    assert main(["migrate", "--from", str(data), "--to", postgres_db]) == 0
    out = capsys.readouterr().out
    assert "1 bound to a channel" in out and "notes 1" in out and "ledger " in out, out
    assert "checked: every school, document and setting of the source is in the destination, equal" in out
    assert "already there: 0 documents" in out

    db = PostgresStore(postgres_db)
    try:
        assert _everything(db) == before
        revision = db.revision(sid)
    finally:
        db.close()

    # again: nothing written, nothing changed (not even a revision)
    assert main(["migrate", "--from", str(data), "--to", postgres_db]) == 0
    out = capsys.readouterr().out
    assert "written now: 0 documents, 0 settings" in out, out
    db = PostgresStore(postgres_db)
    assert db.revision(sid) == revision
    db.close()

    # the bot on the database knows the school, its note and what it already sent
    bot = Bot(tmp_path / "unused", fake, utc("2021-11-08T14:30:00Z"), database_url=postgres_db)
    try:
        assert "Lincoln" in bot.command("schools").text
        assert not Driver(bot).sweep(dates.parse_instant("2021-11-08T14:30:00Z")).deliveries  # nothing sent twice
    finally:
        bot.close()

    # out again, as a data directory, and back into a second database: the same data
    out_dir = tmp_path / "exported"
    env = {"SCEP_DATABASE_URL": postgres_db}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        assert main(["export", "--all", "--to", str(out_dir)]) == 0
        assert main(["export", "--all", "--to", str(out_dir)]) == 0  # an earlier export brought up to date: nothing to write
    out = capsys.readouterr().out
    assert "written now: 0 documents" in out.splitlines()[-2], out
    exported = TinyStore(out_dir)
    try:
        assert _everything(exported) == before
    finally:
        exported.close()
    json.loads((out_dir / "index.json").read_text())  # a plain data directory: the bot's own format


def test_export_all_of_one_workspace(tmp_path, fake, capsys, monkeypatch):
    data, sid = _written_by_the_bot(tmp_path, fake)
    monkeypatch.setenv("SCEP_DATA_DIR", str(data))
    monkeypatch.delenv("SCEP_DATABASE_URL", raising=False)
    team = TinyStore(data).index_entry(sid)["team_id"]
    assert main(["export", "--all", "--to", str(tmp_path / "one"), "--team", team]) == 0
    assert "1 schools (1 bound to a channel, 0 unlinked)" in capsys.readouterr().out
    assert main(["export", "--all", "--to", str(tmp_path / "none"), "--team", "T0OTHER"]) == 1
    assert "no school of workspace T0OTHER" in capsys.readouterr().err


@pytest.mark.parametrize("args, says", [
    (["migrate", "--from", "/nonexistent/data", "--to", "postgresql://u@localhost/db"], "--from /nonexistent/data: no such directory"),
    (["migrate", "--from", ".", "--to", "mysql://u@localhost/db"], "--to is malformed (it does not start with postgresql://)"),
    (["migrate", "--to", "postgresql://u@localhost/db"], "--to goes with --from"),
    (["export", "--all"], "scep-bot export --all --to DIR"),
])
def test_bad_arguments_get_one_line(args, says, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCEP_DATABASE_URL", raising=False)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1 and "Traceback" not in err, err


def test_migrate_from_a_directory_without_data_or_to_a_database_that_is_down(tmp_path, capsys):
    assert main(["migrate", "--from", str(tmp_path), "--to", "postgresql://u@localhost/db"]) == 2
    assert "holds no scep-bot data (no index.json)" in capsys.readouterr().err
    (tmp_path / "index.json").write_text('{"schools": {}, "settings": {}}')
    down = f"postgresql://u@/db?host={tmp_path}&port=1"  # no server on that socket
    assert main(["migrate", "--from", str(tmp_path), "--to", down]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot connect to the database" in err and len(err.splitlines()) == 1, err
