"""The store port's contract for unlinked schools (in the index, bound to no channel), on every
backend of tests/test_store_contract.py: the data kept and reachable, the channel free, nothing
due, the state surviving a reopen, a relink by binding a channel again."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.store.port import ChannelTaken
from tests.test_store_contract import backend, store  # noqa: F401 - the fixtures, parametrized per backend

NOW = datetime(2021, 12, 1, 14, 0, tzinfo=timezone.utc)


def _school(store, name: str, team: str, channel: str) -> str:  # noqa: F811
    sid = store.new_school_id()
    with store.transaction(sid) as tx:
        tx.put("school", "profile", {"name": name})
        tx.put("note", "C1:1.0", {"text": f"a note of {name}"})
        tx.bind(name=name, team_id=team, channel_id=channel)
    return sid


def test_an_unlinked_school_keeps_its_data_and_frees_its_channel(store):  # noqa: F811
    a, b = _school(store, "Lincoln", "T1", "C1"), _school(store, "Adams", "T1", "C2")
    before = store.revision(a)
    with store.transaction(a) as tx:
        tx.bind(name="Lincoln", team_id="T1", channel_id=None)
    assert store.revision(a) == before + 1
    assert store.school_ids() == [b] and sorted(store.school_ids(unlinked=True)) == sorted([a, b])
    assert store.index_entry(a) is None
    assert store.index_entry(a, unlinked=True) == {"school_id": a, "name": "Lincoln", "team_id": "T1", "channel_id": None}
    assert store.unlinked("T1") == [{"school_id": a, "name": "Lincoln", "team_id": "T1", "channel_id": None}]
    assert store.unlinked("T2") == []
    assert store.school_for_channel("T1", "C1") is None
    assert store.view(a).get("note", "C1:1.0") == {"text": "a note of Lincoln"}
    c = _school(store, "Lincoln Elementary", "T1", "C1")  # the channel is free for another school
    assert store.school_for_channel("T1", "C1") == c


def test_nothing_is_due_for_an_unlinked_school(store):  # noqa: F811
    a, b = _school(store, "Lincoln", "T1", "C1"), _school(store, "Adams", "T1", "C2")
    assert set(store.due_schools(NOW)) == {a, b}  # never computed: unknown, so due
    store.bind(a, name="Lincoln", team_id="T1", channel_id=None)
    assert set(store.due_schools(NOW)) == {b} and set(store.due_schools(NOW, "T1")) == {b}
    assert store.teams() == {"T1": 1} and store.team_school_ids("T1") == [b]
    assert set(store.revisions()) == {b}


def test_many_unlinked_schools_in_one_workspace_and_a_relink(store):  # noqa: F811
    ids = [_school(store, f"School {i}", "T1", f"C{i}") for i in range(3)]
    for i, sid in enumerate(ids):
        store.bind(sid, name=f"School {i}", team_id="T1", channel_id=None)  # several NULL channels: no collision
    assert [e["school_id"] for e in store.unlinked("T1")] == ids  # by name
    taken = _school(store, "Other", "T1", "C7")
    with pytest.raises(ChannelTaken):
        store.bind(ids[0], name="School 0", team_id="T1", channel_id="C7")
    assert store.index_entry(ids[0], unlinked=True)["channel_id"] is None and store.school_for_channel("T1", "C7") == taken
    store.bind(ids[0], name="School 0", team_id="T1", channel_id="C9")
    assert store.school_for_channel("T1", "C9") == ids[0] and ids[0] in store.school_ids()
    assert [e["school_id"] for e in store.unlinked("T1")] == ids[1:]
    assert set(store.due_schools(NOW)) == {ids[0], taken}


def test_an_unlinked_school_stays_unlinked_after_reopening(backend):  # noqa: F811
    s = backend.open()
    a = _school(s, "Lincoln", "T1", "C1")
    s.bind(a, name="Lincoln", team_id="T1", channel_id=None)
    s.close()
    again = backend.open()
    try:
        assert again.school_ids() == [] and again.school_ids(unlinked=True) == [a]
        assert again.unlinked("T1")[0]["school_id"] == a and again.school_for_channel("T1", "C1") is None
        assert again.view(a).get("school", "profile") == {"name": "Lincoln"}
    finally:
        again.close()


def test_dropping_an_unlinked_school_deletes_it(store):  # noqa: F811
    a = _school(store, "Lincoln", "T1", "C1")
    store.bind(a, name="Lincoln", team_id="T1", channel_id=None)
    assert store.drop_school(a) is True
    assert store.school_ids(unlinked=True) == [] and store.unlinked("T1") == [] and store.view(a).get("school", "profile") is None
