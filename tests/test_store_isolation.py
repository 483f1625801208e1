"""The store's promises: snapshots, atomic transactions, copy-on-write isolation, TinyDB's file layout."""

from __future__ import annotations

import json

import pytest
from tinydb import TinyDB

from bot.store.port import StoreError, StoreLocked
from bot.store.tinydb_store import ReadOnlyStore, TinyStore


def test_transaction_commits_once_and_views_are_snapshots(tmp_path):
    store = TinyStore(tmp_path)
    with store.transaction("s1") as tx:
        tx.put("notes", "C1:1", {"text": "one", "tags": [1]})
        tx.put("steps", "2021-22:x", {"done": {"held": {"at": "t"}}})
    before = store.view("s1")
    with store.transaction("s1") as tx:
        tx.put("notes", "C1:2", {"text": "two"})
        tx.delete("notes", "C1:1")
    assert set(before.all("notes")) == {"C1:1"}  # the old snapshot did not move
    after = store.view("s1")
    assert set(after.all("notes")) == {"C1:2"} and after.count("notes") == 1
    assert after.get("steps", "2021-22:x") == {"done": {"held": {"at": "t"}}}
    assert after.find("notes", text="two") == {"C1:2": {"text": "two"}}
    assert after.find("notes", missing_field=None) == {}
    store.close()
    # the file is TinyDB's layout: TinyDB itself reads it
    db = TinyDB(tmp_path / "schools" / "s1.json")
    assert [d["_key"] for d in db.table("notes").all()] == ["C1:2"]
    db.close()
    # and a new store reads it back, ids continuing after the highest
    store = TinyStore(tmp_path)
    with store.transaction("s1") as tx:
        tx.put("notes", "C1:3", {"text": "three"})
    raw = json.loads((tmp_path / "schools" / "s1.json").read_text())
    assert sorted(raw["notes"]) == ["2", "3"]
    store.close()


def test_an_exception_leaves_file_and_memory_untouched(tmp_path):
    store = TinyStore(tmp_path)
    with store.transaction("s1") as tx:
        tx.put("steps", "k", {"done": {"draft": {"at": "a"}}})
    path = tmp_path / "schools" / "s1.json"
    text = path.read_text()
    with pytest.raises(RuntimeError):
        with store.transaction("s1") as tx:
            doc = tx.get("steps", "k")
            doc["done"]["final"] = {"at": "b"}  # nested mutation of what was read
            tx.put("steps", "k", doc)
            tx.put("steps", "other", {"x": 1})
            raise RuntimeError("boom")
    assert path.read_text() == text
    assert store.view("s1").get("steps", "k") == {"done": {"draft": {"at": "a"}}}
    assert store.view("s1").get("steps", "other") is None
    # a value JSON cannot hold aborts the commit too
    with pytest.raises(TypeError):
        with store.transaction("s1") as tx:
            tx.put("steps", "bad", {"x": object()})
    assert store.view("s1").get("steps", "bad") is None and path.read_text() == text
    store.close()


def test_documents_put_are_copied(tmp_path):
    store = TinyStore(tmp_path)
    doc = {"files": [{"name": "a"}]}
    with store.transaction("s1") as tx:
        tx.put("notes", "k", doc)
        doc["files"].append({"name": "b"})  # the caller keeps mutating its own dict
    assert store.view("s1").get("notes", "k") == {"files": [{"name": "a"}]}
    store.close()


def test_read_only_store_reads_while_the_bot_holds_the_lock(tmp_path):
    store = TinyStore(tmp_path)
    store.bind("s1", name="Lincoln", team_id="T", channel_id="C1")
    with store.transaction("s1") as tx:
        tx.put("notes", "k", {"text": "hello"})
    with pytest.raises(StoreLocked):
        TinyStore(tmp_path)
    ro = ReadOnlyStore(tmp_path)
    assert ro.school_ids() == ["s1"] and ro.view("s1").get("notes", "k") == {"text": "hello"}
    with pytest.raises(StoreError):
        with ro.transaction("s1"):
            pass
    with pytest.raises(StoreError):
        ReadOnlyStore(tmp_path / "nothing-here")
    store.close()


def test_pluck_tallies_without_whole_documents(tmp_path):
    store = TinyStore(tmp_path)
    with store.transaction("s1") as tx:
        tx.put("notes", "a", {"step": "v1", "commitment": 1})
        tx.put("notes", "b", {"step": "v1"})
        tx.put("notes", "c", {"step": "v2", "commitment": 2})
        assert sorted(tx.pluck("notes", "commitment", step="v1"), key=str) == [1, None]
    assert store.view("s1").pluck("notes", "commitment") == [1, None, 2]
    store.close()
