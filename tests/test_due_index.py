"""The due index (issue 12, item 4): per school the next instant anything can fall due, unknown
again with every change of the school (in the same transaction), recorded by the sweep only
where the school is still at the revision it read; so a sweep reads only the schools due or
changed. On both backends: the store's contract, then the bot's own sweeps (a quiet minute reads
no school; a command in one school makes that school, and only it, read again; the instant
coming brings it back and the nudge goes out once)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.calendar import dates
from bot.store.postgres_migrations import migrate
from bot.store.postgres_store import PostgresStore
from schedules.sweep.due import DUE_SETTING
from bot.store.schema import DISTRICT_HOLIDAYS_SETTING
from tests.harness import CHANNEL, Bot
from tests.nudge_driver import Driver, add_people, give_roles, utc
from tests.test_store_contract import backend, store  # noqa: F401 - the contract's fixtures (both backends)

T = utc("2021-11-01T12:00:00Z")
LATER = T + timedelta(days=3)


def _school(store, sid: str, channel: str, team: str = "T0DEMO001") -> int:
    with store.transaction(sid) as tx:
        tx.bind(name=f"School {sid}", team_id=team, channel_id=channel)
        tx.put("steps", "a", {"n": 1})
    return tx.revision


def test_a_change_makes_the_instant_unknown_and_a_stale_record_is_ignored(store):
    r1 = _school(store, "s1", "C1")
    r2 = _school(store, "s2", "C2", team="T0OTHER01")
    assert set(store.due_schools(T)) == {"s1", "s2"}  # never computed: unknown, so due
    assert store.due_schools(T, "T0OTHER01") == {"s2": ("T0OTHER01", r2)}
    store.record_due([("s1", r1, LATER), ("s2", r2, LATER)])
    assert store.due_schools(T) == {}
    assert set(store.due_schools(LATER)) == {"s1", "s2"}  # the instant itself is due
    with store.transaction("s1") as tx:  # a change: s1 is unknown again, s2 is not
        tx.put("steps", "b", {"n": 2})
    assert set(store.due_schools(T)) == {"s1"}
    store.record_due([("s1", r1, LATER)])  # computed from the revision before the change: ignored
    assert set(store.due_schools(T)) == {"s1"}
    store.record_due([("s1", tx.revision, LATER)])
    assert store.due_schools(T) == {}
    with store.transaction("s1") as tx:  # a transaction that writes nothing changes nothing
        tx.get("steps", "a")
    assert store.due_schools(T) == {}
    store.forget_due()
    assert set(store.due_schools(T)) == {"s1", "s2"}
    assert store.teams() == {"T0DEMO001": 1, "T0OTHER01": 1}
    assert store.team_school_ids("T0OTHER01") == ["s2"]


@pytest.fixture(params=["tinydb", "postgres"])
def bot(request, tmp_path, fake):
    add_people(fake)
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_db")
        migrate(url)
    b = Bot(tmp_path / "data", fake, utc("2021-07-01T12:00:00Z"), database_url=url)
    assert isinstance(b.services.store, PostgresStore) == (url is not None)
    yield b
    b.close()


@pytest.mark.usefixtures("nudges_only")
def test_a_quiet_sweep_reads_no_school_and_a_change_reads_only_that_one(bot):
    bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits year:2021-22")
    bot.setup("Brightwood model:TSI cycles:nysed-tsi-visits year:2021-22", channel="C0OTHER01")
    driver = Driver(bot)
    store = bot.services.store
    first = driver.sweep(utc("2021-07-01T13:00:00Z"))
    assert first.schools == 2  # both unknown: both computed and recorded
    quiet = driver.sweep(utc("2021-07-01T13:01:00Z"))
    assert (quiet.schools, quiet.deliveries) == (0, [])
    lincoln = store.school_for_channel("T0DEMO001", CHANNEL)
    bot.at("2021-07-01T13:01:30Z").command("next")  # a read: no change, nothing to compute
    assert driver.sweep(utc("2021-07-01T13:02:00Z")).schools == 0
    give_roles(bot)  # a change in one school (its channel): that school only
    changed = driver.sweep(utc("2021-07-01T13:03:00Z"))
    assert changed.schools == 1 and set(store.due_schools(utc("2021-07-01T13:03:00Z"))) == set()
    # the next instant of Lincoln: the index says when, the sweep then reads it and sends once
    (nxt,) = [at for sid, at in _next_due(store, [lincoln])]
    assert nxt > utc("2021-07-01T13:03:00Z")
    at = max(nxt, utc("2021-07-01T13:04:00Z"))
    before = driver.sweep(at - timedelta(minutes=1))
    assert before.schools == 0
    busy = driver.sweep(at)
    assert busy.schools >= 1 and busy.deliveries, (nxt, busy)
    sent = [d.key for d in busy.deliveries if d.status == "sent"]
    again = driver.sweep(at + timedelta(minutes=1))
    assert not [d for d in again.deliveries if d.status == "sent" and d.key in sent]


def _next_due(store, ids):
    """(school id, its next due instant) from the index, found by asking when it becomes due."""
    lo = utc("2021-07-01T13:03:00Z")
    out = []
    for sid in ids:
        step = timedelta(days=1)
        t = lo
        while sid not in store.due_schools(t) and t < lo + timedelta(days=400):
            t += step
        hi, low = t, t - step
        while hi - low > timedelta(minutes=1):
            mid = low + (hi - low) / 2
            if sid in store.due_schools(mid):
                hi = mid
            else:
                low = mid
        out.append((sid, hi))
    return out


@pytest.mark.usefixtures("nudges_only")
def test_a_sweep_in_the_past_or_other_settings_start_the_index_afresh(bot):
    bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits year:2021-22")
    driver = Driver(bot)
    store = bot.services.store
    driver.sweep(utc("2021-11-01T13:00:00Z"))  # what it sent changed the school's ledger: read once more next minute
    driver.sweep(utc("2021-11-01T13:01:00Z"))
    assert driver.sweep(utc("2021-11-01T13:02:00Z")).schools == 0
    assert store.get_setting(DUE_SETTING)["latest"].startswith("2021-11-01T13:00")
    back = driver.sweep(dates.parse_instant("2021-10-01T13:00:00Z"))  # a month back (sweep --at in the past)
    assert back.schools == 1
    assert driver.sweep(utc("2021-10-01T13:01:00Z")).schools == 0
    store.set_setting(DISTRICT_HOLIDAYS_SETTING, ["2021-10-11"])  # what the providers read changed: every school afresh
    assert driver.sweep(utc("2021-10-01T13:02:00Z")).schools == 1


def test_views_reads_many_schools_as_view_reads_each(store):
    _school(store, "s1", "C1")
    _school(store, "s2", "C2")
    with store.transaction("s2") as tx:  # a deletion: gone from both reads
        tx.delete("steps", "a")
        tx.put("steps", "b", {"n": 2})
    store.view("s1")  # one cached, one not
    many = store.views(["s1", "s2", "s9"])
    for sid in ("s1", "s2", "s9"):
        assert many[sid].all("steps") == store.view(sid).all("steps")
    assert many["s2"].all("steps") == {"b": {"n": 2}} and many["s9"].all("steps") == {}
