"""The store port: what the rest of the bot may ask of storage, whatever the backend.

Documents are JSON objects addressed by ``(kind, key)`` inside one school (schema.py lists every
kind the bot stores); a small index says which schools exist and which channel each is bound to;
workspace settings are JSON values by name. Every backend (the TinyDB adapter today) passes the
contract suite in tests/test_store_contract.py (and tests/test_deletion.py):

- ``store.view(school_id)``: a read-only snapshot of one school, never blocking on writers;
- ``with store.transaction(school_id) as tx:``: read-modify-write of one school, atomic: the
  block's writes (documents and the school's channel binding) are committed together when it
  ends without an exception, and not at all otherwise; concurrent transactions on one school
  never lose an update;
- the revision of a school grows with every committed write (readers key caches on it);
- a channel of a workspace is bound to one school at most (``ChannelTaken`` otherwise);
- ``store.update_setting(key, fn)``: a setting changed atomically (no lost update);
- ``tx.purge()``: what the transaction deleted survives in no copy the store keeps.
- ``store.reserve_slot(target, interval, now)``: the pace of posts to one Slack channel, shared by
  every process on the store (one reservation per ``interval`` seconds per target);
- ``store.health()``: None while the store can serve, else why not (one line).
- the due index: per bound school the next instant anything of it can fall due, "unknown" again
  after every committed change of the school (in the same transaction); ``due_schools(now)``
  lists the schools due or unknown (PostgreSQL: one indexed query), ``record_due`` stores what
  the sweep computed, only where the school is still at the revision it was computed from.

Documents handed out are copies or read-only: a caller never changes stored data by mutating one.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Callable, Protocol


class StoreError(RuntimeError):
    """The data cannot be used; the message says which file (or table) and what to do."""


class StoreLocked(StoreError):
    """The data is held by another running scep-bot."""


class StoreFull(StoreError):
    """The disk (or quota) is full: nothing was written; writing resumes once space is freed."""


class StoreUnavailable(StoreError):
    """The database does not answer right now (down, restarting, out of connections): nothing
    was changed; the same request may work in a moment."""


class SchoolNotFound(StoreError):
    """Not a school id the store can hold."""


class ChannelTaken(StoreError):
    """The channel is already bound to another school of the same workspace."""


class SchoolView(Protocol):
    """Read access to one school's documents (a snapshot: do not mutate what it returns)."""

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        """The document ``key`` of ``kind``, or None."""
        ...

    def all(self, kind: str) -> dict[str, dict[str, Any]]:
        """Every document of ``kind``, by key."""
        ...

    def find(self, kind: str, **equals: Any) -> dict[str, dict[str, Any]]:
        """Documents of ``kind`` whose fields equal the given values, by key."""
        ...

    def count(self, kind: str) -> int:
        """How many documents of ``kind`` there are."""
        ...

    def pluck(self, kind: str, name: str, **equals: Any) -> list[Any]:
        """Field ``name`` (None when absent) of every document of ``kind`` whose fields equal
        ``equals``: a tally without copying whole documents."""
        ...


class SchoolTx(SchoolView, Protocol):
    """Read-modify-write access to one school inside ``Store.transaction`` (reads see the
    transaction's own writes; documents read are copies the caller may change)."""

    school_id: str
    changed: bool  # the transaction wrote something (it is committed when the block ends)
    read_revision: int  # the school's revision when the transaction began
    revision: int  # after the block: the revision committed (read_revision if nothing changed)

    def put(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        """Insert or replace the document ``key`` of ``kind`` (a copy of ``doc`` is stored)."""
        ...

    def delete(self, kind: str, key: str) -> bool:
        """Remove the document; False when there was none."""
        ...

    def bind(self, *, name: str, team_id: str, channel_id: str | None) -> None:
        """Record the school in the index, bound to one channel of one workspace, committed with
        the transaction's documents. ``ChannelTaken`` (raised when the block ends, before
        anything is written) when another school holds that channel. ``channel_id`` None: the
        school stays in the index, *unlinked* (its data kept, reached by retention, exports and
        deletion; nothing posted for it; its channel free); binding a channel again relinks it."""
        ...

    def purge(self) -> None:
        """Make this transaction's deletions hold everywhere the store keeps data: once it
        commits, no earlier version of the school's documents is kept where the store or its
        tools (``scep-bot doctor``) could bring it back. TinyDB: the rotating copies of the
        school's file are overwritten with zeros and removed; PostgreSQL: the documents' dead
        row versions are vacuumed at once. Call it in every transaction that deletes or masks
        what people typed (redact, forget, a message deleted in Slack)."""
        ...


class Store(Protocol):
    """What the rest of the bot may ask of a store (see the module docstring)."""

    def school_ids(self, *, unlinked: bool = False) -> list[str]:
        """Every school bound to a channel; ``unlinked``: the unlinked schools too."""
        ...

    def revisions(self) -> dict[str, int]:
        """Every school in the index with its revision, in one read (what the sweep asks every
        minute: one query on a database, not one per school)."""
        ...

    def documents_of_kind(self, kind: str, school_ids: list[str] | None = None) -> list[tuple[str, str, dict[str, Any]]]:
        """(school id, key, document) of every ``kind`` document of the schools bound to a channel
        (or of ``school_ids``), without reading the schools whole: on a database one query, not one per
        school (the start-up notes backfill asks it for every open prompt)."""
        ...

    def school_for_channel(self, team_id: str, channel_id: str) -> str | None:
        """The school bound to the channel of the workspace, or None."""
        ...

    def index_entry(self, school_id: str, *, unlinked: bool = False) -> dict[str, Any] | None:
        """``{"school_id", "name", "team_id", "channel_id"}`` of a school bound to a channel, or
        None; ``unlinked``: of an unlinked school too (its ``channel_id`` None)."""
        ...

    def unlinked(self, team_id: str) -> list[dict[str, Any]]:
        """The index entries of workspace ``team_id``'s unlinked schools, by name."""
        ...

    def new_school_id(self) -> str:
        """A fresh school id (letters and digits)."""
        ...

    def bind(self, school_id: str, *, name: str, team_id: str, channel_id: str | None) -> None:
        """``SchoolTx.bind`` in a transaction of its own."""
        ...

    def view(self, school_id: str) -> SchoolView:
        """A snapshot of the school (empty when it has no data yet)."""
        ...

    def views(self, school_ids: list[str]) -> dict[str, SchoolView]:
        """``view`` of each school, in one read where the backend can (a database: one query)."""
        ...

    def transaction(self, school_id: str) -> AbstractContextManager[SchoolTx]:
        """Read-modify-write of one school, atomic, serialized with the school's other writers."""
        ...

    def revision(self, school_id: str) -> int:
        """A number that grows with every committed write to the school (0: never written)."""
        ...

    def get_setting(self, key: str, default: Any = None) -> Any:
        """A copy of the workspace setting ``key``, or ``default``."""
        ...

    def set_setting(self, key: str, value: Any) -> None:
        """Replace the workspace setting ``key``."""
        ...

    def update_setting(self, key: str, change: Callable[[Any], Any], default: Any = None) -> Any:
        """Replace the setting ``key`` by ``change(current)`` (``current``: a copy of its value, or
        ``default``), atomically: concurrent updates all apply, none is lost. Writes only when
        the value changes. Returns the new value. ``change`` runs under the store's lock: it must
        be quick and must not use the store."""
        ...

    def drop_school(self, school_id: str) -> bool:
        """Delete the school for good: every document, its index entry and channel binding, and
        every copy the store keeps of them (TinyDB: the file and the rotating copies of it and of
        the index, shredded; PostgreSQL: the rows, then vacuumed). False when there was none."""
        ...

    def purge_settings(self) -> None:
        """Keep no earlier version of the workspace settings (after one that named a person
        changed): TinyDB shreds the index's rotating copies; PostgreSQL vacuums the table."""
        ...

    def reserve_slot(self, target: str, interval: float, now: float) -> float:
        """Reserve the next moment to post to ``target`` (a channel or user id): at least
        ``interval`` seconds after the moment reserved before it, by any process on this store.
        ``now``: the caller's monotonic clock in seconds (a backend shared by several processes
        uses its own clock instead). Returns the seconds to wait from now (0: post at once)."""
        ...

    def due_schools(self, now: Any, team: str | None = None) -> dict[str, tuple[str, int]]:
        """school id -> (team id, revision) of every bound school (of workspace ``team``, if given)
        whose next due instant is ``now`` (a UTC datetime) or earlier, or unknown."""
        ...

    def record_due(self, entries: Any) -> None:
        """Store ``(school id, revision, next due instant)`` for each school still at that revision."""
        ...

    def forget_due(self) -> None:
        """Every school's next due instant unknown again (what it was computed from changed)."""
        ...

    def teams(self) -> dict[str, int]:
        """team id -> the number of bound schools of that workspace."""
        ...

    def team_school_ids(self, team: str) -> list[str]:
        """Every bound school of workspace ``team``."""
        ...

    def health(self) -> str | None:
        """None when the store answers now, else why not (one line, no credentials); quick
        (a few seconds at most)."""
        ...

    def check_files(self) -> list[str]:
        """Check the stored data; what is damaged, one line each (empty: all sound)."""
        ...

    def close(self) -> None:
        """Release the store (its lock, its connections)."""
        ...
