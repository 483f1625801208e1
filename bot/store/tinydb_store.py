"""The store: one TinyDB JSON file per school plus a small index, written by atomic replace.

The interface is deliberately small and keyed (``kind``, ``key``) -> document, so that a SQL
backend can implement it later:

- ``store.view(school_id)``: a read-only snapshot of one school (never blocks on writers);
- ``with store.transaction(school_id) as tx:``: read-modify-write under the school's lock; the
  school's file is replaced atomically once, when the block ends without an exception, and
  left untouched otherwise;
- the index: which schools exist and which channel each is bound to, workspace settings.

Durability: temp file in the same folder, ``fsync``, ``os.replace``, ``fsync`` of the folder.
A second process on the same data directory is refused (``StoreLocked``); ``ReadOnlyStore``
reads one that a running bot holds (exports), never writing.

Files keep TinyDB's layout (``{kind: {doc id: {..., "_key": key}}}``: ``TinyDB(path)`` opens
them), but reads and writes go through the small keyed layer below, not TinyDB's query engine:
a key index makes ``get`` a dict look-up, a transaction copies only the tables it writes (copy
on write) instead of the whole school, and a commit re-serializes only those tables.
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

INDEX_FILE = "index.json"
LOCK_FILE = "scep-bot.lock"
SCHOOLS_DIR = "schools"


class StoreError(RuntimeError):
    """The data directory cannot be used; the message says which file and what to do."""


class StoreLocked(StoreError):
    pass


class SchoolNotFound(StoreError):
    pass


def _copy(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars), several times faster than deepcopy."""
    t = type(value)
    if t is dict:
        return {k: _copy(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [_copy(v) for v in value]
    return value


def _strip(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "_key"}


def _strip_copy(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) for k, v in doc.items() if k != "_key"}


class _School:
    """One school's committed data, never mutated once committed (views share it safely).

    ``tables`` is the file's TinyDB layout (kind -> doc id -> document with its ``_key``);
    ``keys`` indexes it (kind -> key -> doc id) so ``get`` is a dict look-up, not a scan;
    ``next_ids`` is TinyDB's next document id per table; ``doc_json`` caches each document's
    serialized text (kind -> doc id -> JSON), so a commit serializes only the documents the
    transaction wrote and joins the rest.
    """

    __slots__ = ("tables", "keys", "next_ids", "doc_json")

    def __init__(self, tables: dict[str, dict[str, dict[str, Any]]], keys=None, next_ids=None, doc_json=None) -> None:
        self.tables = tables
        if keys is None:
            keys, next_ids = {}, {}
            for kind, table in tables.items():
                if not isinstance(table, dict):
                    raise StoreError(f"table '{kind}' is not a JSON object")
                keys[kind] = {doc.get("_key"): doc_id for doc_id, doc in table.items() if isinstance(doc, dict)}
                next_ids[kind] = max((int(i) for i in table if str(i).isdigit()), default=0) + 1
        self.keys = keys
        self.next_ids = next_ids or {}
        self.doc_json: dict[str, dict[str, str]] = doc_json if doc_json is not None else {}

    def docs_json(self, kind: str) -> dict[str, str]:
        """doc id -> serialized document, for every document of ``kind`` (filled on first use)."""
        cache = self.doc_json.get(kind)
        table = self.tables[kind]
        if cache is None or len(cache) != len(table):
            cache = self.doc_json[kind] = {i: cache[i] if cache and i in cache else _dumps(d) for i, d in table.items()}
        return cache

    def file_text(self) -> str:
        """The school's file, in TinyDB's layout."""
        parts = []
        for kind in sorted(self.tables):
            docs = self.docs_json(kind)
            body = ", ".join(f'"{i}": {text}' if i.isdigit() else f"{json.dumps(i)}: {text}" for i, text in docs.items())
            parts.append(f"{json.dumps(kind, ensure_ascii=False)}: {{{body}}}")
        return "{" + ", ".join(parts) + "}"


def _dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


class _Docs:
    """Keyed documents of one school: table = kind, field ``_key`` = key."""

    _school: _School

    def _table(self, kind: str) -> dict[str, dict[str, Any]]:
        return self._school.tables.get(kind) or {}

    def _doc_id(self, kind: str, key: str) -> str | None:
        return (self._school.keys.get(kind) or {}).get(key)

    def _out(self, doc: dict[str, Any]) -> dict[str, Any]:
        return _strip(doc)

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        doc_id = self._doc_id(kind, key)
        return self._out(self._table(kind)[doc_id]) if doc_id is not None else None

    def all(self, kind: str) -> dict[str, dict[str, Any]]:
        return {d["_key"]: self._out(d) for d in self._table(kind).values()}

    def find(self, kind: str, **equals: Any) -> dict[str, dict[str, Any]]:
        """Documents of ``kind`` whose fields equal the given values."""
        missing = object()
        items = equals.items()
        return {
            d["_key"]: self._out(d)
            for d in self._table(kind).values()
            if all(d.get(name, missing) == value for name, value in items)
        }

    def count(self, kind: str) -> int:
        return len(self._table(kind))

    def pluck(self, kind: str, name: str, **equals: Any) -> list[Any]:
        """The value of field ``name`` (None when absent) of every document of ``kind`` whose
        fields equal ``equals``: a count or a tally without copying whole documents."""
        missing = object()
        items = equals.items()
        return [
            _copy(d.get(name))
            for d in self._table(kind).values()
            if all(d.get(k, missing) == v for k, v in items)
        ]


class SchoolView(_Docs):
    """A read-only snapshot of one school's documents (shallow copies: do not mutate them)."""

    def __init__(self, school: _School) -> None:
        self._school = school


class SchoolTx(_Docs):
    """Read-modify-write access to one school inside a transaction.

    Copy on write: a table is copied (shallowly: doc id -> document) the first time the
    transaction writes it, and every document read or written is deep-copied, so nothing the
    caller does to a document reaches the committed data before the commit.
    """

    def __init__(self, base: _School, school_id: str) -> None:
        self._school = base
        self._tables: dict[str, dict[str, dict[str, Any]]] = {}
        self._keys: dict[str, dict[str, str]] = {}
        self._next: dict[str, int] = {}
        self._written: dict[str, set[str]] = {}
        self.school_id = school_id
        self.changed = False

    def _table(self, kind: str) -> dict[str, dict[str, Any]]:
        table = self._tables.get(kind)
        return table if table is not None else (self._school.tables.get(kind) or {})

    def _doc_id(self, kind: str, key: str) -> str | None:
        keys = self._keys.get(kind)
        if keys is None:
            keys = self._school.keys.get(kind) or {}
        return keys.get(key)

    def _out(self, doc: dict[str, Any]) -> dict[str, Any]:
        return _strip_copy(doc)

    def _writable(self, kind: str) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        if kind not in self._tables:
            self._tables[kind] = dict(self._school.tables.get(kind) or {})
            self._keys[kind] = dict(self._school.keys.get(kind) or {})
            self._next[kind] = self._school.next_ids.get(kind, 1)
            self._written[kind] = set()
        return self._tables[kind], self._keys[kind]

    def put(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        table, keys = self._writable(kind)
        doc_id = keys.get(key)
        if doc_id is None:
            doc_id = str(self._next[kind])
            self._next[kind] += 1
            keys[key] = doc_id
        body = {k: _copy(v) for k, v in doc.items() if k != "_key"}
        body["_key"] = key
        table[doc_id] = body
        self._written[kind].add(doc_id)
        self.changed = True

    def delete(self, kind: str, key: str) -> bool:
        if self._doc_id(kind, key) is None:
            return False
        table, keys = self._writable(kind)
        del table[keys.pop(key)]
        self.changed = True
        return True

    def _committed(self) -> _School:
        """The school after this transaction; serializes the documents written (a non-JSON value
        raises here, before anything is replaced)."""
        base = self._school
        doc_json = {k: v for k, v in base.doc_json.items() if k not in self._tables}
        for kind, table in self._tables.items():
            old = base.doc_json.get(kind)
            if old is None or len(old) != len(base.tables.get(kind) or {}):
                continue  # never serialized: done in full when the file is written
            cache = {i: old[i] for i in table if i in old}
            for doc_id in self._written[kind]:
                if doc_id in table:
                    cache[doc_id] = _dumps(table[doc_id])
            doc_json[kind] = cache
        return _School({**base.tables, **self._tables}, {**base.keys, **self._keys}, {**base.next_ids, **self._next}, doc_json)


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


BACKUPS = 3  # earlier versions kept of every data file, as hidden hard links beside it


def backup_path(path: Path, n: int) -> Path:
    """The ``n``-th previous version of ``path`` (1 = the one before the current)."""
    return path.with_name(f".{path.name}.{n}")


def atomic_write(path: Path, text: str, keep: int = BACKUPS) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves the old or the new file, whole.

    The version being replaced is kept as ``.<name>.1`` (older ones shift to ``.2``, ``.3``) by
    hard links and renames, so ``scep-bot doctor`` can restore the last good copy of a damaged
    file without the write path ever copying data.
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if keep and path.exists():
            for n in range(keep - 1, 0, -1):
                older = backup_path(path, n)
                if older.exists():
                    os.replace(older, backup_path(path, n + 1))
            try:
                os.link(path, backup_path(path, 1))
            except FileExistsError:  # a crash between two renames: the link is already there
                pass
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


def check_file(path: Path) -> str | None:
    """Why ``path`` is not a sound data file, or None: it must parse as JSON and open as a
    TinyDB database whose tables all read."""
    try:
        data = _load_json(path)
    except StoreError as exc:
        return str(exc)
    if path.name == INDEX_FILE or path.name.startswith(f".{INDEX_FILE}."):
        return _index_problem(path, data)  # the index is plain JSON, not a TinyDB database
    from tinydb import TinyDB
    from tinydb.storages import JSONStorage

    try:
        with TinyDB(path, storage=JSONStorage, access_mode="r") as db:
            for name in db.tables():
                db.table(name).all()
    except Exception as exc:  # noqa: BLE001 - any failure means TinyDB cannot read it
        return f"{path} is not a TinyDB database TinyDB can read ({exc.__class__.__name__}: {exc})"
    return None


def _index_problem(path: Path, data: dict[str, Any]) -> str | None:
    schools, settings = data.get("schools", {}), data.get("settings", {})
    if not isinstance(schools, dict) or not isinstance(settings, dict):
        return f"{path} is not a scep-bot index (schools and settings must be JSON objects)"
    for sid, entry in schools.items():
        if not isinstance(entry, dict) or entry.get("school_id") != sid:
            return f"{path} is not a sound scep-bot index (the entry of school '{sid}' is malformed)"
    return None


def doctor(data_dir: str | os.PathLike[str]) -> list[str]:
    """Check every data file; restore each damaged one from its newest sound backup.

    Returns what was found and done, one line each. Run it with the bot stopped: it takes the
    data directory's lock like the bot does.
    """
    store = TinyStore(data_dir, check=False)
    report: list[str] = []
    try:
        root = store.root
        for path in [root / INDEX_FILE, *sorted((root / SCHOOLS_DIR).glob("*.json"))]:
            if not path.exists():
                continue
            problem = check_file(path)
            if problem is None:
                continue
            for n in range(1, BACKUPS + 1):
                candidate = backup_path(path, n)
                if candidate.exists() and check_file(candidate) is None:
                    atomic_write(path, candidate.read_text(encoding="utf-8"), keep=0)
                    from datetime import datetime, timezone

                    when = datetime.fromtimestamp(candidate.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
                    report.append(f"restored {path} from its copy of {when} ({candidate.name}); changes after that are lost. It was: {problem}")
                    break
            else:
                report.append(f"cannot restore {path}: no sound copy is left ({problem}). Move it aside to start that school afresh.")
    finally:
        store.close()
    return report


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

    def __init__(self, data_dir: str | os.PathLike[str], *, check: bool = True) -> None:
        self.root = Path(data_dir)
        try:
            (self.root / SCHOOLS_DIR).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the data directory {self.root}: {exc.strerror}; set SCEP_DATA_DIR") from None
        self._lock_fh = self._acquire_process_lock()
        if self._lock_fh is not None:
            self._remove_temp_files()
        self._index_lock = threading.RLock()
        self._locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()
        self._committed: dict[str, _School] = {}
        self._revisions: dict[str, int] = {}
        try:
            self._index = _load_json(self.root / INDEX_FILE) if check else {}
        except StoreError:
            self.close()
            raise
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

    def _remove_temp_files(self) -> None:
        """Temp files left by a process killed in the middle of ``atomic_write`` (never the data:
        the file they were to replace is whole). Only the lock holder may do this."""
        for folder in (self.root, self.root / SCHOOLS_DIR):
            for tmp in folder.glob(".*.tmp"):
                try:
                    tmp.unlink()
                except OSError:
                    pass

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

    def _committed_school(self, school_id: str) -> _School:
        school = self._committed.get(school_id)
        if school is None:
            with self._lock(school_id):
                school = self._committed.get(school_id)
                if school is None:
                    path = self._school_path(school_id)
                    try:
                        school = _School(_load_json(path))
                    except StoreError as exc:
                        raise StoreError(f"{path}: {exc}") from None
                    self._committed[school_id] = school
                    self._revisions.setdefault(school_id, 0)
        return school

    def view(self, school_id: str) -> SchoolView:
        return SchoolView(self._committed_school(school_id))

    def revision(self, school_id: str) -> int:
        """A counter that grows with every committed change to the school (for caches)."""
        return self._revisions.get(school_id, 0)

    @contextmanager
    def transaction(self, school_id: str) -> Iterator[SchoolTx]:
        path = self._school_path(school_id)
        with self._lock(school_id):
            tx = SchoolTx(self._committed_school(school_id), school_id)
            yield tx
            if not tx.changed:
                return
            school = tx._committed()
            atomic_write(path, school.file_text())
            self._committed[school_id] = school
            self._revisions[school_id] = self._revisions.get(school_id, 0) + 1

    def check_files(self) -> list[str]:
        """Check every data file (JSON, and TinyDB can read it); the problems, one line each."""
        paths = [self.root / INDEX_FILE, *sorted((self.root / SCHOOLS_DIR).glob("*.json"))]
        return [p for p in (check_file(path) for path in paths if path.exists()) if p]


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

    def _refuse(self, *args: Any, **kwargs: Any):
        raise StoreError("this store is read-only (the bot is running and holds the data directory)")

    bind = set_setting = _refuse

    def transaction(self, school_id: str):  # type: ignore[override]
        self._refuse()
