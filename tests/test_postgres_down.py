"""The database stops answering while the bot runs, then comes back (PostgreSQL store).

While it is down: /healthz answers 503 naming the store, a command that writes answers "try again
in a moment" and writes nothing, and the sweep stops without sending or losing anything. When it
is back: the same command works and the next sweep sends what had fallen due meanwhile.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg import sql

from bot.calendar import dates
from bot.store.port import StoreUnavailable
from bot.store.postgres_migrations import migrate
from bot.store.postgres_store import PostgresStore
from schedules.sweep.jobs import sweep
from tests.harness import Bot
from tests.test_faults import healthz


@pytest.fixture
def bot(tmp_path, fake, postgres_db):
    migrate(postgres_db)
    b = Bot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"), database_url=postgres_db)
    assert isinstance(b.services.store, PostgresStore)
    yield b
    b.close()


def set_down(url: str, down: bool) -> None:
    """Refuse (or allow again) connections to the test's database and cut the open ones."""
    dbname = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    admin_url = url.replace(f"/{dbname}?", "/postgres?")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(sql.Identifier(dbname), sql.SQL("false" if down else "true")))
        if down:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,))


def test_a_database_down_while_running_asks_to_try_again_and_the_sweep_resumes(bot, postgres_db):
    bot.setup("Lincoln Elementary model:TSI")
    assert healthz(bot)[0].startswith("200")
    set_down(postgres_db, True)
    try:
        status, info = healthz(bot)
        assert status.startswith("503") and info["ok"] is False and "SCEP_DATABASE_URL" in info["store"]
        bot.fake.clear()
        bot.at("2021-11-03T13:00:00Z").command("setup Lincoln Elementary model:ATSI")
        assert "Try again in a moment" in bot.last_response_text()
        with pytest.raises(StoreUnavailable):  # the clock's job logs it and tries again next minute
            sweep(bot.services, bot.app.client, dates.parse_instant("2021-12-01T14:00:00Z"))
        assert bot.fake.of("chat.postMessage") == []
    finally:
        set_down(postgres_db, False)
    deadline = time.monotonic() + 30  # the pool reconnects with a backoff of a few seconds
    while not healthz(bot)[0].startswith("200"):
        assert time.monotonic() < deadline, healthz(bot)
        time.sleep(0.2)
    store = bot.services.store
    sid = store.school_ids()[0]
    assert store.view(sid).get("school", "profile")["model"] == "TSI"  # nothing half-written
    bot.at("2021-11-03T13:00:00Z").command("setup Lincoln Elementary model:ATSI")
    assert store.view(sid).get("school", "profile")["model"] == "ATSI"
    report = sweep(bot.services, bot.app.client, dates.parse_instant("2021-12-01T14:00:00Z"))
    assert report.of("sent") and bot.fake.of("chat.postMessage")
