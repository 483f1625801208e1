"""The TinyDB data directory's schema version: a directory from before versions were recorded is
upgraded on open with a copy kept; migrations run in order, each stamped, and a crash resumes at
the one that did not finish; a directory from a newer scep-bot is refused with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.store.files import atomic_write
from bot.store.port import StoreError
from bot.store.schema import PROFILE
from bot.store.tinydb_migrations import DATA_VERSION, MIGRATIONS, Migration, upgrade
from bot.store.tinydb_store import ReadOnlyStore, TinyStore
from tests.test_running import ROOT, env_for


def school_dir(root, version=None):
    """A data directory with one school, as written by scep-bot at ``version`` (None: before versions)."""
    s = TinyStore(root)
    sid = s.new_school_id()
    with s.transaction(sid) as tx:
        tx.put(*PROFILE, {"school_id": sid, "name": "Lincoln", "team_id": "T1", "channel_id": "C1", "roles": {}})
        tx.bind(name="Lincoln", team_id="T1", channel_id="C1")
    s.close()
    index = json.loads((root / "index.json").read_text())
    if version is None:
        index.pop("data_version")
    else:
        index["data_version"] = version
    (root / "index.json").write_text(json.dumps(index))
    return sid


def test_a_new_directory_is_stamped_with_the_current_version(tmp_path):
    school_dir(tmp_path / "d", version=DATA_VERSION)
    s = TinyStore(tmp_path / "d")
    s.set_setting("x", 1)
    s.close()
    assert json.loads((tmp_path / "d" / "index.json").read_text())["data_version"] == DATA_VERSION == MIGRATIONS[-1].to
    assert not (tmp_path / "d" / "upgrade-backups").exists()  # nothing to upgrade: no copy


def test_a_directory_from_before_versions_is_upgraded_on_open_with_a_copy_kept(tmp_path):
    root = tmp_path / "d"
    sid = school_dir(root)
    before = (root / "schools" / f"{sid}.json").read_bytes(), (root / "index.json").read_bytes()
    s = TinyStore(root)
    try:
        assert s.view(sid).get(*PROFILE)["name"] == "Lincoln"
    finally:
        s.close()
    assert json.loads((root / "index.json").read_text())["data_version"] == DATA_VERSION
    kept = root / "upgrade-backups" / "v0"
    assert ((kept / "schools" / f"{sid}.json").read_bytes(), (kept / "index.json").read_bytes()) == before


def rename_field(old, new):
    def run(root, index):
        for path in (root / "schools").glob("*.json"):
            data = json.loads(path.read_text())
            for doc in data.get("school", {}).values():
                if old in doc:
                    doc[new] = doc.pop(old)
            atomic_write(path, json.dumps(data))
        index.setdefault("settings", {}).setdefault("ran", []).append(new)
        return index
    return run


def test_migrations_run_in_order_each_stamped_and_a_crash_resumes(tmp_path):
    root = tmp_path / "d"
    sid = school_dir(root, version=1)
    calls = []

    def boom(root_, index):
        calls.append("boom")
        raise OSError("killed")

    registry = (MIGRATIONS[0], Migration(2, "name -> title", rename_field("name", "title")),
                Migration(3, "crashes", boom), Migration(4, "title -> label", rename_field("title", "label")))
    index = json.loads((root / "index.json").read_text())
    with pytest.raises(OSError):
        upgrade(root, index, registry)
    assert json.loads((root / "index.json").read_text())["data_version"] == 2  # the step done is recorded
    fixed = (*registry[:2], Migration(3, "fixed", lambda r, i: i), registry[3])
    index = upgrade(root, json.loads((root / "index.json").read_text()), fixed)
    assert index["data_version"] == 4 and index["settings"]["ran"] == ["title", "label"]
    school = json.loads((root / "schools" / f"{sid}.json").read_text())
    assert next(iter(school["school"].values()))["label"] == "Lincoln"
    # a copy before each attempt: v1 as it was, and v2 as the crash left it
    assert (root / "upgrade-backups" / "v1" / "index.json").exists() and (root / "upgrade-backups" / "v2" / "index.json").exists()
    assert json.loads((root / "upgrade-backups" / "v1" / "index.json").read_text())["data_version"] == 1


def test_a_directory_from_a_newer_scep_bot_is_refused_with_one_line(tmp_path):
    root = tmp_path / "data"
    school_dir(root, version=DATA_VERSION + 1)
    before = sorted(p.name for p in root.rglob("*"))
    for opener in (TinyStore, ReadOnlyStore):
        with pytest.raises(StoreError, match=r"written by a newer scep-bot \(data version %d; this one reads up to %d\)" % (DATA_VERSION + 1, DATA_VERSION)):
            opener(root)
    assert sorted(p.name for p in root.rglob("*")) == before  # nothing copied, nothing written
    exe = ROOT / ".venv" / "bin" / "scep-bot"
    proc = subprocess.run([str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "bot.root.cli"]),
                           "console"], input="", capture_output=True, text=True, timeout=120,
                          env=env_for(tmp_path, SCEP_DATA_DIR=str(root)))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(f"scep-bot: the data directory {root} was written by a newer scep-bot")


def test_reading_an_older_directory_without_the_lock_says_to_start_the_bot(tmp_path):
    root = tmp_path / "d"
    school_dir(root)
    with pytest.raises(StoreError, match="older than this scep-bot's .*start the bot once to upgrade it"):
        ReadOnlyStore(root)
    assert not os.path.exists(root / "upgrade-backups")
