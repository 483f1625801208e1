"""The store: one TinyDB JSON file per school plus a small index, written by atomic replace.

The interface is deliberately small and keyed (``kind``, ``key``) -> document, so that a SQL
backend can implement it later:

- ``store.view(school_id)``: a read-only snapshot of one school (never blocks on writers);
- ``with store.transaction(school_id) as tx:``: read-modify-write under the school's lock; the
  school's file is replaced atomically once, when the block ends without an exception, and
  left untouched otherwise;
- the index: which schools exist and which channel each is bound to, workspace settings.

Durability: temp file in the same folder, ``fsync``, ``os.replace``, ``fsync`` of the folder.
A second process on the same data directory is refused (``StoreLocked``).
"""

from __future__ import annotations

import copy
import errno
import fcntl
import json
import os
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Protocol

from tinydb import Query, TinyDB
from tinydb.storages import Storage

INDEX_FILE = "index.json"
LOCK_FILE = "scep-bot.lock"
SCHOOLS_DIR = "schools"


class StoreError(RuntimeError):
    """The data directory cannot be used; the message says which file and what to do."""


class StoreLocked(StoreError):
    pass


class SchoolNotFound(StoreError):
    pass


class _MemoryStorage(Storage):
    """TinyDB storage over a dict we own; the file is written by the store, not by TinyDB."""

    def __init__(self, data: dict[str, Any], writable: bool = True) -> None:
        self.data = data
        self.writable = writable

    def read(self) -> dict[str, Any]:
        return self.data

    def write(self, data: dict[str, Any]) -> None:
        if not self.writable:
            raise StoreError("read-only view: write inside store.transaction(...)")
        self.data = data


class _Docs:
    """Keyed documents over a TinyDB database: table = kind, field ``_key`` = key."""

    def __init__(self, db: TinyDB) -> None:
        self._db = db

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        doc = self._db.table(kind).get(Query()._key == key)
        return _strip(doc) if doc is not None else None

    def all(self, kind: str) -> dict[str, dict[str, Any]]:
        return {d["_key"]: _strip(d) for d in self._db.table(kind).all()}

    def find(self, kind: str, **equals: Any) -> dict[str, dict[str, Any]]:
        """Documents of ``kind`` whose fields equal the given values."""
        q = Query()
        cond = None
        for name, value in equals.items():
            part = q[name] == value
            cond = part if cond is None else (cond & part)
        docs = self._db.table(kind).search(cond) if cond is not None else self._db.table(kind).all()
        return {d["_key"]: _strip(d) for d in docs}


def _strip(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "_key"}


class SchoolView(_Docs):
    """A read-only snapshot of one school's documents."""


class SchoolTx(_Docs):
    """Read-modify-write access to one school inside a transaction."""

    def __init__(self, db: TinyDB, school_id: str) -> None:
        super().__init__(db)
        self.school_id = school_id
        self.changed = False

    def put(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        """Store ``doc`` under (kind, key), replacing what was there (a field left out of ``doc``
        is gone: TinyDB's own ``upsert`` would merge and keep it)."""
        body = dict(doc)
        body["_key"] = key
        table = self._db.table(kind)
        table.remove(Query()._key == key)
        table.insert(body)
        self.changed = True

    def delete(self, kind: str, key: str) -> bool:
        removed = self._db.table(kind).remove(Query()._key == key)
        self.changed = self.changed or bool(removed)
        return bool(removed)


class Store(Protocol):
    """What the rest of the bot may ask of a store."""

    def school_ids(self) -> list[str]: ...
    def school_for_channel(self, team_id: str, channel_id: str) -> str | None: ...
    def index_entry(self, school_id: str) -> dict[str, Any] | None: ...
    def new_school_id(self) -> str: ...
    def bind(self, school_id: str, *, name: str, team_id: str, channel_id: str) -> None: ...
    def view(self, school_id: str) -> SchoolView: ...
    def transaction(self, school_id: str) -> Any: ...
    def revision(self, school_id: str) -> int: ...
    def get_setting(self, key: str, default: Any = None) -> Any: ...
    def set_setting(self, key: str, value: Any) -> None: ...
    def close(self) -> None: ...


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves the old or the new file, whole."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _load_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(
            f"{path} is corrupt (line {exc.lineno}: {exc.msg}); run `scep-bot doctor` to restore "
            "it from its last good copy"
        ) from None
    if not isinstance(data, dict):
        raise StoreError(f"{path} is not a scep-bot data file (expected a JSON object)")
    return data


class TinyStore:
    """The TinyDB store: ``DATA_DIR/index.json`` and ``DATA_DIR/schools/<id>.json``."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.root = Path(data_dir)
        try:
            (self.root / SCHOOLS_DIR).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {self.root}: {exc.strerror}; set SCEP_DATA_DIR") from None
        self._lock_fh = self._acquire_process_lock()
        self._index_lock = threading.RLock()
        self._locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()
        self._committed: dict[str, dict[str, Any]] = {}
        self._revisions: dict[str, int] = {}
        self._index = _load_json(self.root / INDEX_FILE)
        self._index.setdefault("schools", {})
        self._index.setdefault("settings", {})
        self._channels = self._build_channel_map()

    # -- process lock
    def _acquire_process_lock(self):
        path = self.root / LOCK_FILE
        fh = open(path, "a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise StoreLocked(
                    f"the data directory {self.root} is in use by a running scep-bot ({holder}); "
                    "stop it first, or point SCEP_DATA_DIR at another directory"
                ) from None
            raise
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}\n")
        fh.flush()
        return fh

    def close(self) -> None:
        if self._lock_fh is not None:
            try:
                fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_UN)
            finally:
                self._lock_fh.close()
                self._lock_fh = None

    # -- index
    def _build_channel_map(self) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for doc in self._index["schools"].values():
            if doc.get("channel_id"):
                out[(doc.get("team_id", ""), doc["channel_id"])] = doc["school_id"]
        return out

    def _write_index(self) -> None:
        atomic_write(self.root / INDEX_FILE, json.dumps(self._index, sort_keys=True))

    def school_ids(self) -> list[str]:
        return list(self._index["schools"])

    def index_entry(self, school_id: str) -> dict[str, Any] | None:
        doc = self._index["schools"].get(school_id)
        return dict(doc) if doc else None

    def school_for_channel(self, team_id: str, channel_id: str) -> str | None:
        return self._channels.get((team_id or "", channel_id))

    def new_school_id(self) -> str:
        return "s" + uuid.uuid4().hex[:12]

    def bind(self, school_id: str, *, name: str, team_id: str, channel_id: str) -> None:
        """Record ``school_id`` in the index, bound to one channel (a channel has one school)."""
        with self._index_lock:
            before = copy.deepcopy(self._index)
            other = self._channels.get((team_id or "", channel_id))
            if other and other != school_id:
                raise StoreError(f"channel {channel_id} is already linked to another school")
            self._index["schools"][school_id] = {
                "school_id": school_id,
                "name": name,
                "team_id": team_id or "",
                "channel_id": channel_id,
            }
            try:
                self._write_index()
            except BaseException:
                self._index = before
                raise
            self._channels = self._build_channel_map()

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

    def _committed_data(self, school_id: str) -> dict[str, Any]:
        data = self._committed.get(school_id)
        if data is None:
            with self._lock(school_id):
                data = self._committed.get(school_id)
                if data is None:
                    data = _load_json(self._school_path(school_id))
                    self._committed[school_id] = data
                    self._revisions.setdefault(school_id, 0)
        return data

    def view(self, school_id: str) -> SchoolView:
        data = self._committed_data(school_id)
        return SchoolView(TinyDB(storage=_MemoryStorage, data=data, writable=False))

    def revision(self, school_id: str) -> int:
        """A counter that grows with every committed change to the school (for caches)."""
        return self._revisions.get(school_id, 0)

    @contextmanager
    def transaction(self, school_id: str) -> Iterator[SchoolTx]:
        path = self._school_path(school_id)
        with self._lock(school_id):
            working = copy.deepcopy(self._committed_data(school_id))
            tx = SchoolTx(TinyDB(storage=_MemoryStorage, data=working), school_id)
            yield tx
            if not tx.changed:
                return
            data = tx._db.storage.data
            atomic_write(path, json.dumps(data, sort_keys=True, ensure_ascii=False))
            self._committed[school_id] = data
            self._revisions[school_id] = self._revisions.get(school_id, 0) + 1

    def check_files(self) -> list[str]:
        """Parse every data file; the problems found, one line each (empty when all is well)."""
        problems = []
        for path in [self.root / INDEX_FILE, *sorted((self.root / SCHOOLS_DIR).glob("*.json"))]:
            try:
                _load_json(path)
            except StoreError as exc:
                problems.append(str(exc))
        return problems


class ReadOnlyStore(TinyStore):
    """A data directory read without taking the process lock, for read-only operator commands
    (``scep-bot nudges``) while the bot may be running: every file is replaced atomically, so
    each read sees a whole file (a snapshot as of when it was read). Writes are refused."""

    def _acquire_process_lock(self):
        return None

    def bind(self, school_id: str, *, name: str, team_id: str, channel_id: str) -> None:
        raise StoreError("this store is read-only")

    def set_setting(self, key: str, value: Any) -> None:
        raise StoreError("this store is read-only")

    def transaction(self, school_id: str):  # type: ignore[override]
        raise StoreError("this store is read-only")
