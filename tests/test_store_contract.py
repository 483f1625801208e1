"""The store port's contract: every backend passes these tests.

A backend is added by writing its adapter and adding its name to ``BACKENDS`` with a way to open
it (``Backend.open`` returns a fresh store on the same data each time it is called). What only
the TinyDB adapter does (its files, rotating copies, doctor, one process per data directory, the
read-only store) is tested in test_store.py and test_store_isolation.py; what only the PostgreSQL
adapter does (migrations, writers in several processes) in test_postgres_store.py. The PostgreSQL
backend runs on a server the tests start (tests/postgres.py), a fresh database per test.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from bot.store.port import ChannelTaken, Store, StoreError
from bot.store.postgres_migrations import migrate
from bot.store.postgres_store import PostgresStore
from bot.store.schema import LEDGER
from bot.store.tinydb_store import TinyStore


@dataclass
class Backend:
    name: str
    open: Callable[[], Store]


def _tinydb(request, tmp_path: Path) -> Backend:
    return Backend("tinydb", lambda: TinyStore(tmp_path / "data"))


def _postgres(request, tmp_path: Path) -> Backend:
    url = request.getfixturevalue("postgres_db")  # an empty database of this test's own
    migrate(url)
    return Backend("postgres", lambda: PostgresStore(url))


BACKENDS = {"tinydb": _tinydb, "postgres": _postgres}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request, tmp_path) -> Backend:
    return BACKENDS[request.param](request, tmp_path)


@pytest.fixture
def store(backend):
    s = backend.open()
    yield s
    s.close()


def run_threads(n: int, work: Callable[[int], None]) -> None:
    """``work(i)`` in ``n`` threads started together; re-raises the first failure."""
    start = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            work(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


# ---------------------------------------------------------------- schools and documents


def test_a_new_school_is_empty_at_revision_zero(store):
    sid = store.new_school_id()
    assert sid.isalnum() and sid != store.new_school_id()
    view = store.view(sid)
    assert view.get("notes", "x") is None and view.all("notes") == {} and view.count("notes") == 0
    assert store.revision(sid) == 0 and store.index_entry(sid) is None and sid not in store.school_ids()


def test_documents_are_written_read_found_and_deleted(store):
    sid = store.new_school_id()
    with store.transaction(sid) as tx:
        tx.put("notes", "a", {"step": "v1", "commitment": 1, "text": "one"})
        tx.put("notes", "b", {"step": "v1", "text": "two"})
        tx.put("notes", "c", {"step": "v2", "commitment": 2})
        assert tx.get("notes", "a") == {"step": "v1", "commitment": 1, "text": "one"}  # reads see the block's writes
    view = store.view(sid)
    assert view.get("notes", "b") == {"step": "v1", "text": "two"}
    assert set(view.all("notes")) == {"a", "b", "c"} and view.count("notes") == 3
    assert set(view.find("notes", step="v1")) == {"a", "b"} and view.find("notes", missing=None) == {}
    assert sorted(view.pluck("notes", "commitment", step="v1"), key=str) == [1, None]
    with store.transaction(sid) as tx:
        assert tx.delete("notes", "a") is True and tx.delete("notes", "zzz") is False
        tx.put("notes", "b", {"text": "replaced"})
    assert store.view(sid).all("notes") == {"b": {"text": "replaced"}, "c": {"step": "v2", "commitment": 2}}


def test_documents_handed_out_are_copies(store):
    sid = store.new_school_id()
    doc = {"files": [{"name": "a"}]}
    with store.transaction(sid) as tx:
        tx.put("notes", "k", doc)
        doc["files"].append({"name": "b"})  # the caller keeps changing its own dict
    with store.transaction(sid) as tx:
        read = tx.get("notes", "k")
        read["files"].append({"name": "c"})  # changed, never put back
    assert store.view(sid).get("notes", "k") == {"files": [{"name": "a"}]}


def test_a_view_is_a_snapshot(store):
    sid = store.new_school_id()
    with store.transaction(sid) as tx:
        tx.put("k", "x", {"v": 1})
    view = store.view(sid)
    with store.transaction(sid) as tx:
        tx.put("k", "x", {"v": 2})
        tx.put("k", "y", {"v": 3})
    assert view.get("k", "x") == {"v": 1} and view.count("k") == 1
    assert store.view(sid).get("k", "x") == {"v": 2}


# ---------------------------------------------------------------- atomicity and concurrency


def test_an_exception_inside_a_transaction_writes_nothing(store):
    sid = store.new_school_id()
    with store.transaction(sid) as tx:
        tx.put("steps", "a", {"done": {"draft": {"at": "t1"}}})
    rev = store.revision(sid)
    with pytest.raises(RuntimeError):
        with store.transaction(sid) as tx:
            doc = tx.get("steps", "a")
            doc["done"]["final"] = {"at": "t2"}
            tx.put("steps", "a", doc)
            tx.put("steps", "b", {"x": 1})
            tx.delete("steps", "a")
            tx.bind(name="Lincoln", team_id="T1", channel_id="C1")
            raise RuntimeError("boom")
    assert store.view(sid).all("steps") == {"a": {"done": {"draft": {"at": "t1"}}}}
    assert store.revision(sid) == rev and store.school_for_channel("T1", "C1") is None and store.index_entry(sid) is None


def test_a_value_json_cannot_hold_aborts_the_commit(store):
    sid = store.new_school_id()
    with store.transaction(sid) as tx:
        tx.put("steps", "a", {"v": 1})
    with pytest.raises(TypeError):
        with store.transaction(sid) as tx:
            tx.put("steps", "a", {"v": 2})
            tx.put("steps", "bad", {"x": object()})
    assert store.view(sid).all("steps") == {"a": {"v": 1}}


def test_concurrent_writers_on_one_school_lose_no_update(store):
    sid = store.new_school_id()

    def work(_):
        for _ in range(25):
            with store.transaction(sid) as tx:
                doc = tx.get("counter", "c") or {"n": 0}
                tx.put("counter", "c", {"n": doc["n"] + 1})

    run_threads(8, work)
    assert store.view(sid).get("counter", "c") == {"n": 200}
    assert store.revision(sid) == 200


def test_a_ledger_key_is_claimed_once(store):
    """The delivery ledger's pattern: claim a key inside a transaction unless it is there."""
    sid = store.new_school_id()
    winners: list[int] = []

    def claim(i):
        with store.transaction(sid) as tx:
            if tx.get(LEDGER, "s1|visit-1:opens|2021-12-01T14:00:00+00:00") is None:
                tx.put(LEDGER, "s1|visit-1:opens|2021-12-01T14:00:00+00:00", {"state": "claimed", "claim": str(i)})
                winners.append(i)

    run_threads(12, claim)
    assert len(winners) == 1
    assert store.view(sid).get(LEDGER, "s1|visit-1:opens|2021-12-01T14:00:00+00:00") == {"state": "claimed", "claim": str(winners[0])}
    assert store.view(sid).count(LEDGER) == 1


# ---------------------------------------------------------------- revisions


def test_every_committed_write_bumps_the_revision(store):
    sid = store.new_school_id()
    seen = [store.revision(sid)]
    with store.transaction(sid) as tx:
        assert tx.read_revision == tx.revision == seen[-1]
        tx.put("k", "x", {"v": 1})
    assert tx.revision == store.revision(sid) > tx.read_revision
    seen.append(store.revision(sid))
    with store.transaction(sid) as tx:
        tx.get("k", "x")  # reads only: nothing committed
    assert tx.revision == tx.read_revision == store.revision(sid) == seen[-1]
    with store.transaction(sid) as tx:
        tx.delete("k", "x")
    seen.append(store.revision(sid))
    store.bind(sid, name="Lincoln", team_id="T1", channel_id="C1")
    seen.append(store.revision(sid))
    assert seen == sorted(set(seen)), seen  # strictly growing
    other = store.new_school_id()
    with store.transaction(other) as tx:
        tx.put("k", "x", {"v": 1})
    assert store.revision(sid) == seen[-1]  # a school's revision moves with its own writes only


def test_revisions_survive_reopening(backend):
    s = backend.open()
    sid = s.new_school_id()
    for v in range(3):
        with s.transaction(sid) as tx:
            tx.put("k", "x", {"v": v})
    rev = s.revision(sid)
    s.close()
    s = backend.open()
    try:
        assert s.revision(sid) == rev
        with s.transaction(sid) as tx:
            tx.put("k", "x", {"v": 9})
        assert s.revision(sid) > rev
    finally:
        s.close()


# ---------------------------------------------------------------- the index and channel binding


def test_the_index_lists_bound_schools(store):
    a, b = store.new_school_id(), store.new_school_id()
    with store.transaction(a) as tx:
        tx.put("school", "profile", {"name": "Lincoln"})
        tx.bind(name="Lincoln", team_id="T1", channel_id="C1")
    store.bind(b, name="Adams", team_id="T1", channel_id="C2")
    assert sorted(store.school_ids()) == sorted([a, b])
    assert store.index_entry(a) == {"school_id": a, "name": "Lincoln", "team_id": "T1", "channel_id": "C1"}
    assert store.school_for_channel("T1", "C1") == a and store.school_for_channel("T1", "C2") == b
    store.bind(a, name="Lincoln Elementary", team_id="T1", channel_id="C1")  # renamed
    assert store.index_entry(a)["name"] == "Lincoln Elementary" and len(store.school_ids()) == 2


def test_a_channel_has_one_school_and_a_refused_binding_writes_nothing(store):
    a, b = store.new_school_id(), store.new_school_id()
    store.bind(a, name="A", team_id="T1", channel_id="C1")
    with pytest.raises(ChannelTaken) as err:
        with store.transaction(b) as tx:
            tx.put("school", "profile", {"name": "B"})
            tx.bind(name="B", team_id="T1", channel_id="C1")
    assert isinstance(err.value, StoreError)
    assert store.view(b).get("school", "profile") is None and store.revision(b) == 0
    assert store.school_for_channel("T1", "C1") == a and store.index_entry(b) is None
    with pytest.raises(ChannelTaken):
        store.bind(b, name="B", team_id="T1", channel_id="C1")
    store.bind(a, name="A", team_id="T1", channel_id="C1")  # the same binding again is fine


def test_schools_racing_for_one_channel_leave_one_bound(store):
    ids = [store.new_school_id() for _ in range(8)]
    won: list[str] = []

    def setup(i):
        try:
            with store.transaction(ids[i]) as tx:
                tx.put("school", "profile", {"name": f"School {i}"})
                tx.bind(name=f"School {i}", team_id="T1", channel_id="C1")
            won.append(ids[i])
        except ChannelTaken:
            pass

    run_threads(8, setup)
    assert len(won) == 1 and store.school_ids() == won and store.school_for_channel("T1", "C1") == won[0]
    assert [sid for sid in ids if store.view(sid).get("school", "profile")] == won


def test_moving_a_school_to_another_channel_frees_the_first(store):
    a, b = store.new_school_id(), store.new_school_id()
    store.bind(a, name="A", team_id="T1", channel_id="C1")
    store.bind(a, name="A", team_id="T1", channel_id="C9")
    assert store.school_for_channel("T1", "C1") is None and store.school_for_channel("T1", "C9") == a
    store.bind(b, name="B", team_id="T1", channel_id="C1")
    assert store.school_for_channel("T1", "C1") == b


def test_schools_and_workspaces_are_isolated(store):
    a, b = store.new_school_id(), store.new_school_id()
    store.bind(a, name="A", team_id="T1", channel_id="C1")
    store.bind(b, name="B", team_id="T2", channel_id="C1")  # the same channel id in another workspace
    assert store.school_for_channel("T1", "C1") == a and store.school_for_channel("T2", "C1") == b
    assert store.school_for_channel("T3", "C1") is None
    with store.transaction(a) as tx:
        tx.put("notes", "C1:1", {"text": "a's"})
    assert store.view(b).all("notes") == {} and store.view(b).get("notes", "C1:1") is None
    with store.transaction(b) as tx:
        tx.put("notes", "C1:1", {"text": "b's"})
    assert store.view(a).get("notes", "C1:1") == {"text": "a's"}

    def write(i):
        sid = (a, b)[i % 2]
        for n in range(20):
            with store.transaction(sid) as tx:
                tx.put("k", f"{i}:{n}", {"i": i})

    run_threads(6, write)
    assert store.view(a).count("k") == store.view(b).count("k") == 60
    assert set(store.view(a).pluck("k", "i")) == {0, 2, 4}


# ---------------------------------------------------------------- settings


def test_settings_are_copies_with_defaults(store):
    assert store.get_setting("holidays", []) == [] and store.get_setting("nothing") is None
    store.set_setting("holidays", ["2021-12-24"])
    got = store.get_setting("holidays")
    got.append("2021-12-31")
    assert store.get_setting("holidays") == ["2021-12-24"]


def test_a_setting_updated_at_once_by_many_threads_loses_nothing(store):
    def work(i):
        for n in range(15):
            store.update_setting("threads", lambda index, key=f"C{i}:{n}": {**(index or {}), key: f"s{i}"}, {})

    run_threads(10, work)
    index = store.get_setting("threads")
    assert len(index) == 150 and index["C3:7"] == "s3"
    assert store.update_setting("threads", lambda index: index) == index  # no change, same value


# ---------------------------------------------------------------- durability


def test_closing_and_reopening_keeps_everything(backend):
    s = backend.open()
    sid = s.new_school_id()
    with s.transaction(sid) as tx:
        tx.put("school", "profile", {"name": "Lincoln", "roles": {"liaison": ["U1"]}})
        tx.put(LEDGER, "k1", {"state": "sent"})
        tx.bind(name="Lincoln", team_id="T1", channel_id="C1")
    s.set_setting("holidays", ["2021-12-24..2022-01-02"])
    s.update_setting("threads", lambda index: {**index, "C2:1.0": sid}, {})
    s.close()
    s = backend.open()
    try:
        assert s.school_ids() == [sid] and s.school_for_channel("T1", "C1") == sid
        assert s.view(sid).get("school", "profile") == {"name": "Lincoln", "roles": {"liaison": ["U1"]}}
        assert s.view(sid).all(LEDGER) == {"k1": {"state": "sent"}}
        assert s.get_setting("holidays") == ["2021-12-24..2022-01-02"] and s.get_setting("threads") == {"C2:1.0": sid}
        assert s.check_files() == []
        with s.transaction(sid) as tx:  # keys keep working after a reopening
            tx.put(LEDGER, "k2", {"state": "claimed"})
            tx.put(LEDGER, "k1", {"state": "retry"})
        assert s.view(sid).all(LEDGER) == {"k1": {"state": "retry"}, "k2": {"state": "claimed"}}
    finally:
        s.close()


# ---------------------------------------------------------------- pacing and health


def test_posts_to_one_target_are_paced_and_other_targets_are_not(store):
    """``reserve_slot``: the second reservation for a target waits one interval after the first,
    the third two; another target is free at once. Concurrent reservations never share a slot."""
    import time

    now = time.monotonic()
    first = store.reserve_slot("C1", 0.5, now)
    second = store.reserve_slot("C1", 0.5, now)
    third = store.reserve_slot("C1", 0.5, now)
    other = store.reserve_slot("C2", 0.5, now)
    assert first < 0.05 and other < 0.05
    assert 0.4 < second <= 0.5 and 0.9 < third <= 1.0

    waits: list[float] = []
    lock = threading.Lock()

    def reserve(i):
        w = store.reserve_slot("C9", 1.0, time.monotonic())
        with lock:
            waits.append(w)

    run_threads(8, reserve)
    slots = sorted(round(w) for w in waits)
    assert slots == list(range(8)), waits  # eight distinct seconds: 0, 1, ..., 7


def test_a_store_that_answers_is_healthy(store):
    assert store.health() is None


def test_revisions_lists_every_bound_school_with_its_revision(store):
    a, b, loose = store.new_school_id(), store.new_school_id(), store.new_school_id()
    store.bind(a, name="A", team_id="T1", channel_id="C1")
    store.bind(b, name="B", team_id="T1", channel_id="C2")
    with store.transaction(b) as tx:
        tx.put(LEDGER, "k", {"state": "sent"})
    with store.transaction(loose) as tx:  # written, never bound: not in the index
        tx.put(LEDGER, "k", {"state": "sent"})
    assert store.revisions() == {a: store.revision(a), b: store.revision(b)}
    assert store.revisions()[b] == store.revision(a) + 1


def test_documents_of_one_kind_across_schools_in_one_read(store):
    a, b, loose = store.new_school_id(), store.new_school_id(), store.new_school_id()
    store.bind(a, name="A", team_id="T1", channel_id="C1")
    store.bind(b, name="B", team_id="T2", channel_id="C2")
    with store.transaction(a) as tx:
        tx.put("prompts", "C1:1.1", {"step": "visit-1"})
        tx.put("prompts", "C1:2.2", {"step": "visit-2"})
        tx.put("notes", "C1:3.3", {"text": "a note"})
    with store.transaction(b) as tx:
        tx.put("prompts", "C2:1.1", {"step": "visit-1"})
        tx.put("prompts", "C2:9.9", {"step": "gone"})
    with store.transaction(b) as tx:
        tx.delete("prompts", "C2:9.9")  # deleted: not listed
    with store.transaction(loose) as tx:  # written, never bound: not a school of the index
        tx.put("prompts", "C9:1.1", {"step": "visit-1"})
    got = sorted(store.documents_of_kind("prompts"))
    assert got == sorted([(a, "C1:1.1", {"step": "visit-1"}), (a, "C1:2.2", {"step": "visit-2"}), (b, "C2:1.1", {"step": "visit-1"})])
    assert store.documents_of_kind("prompts", [b]) == [(b, "C2:1.1", {"step": "visit-1"})]
    assert store.documents_of_kind("prompts", []) == []
    assert store.documents_of_kind("steps") == []
