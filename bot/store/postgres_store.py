"""The PostgreSQL adapter of the store port: any number of processes on one database.

Tables and migrations: postgres_migrations.py. Connections come from a psycopg_pool
``ConnectionPool`` (autocommit connections; a transaction is an explicit ``BEGIN``/``COMMIT``).
The database does the guarding that locks do in one process:

- ``transaction(school_id)``: one database transaction that first locks the school's row
  (``SELECT ... FOR UPDATE``; the row is created on the school's first write), so the school's
  writers are serialized across every process; the documents written are stored at the commit
  with the school's revision one higher, all or nothing;
- ``UNIQUE (team_id, channel_id)`` on schools: one school per channel of a workspace
  (``ChannelTaken``), checked by the database when the binding is written;
- the primary key ``(school_id, kind, key)`` of documents: one note per ``"<channel>:<ts>"``, one
  ledger entry per nudge key, whichever process writes it;
- ``update_setting``: the setting's row locked (``FOR UPDATE``) while ``change`` runs;
- ``reserve_slot``: the pace of posts per Slack channel, one row per channel (``pacing``),
  moved forward atomically by whichever replica posts next, on the database's clock.

A database that stops answering while the bot runs (down, restarting, no free connection within
``POOL_TIMEOUT_S``) raises ``StoreUnavailable``: the handlers answer "try again in a moment", the
sweep stops and the next minute's sweep tries again; the pool reconnects by itself.

Reads: ``view(school_id)`` is one statement (a consistent snapshot that waits for no writer):
the school's revision and the documents written after the revision this process has cached,
applied to a copy of the cached snapshot. The cache (snapshots.py) holds at most
``cache_documents`` documents (least recently used schools dropped first), so memory does not
grow with the number of schools. Threads of one process take a lock per school before they take
a connection for a transaction, so writers queued on one school hold one connection, not the
pool; reads made inside a transaction use the transaction's connection.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
import weakref
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import psycopg
from psycopg.errors import UniqueViolation
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.store.postgres_due import PostgresDueIndex
from bot.store.port import ChannelTaken, SchoolNotFound, StoreError, StoreUnavailable
from bot.store.postgres_migrations import check_version, connect
from bot.store.snapshots import EMPTY, SchoolCache, SchoolDocs, SnapshotTx, SnapshotView

POOL_SIZE = 10  # connections per process at most (SCEP_DATABASE_POOL_SIZE)
CACHE_DOCUMENTS = 100_000  # documents of recently read schools kept in memory per process
POOL_TIMEOUT_S = 10.0  # seconds to wait for a free connection (or for the database to answer again)
HEALTH_TIMEOUT_S = 2.0  # /healthz waits no longer than this for a connection

_VIEW = (
    "SELECT s.revision, d.kind, d.key, d.doc FROM schools s "
    "LEFT JOIN documents d ON d.school_id = s.school_id AND d.rev > %s WHERE s.school_id = %s"
)
_VIEWS = (
    "SELECT s.school_id, s.revision, d.kind, d.key, d.doc FROM unnest(%s::text[], %s::bigint[]) AS q(id, since) "
    "JOIN schools s ON s.school_id = q.id LEFT JOIN documents d ON d.school_id = s.school_id AND d.rev > q.since"
)
_SINCE = "SELECT kind, key, doc FROM documents WHERE school_id = %s AND rev > %s"
_LOCK = "SELECT revision, name, team_id, channel_id FROM schools WHERE school_id = %s FOR UPDATE"
_UPSERT = (
    "INSERT INTO documents (school_id, kind, key, rev, doc) VALUES (%s, %s, %s, %s, %s::jsonb) "
    "ON CONFLICT (school_id, kind, key) DO UPDATE SET rev = EXCLUDED.rev, doc = EXCLUDED.doc"
)


_RESERVE = (
    "INSERT INTO pacing AS p (target, next_at) VALUES (%(t)s, clock_timestamp() + %(i)s * interval '1 second') "
    "ON CONFLICT (target) DO UPDATE SET next_at = greatest(p.next_at, clock_timestamp()) + %(i)s * interval '1 second' "
    "RETURNING extract(epoch FROM (p.next_at - clock_timestamp()))::float8 - %(i)s"
)


@contextmanager
def _unavailable_as_store_error() -> Iterator[None]:
    """psycopg's "the server does not answer" (and a pool with no connection to give) as
    ``StoreUnavailable``, naming SCEP_DATABASE_URL and never the password."""
    try:
        yield
    except PoolTimeout:
        raise StoreUnavailable("the database of SCEP_DATABASE_URL does not answer (no connection within "
                               f"{POOL_TIMEOUT_S:.0f}s): try again in a moment") from None
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split())[:200]
        raise StoreUnavailable(f"the database of SCEP_DATABASE_URL stopped answering ({reason}): try again in a moment") from None


def _dumps(doc: dict[str, Any]) -> str:
    """A document as JSON text (``TypeError``/``ValueError`` for what JSON cannot hold)."""
    return json.dumps(doc, ensure_ascii=False, allow_nan=False)


class PostgresStore(PostgresDueIndex):
    """The store on the PostgreSQL database at ``url`` (a libpq URL).

    Opening checks that the server answers and that the schema is at the version this code needs
    (``StoreError`` naming SCEP_DATABASE_URL and, for the version, ``scep-bot migrate``).
    """

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE, cache_documents: int = CACHE_DOCUMENTS) -> None:
        self.url = url
        with connect(url) as conn:
            check_version(conn)
        self._pool = ConnectionPool(url, min_size=1, max_size=max(1, pool_size), kwargs={"autocommit": True},
                                    timeout=POOL_TIMEOUT_S, name="scep-bot", open=True)
        self.cache = SchoolCache(cache_documents)
        self._local = threading.local()  # .conn: this thread's open transaction; .schools: their ids
        self._locks: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
        self._locks_guard = threading.Lock()

    def close(self) -> None:
        self._pool.close()

    # -- connections
    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        """This thread's transaction's connection when it has one open, else one from the pool."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        with _unavailable_as_store_error(), self._pool.connection() as conn:
            yield conn

    def _lock(self, school_id: str):
        with self._locks_guard:
            lock = self._locks.get(school_id)
            if lock is None:
                lock = threading.Lock()
                self._locks[school_id] = lock
            return lock

    # -- the index
    def school_ids(self, *, unlinked: bool = False) -> list[str]:
        column = "name" if unlinked else "channel_id"  # in the index / bound to a channel
        with self._connection() as conn:
            return [r[0] for r in conn.execute(f"SELECT school_id FROM schools WHERE {column} IS NOT NULL ORDER BY school_id")]

    def documents_of_kind(self, kind: str, school_ids: list[str] | None = None) -> list[tuple[str, str, dict[str, Any]]]:
        query = "SELECT d.school_id, d.key, d.doc FROM documents d JOIN schools s USING (school_id) WHERE d.kind = %s AND d.doc IS NOT NULL"
        with self._connection() as conn:
            if school_ids is None:
                return [tuple(r) for r in conn.execute(query + " AND s.channel_id IS NOT NULL ORDER BY 1, 2", (kind,))]
            return [tuple(r) for r in conn.execute(query + " AND d.school_id = ANY(%s) ORDER BY 1, 2", (kind, list(school_ids)))]

    def revisions(self) -> dict[str, int]:
        with self._connection() as conn:
            return {r[0]: int(r[1]) for r in conn.execute("SELECT school_id, revision FROM schools WHERE channel_id IS NOT NULL ORDER BY school_id")}

    def school_for_channel(self, team_id: str, channel_id: str) -> str | None:
        with self._connection() as conn:
            row = conn.execute("SELECT school_id FROM schools WHERE team_id = %s AND channel_id = %s", (team_id or "", channel_id)).fetchone()
        return row[0] if row else None

    def index_entry(self, school_id: str, *, unlinked: bool = False) -> dict[str, Any] | None:
        column = "name" if unlinked else "channel_id"
        with self._connection() as conn:
            row = conn.execute(f"SELECT name, team_id, channel_id FROM schools WHERE school_id = %s AND {column} IS NOT NULL",
                               (school_id,)).fetchone()
        return {"school_id": school_id, "name": row[0], "team_id": row[1], "channel_id": row[2]} if row else None

    def unlinked(self, team_id: str) -> list[dict[str, Any]]:
        with self._connection() as conn:
            rows = conn.execute("SELECT school_id, name FROM schools WHERE team_id = %s AND name IS NOT NULL AND channel_id IS NULL "
                                "ORDER BY lower(name)", (team_id or "",)).fetchall()
        return [{"school_id": sid, "name": name, "team_id": team_id or "", "channel_id": None} for sid, name in rows]

    def new_school_id(self) -> str:
        return "s" + uuid.uuid4().hex[:12]

    def bind(self, school_id: str, *, name: str, team_id: str, channel_id: str | None) -> None:
        with self.transaction(school_id) as tx:
            tx.bind(name=name, team_id=team_id, channel_id=channel_id)

    # -- schools
    @staticmethod
    def _check_id(school_id: str) -> None:
        if not school_id or not school_id.replace("-", "").isalnum():
            raise SchoolNotFound(f"'{school_id}' is not a school id")

    def view(self, school_id: str) -> SnapshotView:
        self._check_id(school_id)
        cached = self.cache.get(school_id)
        since = cached.revision if cached is not None else -1
        with self._connection() as conn:
            rows = conn.execute(_VIEW, (since, school_id)).fetchall()
        if not rows:
            return SnapshotView(EMPTY)
        revision = rows[0][0]
        if cached is not None and cached.revision == revision:
            return SnapshotView(cached)
        if cached is not None and revision < cached.revision:  # the database was replaced: read it whole
            with self._connection() as conn:
                return SnapshotView(self._catch_up(conn, school_id, revision, None))
        base = cached if cached is not None else EMPTY  # none cached: the rows are every document
        school = base.updated(revision, ((k, key, doc) for _, k, key, doc in rows if k is not None))
        self.cache.put(school_id, school)
        return SnapshotView(school)

    def views(self, school_ids: list[str]) -> dict[str, SnapshotView]:
        """``view`` of many schools in one statement (the sweep's first pass: one round trip
        per batch, not per school)."""
        for sid in school_ids:
            self._check_id(sid)
        cached = {sid: self.cache.get(sid) for sid in school_ids}
        since = [c.revision if c is not None else -1 for c in cached.values()]
        rows: dict[str, list] = {}
        with self._connection() as conn:
            for sid, revision, kind, key, doc in conn.execute(_VIEWS, (list(cached), since)):
                rows.setdefault(sid, []).append((revision, kind, key, doc))
        out: dict[str, SnapshotView] = {}
        for sid, have in cached.items():
            got = rows.get(sid)
            if not got:
                out[sid] = SnapshotView(EMPTY)
                continue
            revision = got[0][0]
            if have is not None and have.revision == revision:
                out[sid] = SnapshotView(have)
            elif have is not None and revision < have.revision:  # the database was replaced: view() reads it whole
                out[sid] = self.view(sid)
            else:
                school = (have or EMPTY).updated(revision, ((k, key, doc) for _, k, key, doc in got if k is not None))
                self.cache.put(sid, school)
                out[sid] = SnapshotView(school)
        return out

    def _catch_up(self, conn: psycopg.Connection, school_id: str, revision: int, cached: SchoolDocs | None) -> SchoolDocs:
        """The school at ``revision`` (what ``conn`` sees now), from ``cached`` and the rows
        written since, or read whole; cached."""
        base, since = (cached, cached.revision) if cached is not None and cached.revision <= revision else (EMPTY, -1)
        school = base.updated(revision, conn.execute(_SINCE, (school_id, since)).fetchall())
        self.cache.put(school_id, school)
        return school

    def revision(self, school_id: str) -> int:
        """The stored revision: one more with every committed transaction of the school."""
        self._check_id(school_id)
        with self._connection() as conn:
            row = conn.execute("SELECT revision FROM schools WHERE school_id = %s", (school_id,)).fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def transaction(self, school_id: str) -> Iterator[SnapshotTx]:
        self._check_id(school_id)
        open_here = getattr(self._local, "schools", None)
        if open_here is None:
            open_here = self._local.schools = set()
        if school_id in open_here:
            raise StoreError(f"a transaction of school {school_id} is already open in this thread")
        outer = getattr(self._local, "conn", None)
        tx: SnapshotTx | None = None
        with self._lock(school_id), _unavailable_as_store_error(), self._pool.connection() as conn:
            try:
                with conn.transaction():
                    row = conn.execute(_LOCK, (school_id,)).fetchone()
                    if row is None:  # the school's first write: its row, then its lock
                        conn.execute("INSERT INTO schools (school_id) VALUES (%s) ON CONFLICT DO NOTHING", (school_id,))
                        row = conn.execute(_LOCK, (school_id,)).fetchone()
                    read_revision = int(row[0])
                    cached = self.cache.get(school_id)
                    base = cached if cached is not None and cached.revision == read_revision else self._catch_up(conn, school_id, read_revision, cached)
                    entry = {"school_id": school_id, "name": row[1], "team_id": row[2], "channel_id": row[3]} if row[1] is not None else None
                    tx = SnapshotTx(base, school_id, entry)
                    self._local.conn = conn
                    open_here.add(school_id)
                    try:
                        yield tx
                    finally:
                        self._local.conn = outer
                        open_here.discard(school_id)
                    if tx.changed:
                        self._write(conn, tx, read_revision + 1)
            except UniqueViolation as exc:
                if exc.diag.constraint_name == "schools_one_per_channel" and tx is not None and tx.binding is not None:
                    raise ChannelTaken(f"channel {tx.binding['channel_id']} is already linked to another school") from None
                raise
        if tx.changed:
            tx.revision = read_revision + 1
            self.cache.put(school_id, tx.committed(tx.revision))
            if tx.purging:
                self._vacuum()

    def drop_school(self, school_id: str) -> bool:
        """Delete the school for good: its rows, then the dead row versions vacuumed."""
        self._check_id(school_id)
        with self._lock(school_id), _unavailable_as_store_error(), self._pool.connection() as conn:
            with conn.transaction():
                conn.execute("DELETE FROM documents WHERE school_id = %s", (school_id,))
                n = conn.execute("DELETE FROM schools WHERE school_id = %s", (school_id,)).rowcount
        self.cache.drop(school_id)
        with _unavailable_as_store_error(), self._pool.connection() as conn:
            conn.execute("VACUUM documents")
            conn.execute("VACUUM schools")
        return bool(n)

    def purge_settings(self) -> None:
        """The settings' dead row versions vacuumed (after a setting that named a person changed)."""
        with _unavailable_as_store_error(), self._pool.connection() as conn:
            conn.execute("VACUUM settings")

    def _vacuum(self) -> None:
        """Remove the dead row versions of documents now (a deletion or a mask leaves the old
        text in a dead version until autovacuum runs). A deleted document stays as a row whose
        ``doc`` is NULL (other processes' caches learn of the deletion from it): its key, never
        its text. VACUUM cannot run inside a transaction: it gets a connection of its own."""
        with self._pool.connection() as conn:
            conn.execute("VACUUM documents")

    @staticmethod
    def _write(conn: psycopg.Connection, tx: SnapshotTx, revision: int) -> None:
        """Store what ``tx`` wrote at ``revision`` (inside its database transaction), the school's
        next due instant unknown again (postgres_due.py). Every
        document is serialized before the first statement, so a value JSON cannot hold writes
        nothing."""
        rows = [(tx.school_id, kind, key, revision, None if doc is None else _dumps(doc)) for (kind, key), doc in tx.written.items()]
        b = tx.binding
        if b is None:
            conn.execute("UPDATE schools SET revision = %s, next_due = '-infinity' WHERE school_id = %s", (revision, tx.school_id))
        else:
            conn.execute("UPDATE schools SET revision = %s, next_due = '-infinity', name = %s, team_id = %s, channel_id = %s WHERE school_id = %s",
                         (revision, b["name"], b["team_id"], b["channel_id"], tx.school_id))
        if rows:
            with conn.cursor() as cur:
                cur.executemany(_UPSERT, rows)

    # -- settings
    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._connection() as conn:
            row = conn.execute("SELECT value FROM settings WHERE key = %s", (key,)).fetchone()
        return row[0] if row else copy.deepcopy(default)

    def set_setting(self, key: str, value: Any) -> None:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        with _unavailable_as_store_error(), self._pool.connection() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES (%s, %s::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                         (key, text))

    def update_setting(self, key: str, change: Callable[[Any], Any], default: Any = None) -> Any:
        with _unavailable_as_store_error(), self._pool.connection() as conn:
            while True:
                with conn.transaction():
                    row = conn.execute("SELECT value FROM settings WHERE key = %s FOR UPDATE", (key,)).fetchone()
                    before = row[0] if row else default
                    value = change(copy.deepcopy(before))
                    if row is not None and value == before:
                        return copy.deepcopy(value)
                    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
                    if row is not None:
                        conn.execute("UPDATE settings SET value = %s::jsonb WHERE key = %s", (text, key))
                        return copy.deepcopy(value)
                    done = conn.execute("INSERT INTO settings (key, value) VALUES (%s, %s::jsonb) ON CONFLICT (key) DO NOTHING", (key, text))
                    if done.rowcount == 1:
                        return copy.deepcopy(value)
                # another process created the setting meanwhile: apply ``change`` to its value

    # -- the whole data (bot/store/transfer.py: scep-bot migrate --from, export --all)
    def stored_school_ids(self) -> list[str]:
        """Every school with a row (bound or not, and the pseudo-school ``workspace``)."""
        with self._connection() as conn:
            return [r[0] for r in conn.execute("SELECT school_id FROM schools ORDER BY school_id")]

    def documents(self, school_id: str) -> dict[str, dict[str, dict[str, Any]]]:
        """Every document of the school (kind -> key -> document), read now, deleted ones left out."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        with self._connection() as conn:
            for kind, key, doc in conn.execute("SELECT kind, key, doc FROM documents WHERE school_id = %s AND doc IS NOT NULL", (school_id,)):
                out.setdefault(kind, {})[key] = doc
        return out

    def settings(self) -> dict[str, Any]:
        """Every workspace setting."""
        with self._connection() as conn:
            return {key: value for key, value in conn.execute("SELECT key, value FROM settings")}

    # -- pacing
    def reserve_slot(self, target: str, interval: float, now: float) -> float:
        """The next moment to post to ``target``, one row per target moved forward atomically
        (``pacing``), on the database's clock (``now`` is not used): replicas share the pace
        whatever their clocks."""
        with self._connection() as conn:
            wait = conn.execute(_RESERVE, {"t": target, "i": float(interval)}).fetchone()[0]
        return max(0.0, float(wait))

    # -- health
    def health(self) -> str | None:
        """None when a connection answers ``SELECT 1`` within ``HEALTH_TIMEOUT_S``."""
        try:
            with self._pool.connection(timeout=HEALTH_TIMEOUT_S) as conn:
                conn.execute("SELECT 1")
        except PoolTimeout:
            return f"the database of SCEP_DATABASE_URL does not answer (no connection within {HEALTH_TIMEOUT_S:.0f}s)"
        except psycopg.Error as exc:
            return f"the database of SCEP_DATABASE_URL does not answer: {' '.join(str(exc).split())[:200]}"
        return None

    def check_files(self) -> list[str]:
        """The database's health: it answers and its schema is at the version this code needs
        (empty: sound), one line per problem."""
        try:
            with self._connection() as conn:
                check_version(conn)
        except StoreError as exc:
            return [str(exc)]
        except (psycopg.Error, PoolTimeout) as exc:
            return [f"the database of SCEP_DATABASE_URL does not answer: {' '.join(str(exc).split())[:300]}"]
        return []
