"""What only the PostgreSQL store does, against a real server (tests/postgres.py): migrations,
the version check at start, writers in several processes, the bounded cache, the settings and
the command line (``scep-bot migrate``, a database that is down, a malformed URL)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from bot.root.cli import main
from bot.root.settings import ConfigError, Settings
from bot.store import postgres_migrations
from bot.store.port import ChannelTaken, StoreError
from bot.store.postgres_migrations import LATEST, migrate, schema_version
from bot.store.postgres_store import PostgresStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def url(postgres_db):
    migrate(postgres_db)
    return postgres_db


@pytest.fixture
def store(url):
    s = PostgresStore(url)
    yield s
    s.close()


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


# ---------------------------------------------------------------- migrations and the version check


def test_migrate_builds_the_schema_from_an_empty_database_once(postgres_db):
    assert tables(postgres_db) == set()
    assert migrate(postgres_db) == (LATEST, list(range(1, LATEST + 1)))
    assert tables(postgres_db) == {"schema_version", "schools", "documents", "settings", "pacing"}
    assert migrate(postgres_db) == (LATEST, [])  # again: nothing to do
    with psycopg.connect(postgres_db) as conn:
        assert schema_version(conn) == LATEST
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone() == (LATEST,)


def test_migrations_at_once_apply_each_migration_once(postgres_db):
    results = []
    threads = [threading.Thread(target=lambda: results.append(migrate(postgres_db))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(applied) for _, applied in results) == [0, 0, 0, LATEST]
    assert {version for version, _ in results} == {LATEST}


def test_an_empty_database_is_refused_with_the_version_and_the_command(postgres_db):
    with pytest.raises(StoreError) as err:
        PostgresStore(postgres_db)
    assert "SCEP_DATABASE_URL" in str(err.value) and "version 0" in str(err.value) and "scep-bot migrate" in str(err.value)
    assert tables(postgres_db) == set()  # opening never migrates


def test_an_older_schema_is_refused_then_migrated(postgres_db, monkeypatch):
    migrate(postgres_db)
    newer = postgres_migrations.MIGRATIONS + [(LATEST + 1, "a test column", "ALTER TABLE settings ADD COLUMN note text")]
    monkeypatch.setattr(postgres_migrations, "MIGRATIONS", newer)
    monkeypatch.setattr(postgres_migrations, "LATEST", LATEST + 1)
    with pytest.raises(StoreError) as err:
        PostgresStore(postgres_db)
    assert f"schema version {LATEST};" in str(err.value) and f"needs version {LATEST + 1}" in str(err.value)
    assert "scep-bot migrate" in str(err.value)
    assert migrate(postgres_db) == (LATEST + 1, [LATEST + 1])
    PostgresStore(postgres_db).close()


def test_a_newer_schema_is_refused(url, monkeypatch):
    monkeypatch.setattr(postgres_migrations, "LATEST", LATEST - 1)
    with pytest.raises(StoreError, match=f"schema version {LATEST}, newer than this scep-bot knows"):
        PostgresStore(url)


def test_a_failing_migration_leaves_none_of_itself(postgres_db, monkeypatch):
    migrate(postgres_db)
    broken = postgres_migrations.MIGRATIONS + [(LATEST + 1, "broken", "CREATE TABLE half (x int); SELECT 1/0")]
    monkeypatch.setattr(postgres_migrations, "MIGRATIONS", broken)
    with pytest.raises(psycopg.errors.DivisionByZero):
        migrate(postgres_db)
    assert "half" not in tables(postgres_db)
    with psycopg.connect(postgres_db) as conn:
        assert schema_version(conn) == LATEST


def test_the_health_check_names_the_problem(url):
    s = PostgresStore(url)
    try:
        assert s.check_files() == []
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM schema_version")
        [problem] = s.check_files()
        assert "version 0" in problem and "scep-bot migrate" in problem
    finally:
        s.close()


# ---------------------------------------------------------------- several processes

WRITER = """
import sys
from bot.store.postgres_store import PostgresStore
url, sid, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = PostgresStore(url)
print("ready", flush=True)
sys.stdin.readline()
seen = []
for _ in range(n):
    with store.transaction(sid) as tx:
        doc = tx.get("counter", "c") or {"n": 0}
        tx.put("counter", "c", {"n": doc["n"] + 1})
        seen.append(doc["n"] + 1)
store.close()
print(" ".join(map(str, seen)), flush=True)
"""

BINDER = """
import sys
from bot.store.port import ChannelTaken
from bot.store.postgres_store import PostgresStore
url = sys.argv[1]
store = PostgresStore(url)
sid = store.new_school_id()
print("ready", flush=True)
sys.stdin.readline()
try:
    with store.transaction(sid) as tx:
        tx.put("school", "profile", {"name": sid})
        tx.bind(name=sid, team_id="T1", channel_id="C1")
    print("won", sid, flush=True)
except ChannelTaken:
    print("taken", sid, flush=True)
store.close()
"""


def run_together(code: str, args_per_process: list[list[str]]) -> list[str]:
    """Start one Python process per argument list running ``code``; once every one has opened its
    store (printed "ready"), let them all go at once; their last output lines."""
    procs = [subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for args in args_per_process]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready", p.stderr.read()
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            outs.append(out.strip().splitlines()[-1])
        return outs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


def test_two_processes_writing_one_school_lose_no_update(url, store):
    sid = store.new_school_id()
    with store.transaction(sid) as tx:  # this process caches the school at revision 1
        tx.put("counter", "c", {"n": 0})
    outs = run_together(WRITER, [[url, sid, "200"], [url, sid, "200"]])
    seen = [list(map(int, out.split())) for out in outs]
    assert sorted(seen[0] + seen[1]) == list(range(1, 401))  # every increment saw the one before it
    assert store.view(sid).get("counter", "c") == {"n": 400}  # the cached view caught up
    assert store.revision(sid) == 401


def test_processes_racing_for_one_channel_leave_one_school_bound(url, store):
    outs = run_together(BINDER, [[url]] * 4)
    won = [o.split()[1] for o in outs if o.startswith("won")]
    assert len(won) == 1 and sorted(o.split()[0] for o in outs) == ["taken", "taken", "taken", "won"]
    assert store.school_ids() == won and store.school_for_channel("T1", "C1") == won[0]
    losers = [o.split()[1] for o in outs if o.startswith("taken")]
    assert all(store.view(sid).get("school", "profile") is None for sid in losers)


def test_a_second_store_sees_writes_and_deletions_of_the_first(url):
    a, b = PostgresStore(url), PostgresStore(url)  # two processes' stores, each with its own cache
    try:
        sid = a.new_school_id()
        with a.transaction(sid) as tx:
            tx.put("notes", "x", {"v": 1})
            tx.put("notes", "y", {"v": 2})
        assert b.view(sid).all("notes") == {"x": {"v": 1}, "y": {"v": 2}}  # b caches it
        with a.transaction(sid) as tx:
            tx.delete("notes", "x")
            tx.put("notes", "z", {"v": 3})
        assert b.view(sid).all("notes") == {"y": {"v": 2}, "z": {"v": 3}}
        with b.transaction(sid) as tx:  # b writes on top of what a wrote
            tx.put("notes", "x", {"v": 4})
        assert a.view(sid).all("notes") == {"x": {"v": 4}, "y": {"v": 2}, "z": {"v": 3}}
        assert a.revision(sid) == b.revision(sid) == 3
    finally:
        a.close()
        b.close()


def test_a_view_does_not_wait_for_a_writer(store):
    sid = store.new_school_id()
    with store.transaction(sid) as tx:
        tx.put("k", "x", {"v": 1})
    inside, release = threading.Event(), threading.Event()

    def writer():
        with store.transaction(sid) as tx:
            tx.put("k", "x", {"v": 2})
            inside.set()
            release.wait(10)

    t = threading.Thread(target=writer)
    t.start()
    try:
        assert inside.wait(10)
        started = time.monotonic()
        assert store.view(sid).get("k", "x") == {"v": 1}  # the committed state, at once
        assert store.revision(sid) == 1
        assert time.monotonic() - started < 2
    finally:
        release.set()
        t.join()
    assert store.view(sid).get("k", "x") == {"v": 2}


# ---------------------------------------------------------------- memory and settings


def test_the_cache_keeps_a_bounded_number_of_documents(url):
    s = PostgresStore(url, cache_documents=30)
    try:
        ids = [s.new_school_id() for _ in range(10)]
        for sid in ids:
            with s.transaction(sid) as tx:
                for n in range(9):
                    tx.put("notes", str(n), {"n": n})
        for sid in ids:
            assert s.view(sid).count("notes") == 9
        assert s.cache.documents <= 30 and len(s.cache) == 3  # 10 documents a school (9 + its revision)
        assert all(s.view(sid).get("notes", "8") == {"n": 8} for sid in ids)  # dropped schools are read again
    finally:
        s.close()


def test_a_setting_created_by_two_stores_at_once_keeps_both_changes(url):
    a, b = PostgresStore(url), PostgresStore(url)
    try:
        start = threading.Barrier(2)

        def add(store, key):
            start.wait()
            for n in range(20):
                store.update_setting("threads", lambda index, k=f"{key}{n}": {**(index or {}), k: key}, {})

        threads = [threading.Thread(target=add, args=(s, k)) for s, k in ((a, "a"), (b, "b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(a.get_setting("threads")) == 40 and b.get_setting("threads") == a.get_setting("threads")
    finally:
        a.close()
        b.close()


# ---------------------------------------------------------------- configuration and the command line


def test_scep_bot_migrate_applies_and_prints_the_version(postgres_db, monkeypatch, capsys):
    monkeypatch.setenv("SCEP_DATABASE_URL", postgres_db)
    assert main(["migrate"]) == 0
    assert f"is at schema version {LATEST} (applied " in capsys.readouterr().out
    assert main(["migrate"]) == 0
    assert f"is at schema version {LATEST} (already up to date)" in capsys.readouterr().out
    PostgresStore(postgres_db).close()


def test_scep_bot_migrate_needs_the_database_url(monkeypatch, capsys):
    monkeypatch.delenv("SCEP_DATABASE_URL", raising=False)
    assert main(["migrate"]) == 2
    assert "SCEP_DATABASE_URL must be set" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["mysql://u:pw@db/scep", "localhost:5432", "postgresql://u:pw@db:port/scep", "postgresql://u:pw@db:5432/",
                                 "postgresql://u:p%zz@db/scep"])
def test_a_malformed_database_url_names_the_variable_and_the_form(bad, monkeypatch, capsys):
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"SCEP_DATABASE_URL": bad})
    message = str(err.value)
    assert message.startswith("SCEP_DATABASE_URL is malformed") and "postgresql://user:pass@host:5432/dbname" in message
    assert "pw" not in message and "zz" not in message  # never the password
    monkeypatch.setenv("SCEP_DATABASE_URL", bad)
    assert main(["migrate"]) == 2
    assert capsys.readouterr().err.strip() == f"scep-bot: {message}"


def scep_bot(args: list[str], url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SCEP_DATABASE_URL": url, "SCEP_DATA_DIR": str(tmp_path / "data"), "SLACK_BOT_TOKEN": "xoxb-test",
           "SLACK_SIGNING_SECRET": "testsigningsecret0123456789abcdef", "PORT": "0"}
    return subprocess.run([sys.executable, "-m", "bot.root.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_serve_with_the_database_down_says_so_without_a_traceback(tmp_path):
    url = f"postgresql://scep:s3cretpw@/scep?host={tmp_path}&port=5432"  # no server listens there
    done = scep_bot(["serve"], url, tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("scep-bot: cannot connect to the database of SCEP_DATABASE_URL"), done.stderr
    assert "Traceback" not in done.stderr and "s3cretpw" not in done.stderr + done.stdout


def test_serve_on_an_unmigrated_database_says_to_migrate(postgres_db, tmp_path):
    done = scep_bot(["serve"], postgres_db, tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "version 0" in done.stderr and "scep-bot migrate" in done.stderr


def test_a_failed_binding_rolls_back_the_new_schools_row(store):
    a, b = store.new_school_id(), store.new_school_id()
    store.bind(a, name="A", team_id="T1", channel_id="C1")
    with pytest.raises(ChannelTaken):
        store.bind(b, name="B", team_id="T1", channel_id="C1")
    with psycopg.connect(store.url) as conn:
        assert conn.execute("SELECT school_id FROM schools").fetchall() == [(a,)]
