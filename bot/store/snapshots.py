"""One school's documents in memory as immutable snapshots, for a store whose data lives elsewhere.

The PostgreSQL adapter keeps the schools it has read as ``SchoolDocs`` (kind -> key -> document,
at one revision of the school) in a ``SchoolCache`` bounded by the number of documents it holds
(least recently used schools go first), and brings a snapshot up to date with the rows written
since its revision (``SchoolDocs.updated``). A snapshot is never mutated once built: views share
it; a transaction (``SnapshotTx``) copies only the kinds it writes and records what it wrote for
the adapter to store at the commit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Iterable

from bot.store.json_values import copy_json

Tables = dict[str, dict[str, dict[str, Any]]]  # kind -> key -> document


class SchoolDocs:
    """A school's documents at ``revision`` (0: never written). Never mutated once built."""

    __slots__ = ("revision", "tables", "size")

    def __init__(self, revision: int, tables: Tables) -> None:
        self.revision = revision
        self.tables = tables
        self.size = 1 + sum(len(t) for t in tables.values())  # documents held (the cache's unit)

    def updated(self, revision: int, rows: Iterable[tuple[str, str, dict[str, Any] | None]]) -> "SchoolDocs":
        """This school at ``revision``, given the ``(kind, key, document or None if deleted)``
        written since: copies only the kinds that changed."""
        tables = dict(self.tables)
        copied: set[str] = set()
        for kind, key, doc in rows:
            if kind not in copied:
                tables[kind] = dict(tables.get(kind) or {})
                copied.add(kind)
            if doc is None:
                tables[kind].pop(key, None)
            else:
                tables[kind][key] = doc
        return SchoolDocs(revision, {k: t for k, t in tables.items() if t})


EMPTY = SchoolDocs(0, {})


class _Reads:
    """The port's reads (``SchoolView``) over a table getter."""

    def _table(self, kind: str) -> dict[str, dict[str, Any]]:
        raise NotImplementedError

    def _out(self, doc: dict[str, Any]) -> dict[str, Any]:
        return dict(doc)

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        doc = self._table(kind).get(key)
        return self._out(doc) if doc is not None else None

    def all(self, kind: str) -> dict[str, dict[str, Any]]:
        return {key: self._out(doc) for key, doc in self._table(kind).items()}

    def find(self, kind: str, **equals: Any) -> dict[str, dict[str, Any]]:
        missing = object()
        items = equals.items()
        return {
            key: self._out(doc)
            for key, doc in self._table(kind).items()
            if all(doc.get(name, missing) == value for name, value in items)
        }

    def count(self, kind: str) -> int:
        return len(self._table(kind))

    def pluck(self, kind: str, name: str, **equals: Any) -> list[Any]:
        missing = object()
        items = equals.items()
        return [copy_json(doc.get(name)) for doc in self._table(kind).values() if all(doc.get(k, missing) == v for k, v in items)]


class SnapshotView(_Reads):
    """A read-only snapshot of one school (shallow copies of its documents: do not mutate them)."""

    def __init__(self, school: SchoolDocs) -> None:
        self._school = school

    def _table(self, kind: str) -> dict[str, dict[str, Any]]:
        return self._school.tables.get(kind) or {}


class SnapshotTx(_Reads):
    """Read-modify-write of one school over a snapshot: copy on write, every document read or
    written deep-copied. ``written`` is what to store at the commit ((kind, key) -> document, or
    None when deleted); ``binding`` the index entry to store, if it changes."""

    def __init__(self, base: SchoolDocs, school_id: str, entry: dict[str, str] | None) -> None:
        self._base = base
        self._tables: Tables = {}
        self._entry = entry
        self.written: dict[tuple[str, str], dict[str, Any] | None] = {}
        self.binding: dict[str, str] | None = None
        self.purging = False  # purge(): the adapter removes the rows' dead versions after the commit
        self.school_id = school_id
        self.changed = False
        self.read_revision = self.revision = base.revision

    def _table(self, kind: str) -> dict[str, dict[str, Any]]:
        table = self._tables.get(kind)
        return table if table is not None else (self._base.tables.get(kind) or {})

    def _writable(self, kind: str) -> dict[str, dict[str, Any]]:
        table = self._tables.get(kind)
        if table is None:
            table = self._tables[kind] = dict(self._base.tables.get(kind) or {})
        return table

    def _out(self, doc: dict[str, Any]) -> dict[str, Any]:
        return copy_json(doc)

    def put(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        body = copy_json(doc)
        self._writable(kind)[key] = body
        self.written[(kind, key)] = body
        self.changed = True

    def delete(self, kind: str, key: str) -> bool:
        if key not in self._table(kind):
            return False
        del self._writable(kind)[key]
        self.written[(kind, key)] = None
        self.changed = True
        return True

    def bind(self, *, name: str, team_id: str, channel_id: str | None) -> None:
        entry = {"school_id": self.school_id, "name": name, "team_id": team_id or "", "channel_id": channel_id}
        if entry != (self.binding or self._entry):
            self.binding = entry
            self.changed = True

    def purge(self) -> None:
        """After the commit, keep no earlier version of what was written (see the port)."""
        self.purging = True

    def committed(self, revision: int) -> SchoolDocs:
        """The school after this transaction, at ``revision``."""
        tables = {**self._base.tables, **self._tables}
        return SchoolDocs(revision, {k: t for k, t in tables.items() if t})


class SchoolCache:
    """Snapshots of the schools read last, at most ``max_documents`` documents in all (the least
    recently used schools are dropped first; one school bigger than that is still kept alone).
    Thread-safe; a snapshot replaces a cached one only when it is newer."""

    def __init__(self, max_documents: int) -> None:
        self.max_documents = max_documents
        self._schools: OrderedDict[str, SchoolDocs] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, school_id: str) -> SchoolDocs | None:
        with self._lock:
            school = self._schools.get(school_id)
            if school is not None:
                self._schools.move_to_end(school_id)
            return school

    def put(self, school_id: str, school: SchoolDocs) -> None:
        with self._lock:
            old = self._schools.get(school_id)
            if old is not None:
                if old.revision > school.revision:
                    return
                self._size -= old.size
            self._schools[school_id] = school
            self._schools.move_to_end(school_id)
            self._size += school.size
            while self._size > self.max_documents and len(self._schools) > 1:
                _, dropped = self._schools.popitem(last=False)
                self._size -= dropped.size

    def drop(self, school_id: str) -> None:
        with self._lock:
            old = self._schools.pop(school_id, None)
            if old is not None:
                self._size -= old.size

    def __len__(self) -> int:
        return len(self._schools)

    @property
    def documents(self) -> int:
        """How many documents the cached schools hold."""
        return self._size
