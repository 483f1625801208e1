"""One school's documents in memory, as the TinyDB adapter keeps them: snapshots and copy on write.

Files keep TinyDB's layout (``{kind: {doc id: {..., "_key": key}}}``: ``TinyDB(path)`` opens
them), but reads and writes go through this small keyed layer, not TinyDB's query engine: a key
index makes ``get`` a dict look-up, a transaction copies only the tables it writes (copy on
write) instead of the whole school, and a commit re-serializes only the documents it wrote.

The school's revision is stored in the file too, as the document ``META`` (table ``_meta``):
``{"revision": n}``, n growing by one with every committed transaction.
"""

from __future__ import annotations

import json
from typing import Any

from bot.store.json_values import copy_json
from bot.store.port import StoreError

META = ("_meta", "school")  # (kind, key) of the adapter's own document: {"revision": int}


def _strip(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "_key"}


def _strip_copy(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: copy_json(v) for k, v in doc.items() if k != "_key"}


def _dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


class SchoolData:
    """One school's committed data, never mutated once committed (views share it safely).

    ``tables`` is the file's TinyDB layout (kind -> doc id -> document with its ``_key``);
    ``keys`` indexes it (kind -> key -> doc id) so ``get`` is a dict look-up, not a scan;
    ``next_ids`` is TinyDB's next document id per table; ``doc_json`` caches each document's
    serialized text (kind -> doc id -> JSON), so a commit serializes only the documents the
    transaction wrote and joins the rest; ``revision`` is the stored revision (0: none yet).
    """

    __slots__ = ("tables", "keys", "next_ids", "doc_json", "revision")

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
        meta_id = (keys.get(META[0]) or {}).get(META[1])
        self.revision = int(tables[META[0]][meta_id].get("revision") or 0) if meta_id is not None else 0

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


class _Docs:
    """Keyed documents of one school: table = kind, field ``_key`` = key."""

    _school: SchoolData

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
            copy_json(d.get(name))
            for d in self._table(kind).values()
            if all(d.get(k, missing) == v for k, v in items)
        ]


class TinySchoolView(_Docs):
    """A read-only snapshot of one school's documents (shallow copies: do not mutate them)."""

    def __init__(self, school: SchoolData) -> None:
        self._school = school


class TinySchoolTx(_Docs):
    """Read-modify-write access to one school inside a transaction.

    Copy on write: a table is copied (shallowly: doc id -> document) the first time the
    transaction writes it, and every document read or written is deep-copied, so nothing the
    caller does to a document reaches the committed data before the commit. ``bind`` only
    records the index entry; the store checks and writes it at the commit.
    """

    def __init__(self, base: SchoolData, school_id: str, entry: dict[str, Any] | None = None) -> None:
        self._school = base
        self._tables: dict[str, dict[str, dict[str, Any]]] = {}
        self._keys: dict[str, dict[str, str]] = {}
        self._next: dict[str, int] = {}
        self._written: dict[str, set[str]] = {}
        self._entry = entry  # the school's index entry when the transaction began
        self.binding: dict[str, str] | None = None  # the index entry to commit, if it changes
        self.purging = False  # purge(): the store drops the school file's earlier copies at the commit
        self.school_id = school_id
        self.changed = False
        self.read_revision = self.revision = base.revision

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
        body = {k: copy_json(v) for k, v in doc.items() if k != "_key"}
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

    def bind(self, *, name: str, team_id: str, channel_id: str | None) -> None:
        entry = {"school_id": self.school_id, "name": name, "team_id": team_id or "", "channel_id": channel_id}
        if entry != (self.binding or self._entry):
            self.binding = entry
            self.changed = True

    def purge(self) -> None:
        """At the commit, keep no earlier copy of the school's file (see the port)."""
        self.purging = True

    def committed(self) -> SchoolData:
        """The school after this transaction, at the next revision; serializes the documents
        written (a non-JSON value raises here, before anything is replaced)."""
        self.put(*META, {"revision": self.read_revision + 1})
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
        return SchoolData({**base.tables, **self._tables}, {**base.keys, **self._keys}, {**base.next_ids, **self._next}, doc_json)
