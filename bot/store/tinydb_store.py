"""The TinyDB adapter of the store port: one JSON file per school plus a small index.

``DATA_DIR/index.json`` holds the index (which schools exist, the channel each is bound to) and
the workspace settings; ``DATA_DIR/schools/<id>.json`` one school's documents in TinyDB's layout
(tinydb_docs.py), written by atomic replace (files.py) once per transaction, under the school's
lock. A second process on the same data directory is refused (``StoreLocked``);
``ReadOnlyStore`` reads one that a running bot holds (exports), never writing.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator

from bot.store.files import (
    INDEX_FILE,
    SCHOOLS_DIR,
    atomic_write,
    check_file,
    data_files,
    drop_copies,
    shred,
    load_json,
    lock_directory,
    make_data_dir,
    remove_temp_files,
    unlock_directory,
)
from bot.store.port import ChannelTaken, SchoolNotFound, StoreError, StoreFull
from bot.store.tinydb_migrations import DATA_VERSION, VERSION_KEY, too_new, upgrade, version_of
from bot.store.tinydb_docs import META, SchoolData, TinySchoolTx, TinySchoolView

log = logging.getLogger("scep-bot")


class TinyStore:
    """The TinyDB store: ``DATA_DIR/index.json`` and ``DATA_DIR/schools/<id>.json``.

    Locks: one per school (transactions), one for the index (bindings, settings); a transaction
    that binds a channel takes the school's, then the index's.
    """

    def __init__(self, data_dir: str | os.PathLike[str], *, check: bool = True) -> None:
        self.root = Path(data_dir)
        make_data_dir(self.root)
        self._lock_fh = self._acquire_process_lock()
        if self._lock_fh is not None:
            remove_temp_files(self.root)
        self._index_lock = threading.RLock()
        self._full: str | None = None  # why writes fail for want of space, until one succeeds
        self._locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()
        self._committed: dict[str, SchoolData] = {}
        try:
            self._index = self._open_index() if check else {}
        except StoreError:
            self.close()
            raise
        self._index.setdefault("schools", {})
        self._index.setdefault("settings", {})
        self._channels = self._build_channel_map()
        self._pace: dict[str, float] = {}  # target -> next moment a post may go (the callers' clock)
        self._due: dict[str, tuple[int, datetime]] = {}  # school -> (revision, next due instant): the due index, in memory
        self._due_changes = 0  # grows with every change of the due index (due_schools' memo)
        self._due_memo: tuple | None = None
        self._pace_lock = threading.Lock()

    def _open_index(self) -> dict[str, Any]:
        """The index at this version's data schema: migrated on open (tinydb_migrations.py)."""
        index = load_json(self.root / INDEX_FILE)
        if not index:
            return {VERSION_KEY: DATA_VERSION}
        return upgrade(self.root, index)

    def _acquire_process_lock(self):
        from bot.store.datadir import write_problem

        if (why := write_problem(self.root)) is not None:  # a read-only mount: one line naming SCEP_DATA_DIR, not a traceback
            raise StoreError(why)
        return lock_directory(self.root)

    def close(self) -> None:
        if self._lock_fh is not None:
            fh, self._lock_fh = self._lock_fh, None
            unlock_directory(fh)

    # -- index
    def _build_channel_map(self) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for doc in self._index["schools"].values():
            if doc.get("channel_id"):
                out[(doc.get("team_id", ""), doc["channel_id"])] = doc["school_id"]
        return out

    def _write(self, path: Path, text: str) -> None:
        """``atomic_write``, remembering a full disk: one ERROR in the log when it fills, the
        reason in ``health()`` (``/healthz`` answers 503) until a write succeeds again."""
        try:
            atomic_write(path, text)
        except StoreFull as exc:
            if self._full is None:
                log.error("DISK FULL: %s. Nothing is saved until an admin frees space in SCEP_DATA_DIR (%s); "
                          "people are told so, and writing resumes by itself", exc, self.root)
            self._full = f"disk full: {exc}"
            raise
        if self._full is not None:
            log.warning("the disk has space again: writing resumed (%s)", self._full)
            self._full = None

    def _write_index(self) -> None:
        self._write(self.root / INDEX_FILE, json.dumps(self._index, sort_keys=True))

    def _bound(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(school id, index entry) of every school bound to a channel (not the unlinked ones)."""
        return ((sid, e) for sid, e in self._index["schools"].items() if e.get("channel_id"))

    def school_ids(self, *, unlinked: bool = False) -> list[str]:
        return list(self._index["schools"]) if unlinked else [sid for sid, _ in self._bound()]

    def documents_of_kind(self, kind: str, school_ids: list[str] | None = None) -> list[tuple[str, str, dict[str, Any]]]:
        return [(sid, key, doc) for sid in (self.school_ids() if school_ids is None else school_ids) for key, doc in self.view(sid).all(kind).items()]

    def revisions(self) -> dict[str, int]:
        return {sid: self.revision(sid) for sid in self.school_ids()}

    def index_entry(self, school_id: str, *, unlinked: bool = False) -> dict[str, Any] | None:
        doc = self._index["schools"].get(school_id)
        return {**doc, "channel_id": doc.get("channel_id") or None} if doc and (unlinked or doc.get("channel_id")) else None

    def unlinked(self, team_id: str) -> list[dict[str, Any]]:
        out = [{**e, "channel_id": None} for e in self._index["schools"].values() if not e.get("channel_id") and (e.get("team_id") or "") == (team_id or "")]
        return sorted(out, key=lambda e: (e.get("name") or "").lower())

    def school_for_channel(self, team_id: str, channel_id: str) -> str | None:
        return self._channels.get((team_id or "", channel_id))

    def new_school_id(self) -> str:
        return "s" + uuid.uuid4().hex[:12]

    def bind(self, school_id: str, *, name: str, team_id: str, channel_id: str | None) -> None:
        with self.transaction(school_id) as tx:
            tx.bind(name=name, team_id=team_id, channel_id=channel_id)

    def get_setting(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self._index["settings"].get(key, default))

    def set_setting(self, key: str, value: Any) -> None:
        with self._index_lock:
            before = self._index["settings"].get(key)
            self._index["settings"][key] = value
            try:
                self._write_index()
            except BaseException:
                self._index["settings"][key] = before
                raise

    def update_setting(self, key: str, change: Callable[[Any], Any], default: Any = None) -> Any:
        settings = self._index["settings"]
        with self._index_lock:
            missing = key not in settings
            before = settings.get(key, default)
            value = change(copy.deepcopy(before))
            if not missing and value == before:
                return copy.deepcopy(value)
            settings[key] = value
            try:
                self._write_index()
            except BaseException:
                if missing:
                    settings.pop(key, None)
                else:
                    settings[key] = before
                raise
            return copy.deepcopy(value)

    # -- schools
    def _school_path(self, school_id: str) -> Path:
        if not school_id or not school_id.replace("-", "").isalnum():
            raise SchoolNotFound(f"'{school_id}' is not a school id")
        return self.root / SCHOOLS_DIR / f"{school_id}.json"

    def _lock(self, school_id: str) -> threading.RLock:
        with self._locks_guard:
            lock = self._locks.get(school_id)
            if lock is None:
                lock = self._locks[school_id] = threading.RLock()
            return lock

    def _committed_school(self, school_id: str) -> SchoolData:
        school = self._committed.get(school_id)
        if school is None:
            with self._lock(school_id):
                school = self._committed.get(school_id)
                if school is None:
                    path = self._school_path(school_id)
                    try:
                        school = SchoolData(load_json(path))
                    except StoreError as exc:
                        raise StoreError(f"{path}: {exc}") from None
                    self._committed[school_id] = school
        return school

    def view(self, school_id: str) -> TinySchoolView:
        return TinySchoolView(self._committed_school(school_id))

    def views(self, school_ids: list[str]) -> dict[str, TinySchoolView]:
        """``view`` of many schools (the port's batch read; here one by one, from memory)."""
        return {sid: self.view(sid) for sid in school_ids}

    def revision(self, school_id: str) -> int:
        """The stored revision: one more with every committed transaction of the school."""
        return self._committed_school(school_id).revision

    @contextmanager
    def transaction(self, school_id: str) -> Iterator[TinySchoolTx]:
        path = self._school_path(school_id)
        with self._lock(school_id):
            tx = TinySchoolTx(self._committed_school(school_id), school_id, self._index["schools"].get(school_id))
            yield tx
            if not tx.changed:
                return
            school = tx.committed()
            if tx.binding is None:
                self._write(path, school.file_text())
            else:
                with self._index_lock:
                    self._check_binding(tx.binding)
                    self._write(path, school.file_text())
                    self._write_binding(tx.binding)
            self._committed[school_id] = school
            self._due.pop(school_id, None)  # its next due instant is unknown again
            self._due_changes += 1
            if tx.purging:  # the version replaced is .1 now (its only link): zeroed with the older ones
                drop_copies(path)
            tx.revision = school.revision

    def drop_school(self, school_id: str) -> bool:
        """Delete the school for good: its index entry and its file, every rotating copy of both
        shredded (``Store.drop_school``). False when the store holds no such school."""
        path = self._school_path(school_id)
        with self._lock(school_id), self._index_lock:
            before = self._index["schools"].pop(school_id, None)
            if before is not None:
                try:
                    self._write_index()
                except BaseException:
                    self._index["schools"][school_id] = before
                    raise
                self._channels = self._build_channel_map()
            existed = shred(path) or before is not None
            drop_copies(path)
            drop_copies(self.root / INDEX_FILE)  # the index's copies still name the school
            self._committed.pop(school_id, None)
        return existed

    def purge_settings(self) -> None:
        """No earlier version of the settings is kept (TinyDB: the index's rotating copies are
        shredded); after a setting that named a person was changed."""
        with self._index_lock:
            drop_copies(self.root / INDEX_FILE)

    def _check_binding(self, entry: dict[str, str]) -> None:
        if not entry["channel_id"]:
            return  # unlinked: no channel to collide on
        other = self._channels.get((entry["team_id"], entry["channel_id"]))
        if other and other != entry["school_id"]:
            raise ChannelTaken(f"channel {entry['channel_id']} is already linked to another school")

    def _write_binding(self, entry: dict[str, str]) -> None:
        """Record ``entry`` in the index (a school file written before it is only an orphan if
        this fails: the index is what makes a school exist)."""
        schools = self._index["schools"]
        before = schools.get(entry["school_id"])
        schools[entry["school_id"]] = entry
        try:
            self._write_index()
        except BaseException:
            if before is None:
                schools.pop(entry["school_id"], None)
            else:
                schools[entry["school_id"]] = before
            raise
        self._channels = self._build_channel_map()

    # -- the due index (port.py), in memory: the process is the only one on the directory
    def due_schools(self, now: datetime, team: str | None = None) -> dict[str, tuple[str, int]]:
        """One pass over the index per ``now`` (the workspaces' sweepers ask once each)."""
        memo = self._due_memo
        if memo is None or memo[0] != now or memo[1] != len(self._due) or memo[2] != self._due_changes:
            out: dict[str, tuple[str, int]] = {}
            for sid, entry in self._bound():  # an unlinked school: nothing falls due
                due = self._due.get(sid)
                if due is None or due[1] <= now:
                    out[sid] = (entry.get("team_id") or "", due[0] if due is not None else self.revision(sid))
            memo = self._due_memo = (now, len(self._due), self._due_changes, out)
        return {sid: v for sid, v in memo[3].items() if team is None or v[0] == team}

    def record_due(self, entries: Iterable[tuple[str, int, datetime]]) -> None:
        for sid, rev, at in entries:
            with self._lock(sid):
                if self.revision(sid) == rev:
                    self._due[sid] = (rev, at)
                    self._due_changes += 1

    def forget_due(self) -> None:
        self._due.clear()
        self._due_changes += 1

    def teams(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, entry in self._bound():
            t = entry.get("team_id") or ""
            out[t] = out.get(t, 0) + 1
        return out

    def team_school_ids(self, team: str) -> list[str]:
        return sorted(sid for sid, e in self._bound() if (e.get("team_id") or "") == team)

    # -- the whole data (bot/store/transfer.py: scep-bot migrate --from, export --all)
    def stored_school_ids(self) -> list[str]:
        """Every school with data: in the index, or with a file only (not bound yet, and the
        pseudo-school ``workspace``)."""
        files = {p.stem for p in (self.root / SCHOOLS_DIR).glob("*.json") if not p.name.startswith(".")}
        return sorted(files | set(self._index["schools"]))

    def documents(self, school_id: str) -> dict[str, dict[str, dict[str, Any]]]:
        """Every document of the school (kind -> key -> a copy), without the adapter's own."""
        view = self.view(school_id)
        return {kind: view.all(kind) for kind in self._committed_school(school_id).tables if kind != META[0] and view.count(kind)}

    def settings(self) -> dict[str, Any]:
        """Every workspace setting (copies)."""
        return copy.deepcopy(self._index["settings"])

    def reserve_slot(self, target: str, interval: float, now: float) -> float:
        """The pace of posts per target, kept in this process (the only one on the directory) on
        the caller's clock ``now``."""
        with self._pace_lock:
            slot = max(now, self._pace.get(target, now))
            self._pace[target] = slot + interval
        return slot - now

    def health(self) -> str | None:
        """None, or why the store cannot save (its disk is full); a damaged file is reported when read."""
        return self._full

    def check_files(self) -> list[str]:
        """Check every data file (JSON, and TinyDB can read it); the problems, one line each."""
        return [p for p in (check_file(path) for path in data_files(self.root)) if p]


class ReadOnlyStore(TinyStore):
    """A data directory read without the process lock, for exports while the bot runs.

    Safe because every file is replaced whole (``os.replace``): a read sees the old or the new
    file, never half of one. It never writes; what it shows is what was on disk when each school
    was first read.
    """

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        root = Path(data_dir)
        if not (root / INDEX_FILE).exists():
            raise StoreError(f"{root} holds no scep-bot data (no {INDEX_FILE}); set SCEP_DATA_DIR to the bot's data directory")
        super().__init__(root)

    def _acquire_process_lock(self):
        return None

    def _open_index(self) -> dict[str, Any]:
        index = load_json(self.root / INDEX_FILE)
        version = version_of(index)
        if (why := too_new(self.root, version)) is not None:
            raise StoreError(why)
        if version < DATA_VERSION:
            raise StoreError(f"the data directory {self.root} is at data version {version}, older than this scep-bot's "
                             f"({DATA_VERSION}): start the bot once to upgrade it, then read it")
        return index

    def _refuse(self, *args: Any, **kwargs: Any):
        raise StoreError("this store is read-only (the bot is running and holds the data directory)")

    bind = set_setting = update_setting = drop_school = purge_settings = _refuse

    def transaction(self, school_id: str):  # type: ignore[override]
        self._refuse()
