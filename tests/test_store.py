"""The store: atomic replace, one lock per school, one process per data directory."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.store.port import StoreError, StoreLocked
from bot.store.tinydb_store import TinyStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path):
    s = TinyStore(tmp_path / "data")
    yield s
    s.close()


def test_a_transaction_writes_one_file_that_stock_tinydb_can_read(store, tmp_path):
    sid = store.new_school_id()
    with store.transaction(sid) as tx:
        tx.put("notes", "n1", {"text": "hello"})
        tx.put("notes", "n2", {"text": "world"})
    path = tmp_path / "data" / "schools" / f"{sid}.json"
    data = json.loads(path.read_text())
    assert sorted(d["text"] for d in data["notes"].values()) == ["hello", "world"]
    from tinydb import TinyDB

    with TinyDB(path) as db:  # the format is TinyDB's own
        assert len(db.table("notes")) == 2
    assert store.view(sid).get("notes", "n1") == {"text": "hello"}
    assert store.revision(sid) == 1


def test_an_exception_inside_a_transaction_leaves_nothing_half_written(store, tmp_path):
    sid = store.new_school_id()
    with store.transaction(sid) as tx:
        tx.put("steps", "a", {"v": 1})
    path = tmp_path / "data" / "schools" / f"{sid}.json"
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        with store.transaction(sid) as tx:
            tx.put("steps", "a", {"v": 2})
            tx.put("steps", "b", {"v": 3})
            raise RuntimeError("boom")
    assert path.read_bytes() == before
    assert store.view(sid).all("steps") == {"a": {"v": 1}}
    assert list(path.parent.glob(".*.tmp")) == []


def test_concurrent_read_modify_writes_lose_nothing(store, tmp_path):
    sid = store.new_school_id()

    def work():
        for _ in range(40):
            with store.transaction(sid) as tx:
                doc = tx.get("counter", "c") or {"n": 0}
                tx.put("counter", "c", {"n": doc["n"] + 1})

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.view(sid).get("counter", "c") == {"n": 320}
    data = json.loads((tmp_path / "data" / "schools" / f"{sid}.json").read_text())
    assert list(data["counter"].values())[0]["n"] == 320


def test_a_view_is_a_snapshot_and_read_only(store):
    sid = store.new_school_id()
    with store.transaction(sid) as tx:
        tx.put("k", "x", {"v": 1})
    view = store.view(sid)
    with store.transaction(sid) as tx:
        tx.put("k", "x", {"v": 2})
    assert view.get("k", "x") == {"v": 1}
    assert store.view(sid).get("k", "x") == {"v": 2}


def test_a_second_process_on_the_same_data_directory_is_refused(store, tmp_path):
    code = "from bot.store.tinydb_store import TinyStore; import sys; TinyStore(sys.argv[1])"
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "data")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode != 0
    assert "StoreLocked" in proc.stderr and "in use by a running scep-bot" in proc.stderr
    with pytest.raises(StoreLocked):  # and in-process too (flock is per open file)
        TinyStore(tmp_path / "data")


def test_a_corrupt_file_is_named_with_what_to_do(tmp_path):
    s = TinyStore(tmp_path / "data")
    sid = s.new_school_id()
    with s.transaction(sid) as tx:
        tx.put("k", "x", {"v": 1})
    s.close()
    path = tmp_path / "data" / "schools" / f"{sid}.json"
    path.write_text('{"k": {"1": ')
    s = TinyStore(tmp_path / "data")
    try:
        with pytest.raises(StoreError) as err:
            s.view(sid)
        assert str(path) in str(err.value) and "scep-bot doctor" in str(err.value)
        assert s.check_files() and str(path) in s.check_files()[0]
    finally:
        s.close()


def test_the_index_binds_one_school_per_channel(store):
    a, b = store.new_school_id(), store.new_school_id()
    store.bind(a, name="A", team_id="T1", channel_id="C1")
    with pytest.raises(StoreError):
        store.bind(b, name="B", team_id="T1", channel_id="C1")
    assert store.school_for_channel("T1", "C1") == a
    assert store.school_for_channel("T2", "C1") is None


def test_every_write_keeps_earlier_versions_and_doctor_restores_the_last_good_one(tmp_path):
    from bot.store.files import backup_path, doctor

    s = TinyStore(tmp_path / "data")
    sid = s.new_school_id()
    for v in range(1, 6):
        with s.transaction(sid) as tx:
            tx.put("k", "x", {"v": v})
    s.close()
    path = tmp_path / "data" / "schools" / f"{sid}.json"
    versions = [json.loads(backup_path(path, n).read_text())["k"] for n in (1, 2, 3)]
    assert [list(v.values())[0]["v"] for v in versions] == [4, 3, 2]
    assert not backup_path(path, 4).exists()

    path.write_text('{"k": {"1": {"v": 5, "_key": "x"')  # damaged outside the bot
    backup_path(path, 1).write_text("garbage")  # and its newest copy too
    with pytest.raises(StoreError):
        TinyStore(tmp_path / "data").view(sid)
    report = doctor(tmp_path / "data")
    assert len(report) == 1 and f"restored {path}" in report[0] and backup_path(path, 2).name in report[0]
    s = TinyStore(tmp_path / "data")
    try:
        assert s.view(sid).get("k", "x") == {"v": 3}
        assert s.check_files() == []
    finally:
        s.close()


def test_doctor_refuses_while_the_bot_holds_the_directory(store, tmp_path):
    from bot.store.files import doctor

    with pytest.raises(StoreLocked):
        doctor(tmp_path / "data")


def test_a_damaged_file_gets_a_clear_answer_in_slack_not_an_apology(bot, tmp_path):
    bot.setup()
    sid = bot.services.store.school_ids()[0]
    bot.close()
    (tmp_path / "data" / "schools" / f"{sid}.json").write_text("{not json")
    from tests.harness import Bot

    fresh = Bot(tmp_path / "data", bot.fake, bot.now)
    try:
        text = fresh.command("next").text
        assert "a data file is damaged" in text and "scep-bot doctor" in text
    finally:
        fresh.close()


def test_the_index_of_a_store_with_schools_is_sound_and_a_damaged_one_is_restored(tmp_path):
    """The index is plain JSON keyed by school id (not a TinyDB database): the start-up check and
    doctor accept it, and restore it from its copy when it is damaged."""
    from bot.store.files import doctor

    s = TinyStore(tmp_path / "data")
    for n in range(2):
        sid = s.new_school_id()
        s.bind(sid, name=f"School {n}", team_id="T1", channel_id=f"C{n}")
    assert s.check_files() == []
    s.close()
    assert doctor(tmp_path / "data") == []
    index = tmp_path / "data" / "index.json"
    index.write_text(index.read_text()[:-5])
    report = doctor(tmp_path / "data")
    assert len(report) == 1 and report[0].startswith(f"restored {index}")
    s = TinyStore(tmp_path / "data")
    try:
        assert s.school_for_channel("T1", "C0")  # the copy before the last write (doctor says later changes are lost)
        assert s.check_files() == []
    finally:
        s.close()


def test_setups_of_a_new_channel_at_once_link_one_school(store):
    """No process lock in the domain: the store refuses a second school on the channel, and the
    setup that lost the race finds the first school and changes nothing."""
    from datetime import datetime, timezone

    from bot.calendar.cycle_files import CycleLibrary
    from bot.core.context import Ctx
    from bot.setup.apply import apply_setup

    library = CycleLibrary.load(None)
    now = datetime(2021, 11, 30, 20, tzinfo=timezone.utc)
    start = threading.Barrier(8)
    texts: list[str] = []

    def setup():
        ctx = Ctx(store, library, now, "T1", "C0RACE001", "U0LIAIS01", lookup_user=lambda uid: {"id": uid})
        start.wait()
        texts.append(apply_setup(ctx, {"name": "Race Elementary", "model": "TSI"}).text)

    threads = [threading.Thread(target=setup) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.school_ids()) == 1 and store.school_for_channel("T1", "C0RACE001") == store.school_ids()[0]
    assert len(texts) == 8 and sum("linked to" in t for t in texts) == 1
    assert sum("nothing changed" in t for t in texts) == 7


def test_threads_remembered_at_once_are_all_kept(store):
    """``remember_thread`` updates one setting from many listener threads: none is lost."""
    from bot.notes.threads import remember_thread
    from bot.store.schema import THREADS_SETTING

    start = threading.Barrier(16)

    def remember(n):
        start.wait()
        for i in range(10):
            remember_thread(store, f"C{n:03d}", f"1635950000.{i:06d}", f"s{n}")

    threads = [threading.Thread(target=remember, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    index = store.get_setting(THREADS_SETTING)
    assert len(index) == 160 and index["C007:1635950000.000003"] == "s7"
    assert json.loads((store.root / "index.json").read_text())["settings"][THREADS_SETTING] == index
