"""The PostgreSQL store's schema, as numbered migrations, and the check made when a store opens.

Every migration runs in one transaction of its own (PostgreSQL's DDL is transactional), under a
session-level advisory lock held for the whole run (one migrator at a time), together with the row that records it in ``schema_version``:
a database is at version n exactly when migrations 1..n are in it, never half of one. Two
``scep-bot migrate`` at once apply each migration once. A migration, once released, is never
edited: a change of schema is a new migration at the end of ``MIGRATIONS``.

Tables (version 1):

- ``schools``: one row per school id ever written (the row its transactions lock), with its
  ``revision`` (one more per committed transaction) and its index entry (``name``, ``team_id``,
  ``channel_id``; NULL until the school is bound). ``UNIQUE (team_id, channel_id)``: one school
  per channel of a workspace (``schools_one_per_channel``).
- ``documents``: one row per ``(school_id, kind, key)`` (the primary key: one note per
  ``"<channel>:<ts>"``, one ledger entry per nudge key), the document as ``jsonb``, and ``rev``,
  the school's revision that last wrote it. A deleted document stays as a tombstone (``doc`` NULL)
  so that a reader holding revision r catches up by reading the rows with ``rev > r``.
- ``settings``: one row per workspace setting, its value as ``jsonb``.

Version 2: ``pacing``: per Slack target (channel or user id) the next instant a post may go out,
shared by every replica (``PostgresStore.reserve_slot``: one ``INSERT ... ON CONFLICT DO
UPDATE`` on the database's own clock, so replicas' clocks need not agree).

Version 3: ``schools.next_due``: the school's next due instant (``'-infinity'``: unknown, the
default, written again by every change of the school), indexed per workspace and overall
(postgres_due.py): the sweep reads only the schools due now.

Version 4: a school may be in the index without a channel (*unlinked*: ``name`` and ``team_id``
set, ``channel_id`` NULL): its data kept, its channel free, nothing due (the due indexes cover
bound schools only).
"""

from __future__ import annotations

import psycopg
from psycopg.conninfo import conninfo_to_dict

from bot.store.port import StoreError

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "schools, documents, settings",
        """
        CREATE TABLE schools (
            school_id  text PRIMARY KEY,
            revision   bigint NOT NULL DEFAULT 0,
            name       text,
            team_id    text,
            channel_id text,
            CONSTRAINT schools_one_per_channel UNIQUE (team_id, channel_id),
            CONSTRAINT schools_entry_whole CHECK ((name IS NULL) = (channel_id IS NULL) AND (team_id IS NULL) = (channel_id IS NULL))
        );
        CREATE TABLE documents (
            school_id text NOT NULL REFERENCES schools (school_id),
            kind      text NOT NULL,
            key       text NOT NULL,
            rev       bigint NOT NULL,
            doc       jsonb,
            PRIMARY KEY (school_id, kind, key)
        );
        CREATE INDEX documents_by_revision ON documents (school_id, rev);
        CREATE TABLE settings (
            key   text PRIMARY KEY,
            value jsonb NOT NULL
        );
        """,
    ),
    (
        2,
        "pacing: the next moment a post may go to each Slack channel, across replicas",
        """
        CREATE TABLE pacing (
            target  text PRIMARY KEY,
            next_at timestamptz NOT NULL
        );
        """,
    ),
    (
        3,
        "schools.next_due: the next instant anything of the school can fall due, indexed (the sweep reads only what is due)",
        """
        ALTER TABLE schools ADD COLUMN next_due timestamptz NOT NULL DEFAULT '-infinity';
        CREATE INDEX schools_next_due ON schools (team_id, next_due) WHERE channel_id IS NOT NULL;
        CREATE INDEX schools_next_due_all ON schools (next_due) WHERE channel_id IS NOT NULL;
        """,
    ),
    (
        4,
        "unlinked schools: in the index (name, workspace) with no channel",
        """
        ALTER TABLE schools DROP CONSTRAINT schools_entry_whole;
        ALTER TABLE schools ADD CONSTRAINT schools_entry_whole
            CHECK ((name IS NULL) = (team_id IS NULL) AND (channel_id IS NULL OR name IS NOT NULL));
        """,
    ),
]

LATEST = MIGRATIONS[-1][0]
MIGRATE_LOCK = 0x5CE9B07  # pg_advisory_xact_lock key: one migrator at a time


def schema_version(conn: psycopg.Connection) -> int:
    """The database's schema version (0: no scep-bot schema yet)."""
    exists = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()[0]
    if not exists:
        return 0
    return int(conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])


def migrate(url: str) -> tuple[int, list[int]]:
    """Bring the database at ``url`` to ``LATEST``: each pending migration in a transaction of its
    own. Returns (the version now, the versions applied by this call). ``StoreError`` when the
    database cannot be reached or is newer than this scep-bot."""
    applied: list[int] = []
    with connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK,))  # one migrator at a time, start to end
        try:
            return _migrate(conn, applied)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK,))


def _migrate(conn: psycopg.Connection, applied: list[int]) -> tuple[int, list[int]]:
    """Each pending migration in a transaction of its own (the caller holds the migrators' lock)."""
    for version, description, statements in MIGRATIONS:
        with conn.transaction():
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
                "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            current = schema_version(conn)
            if current > LATEST:
                raise StoreError(f"the database at SCEP_DATABASE_URL is at schema version {current}, newer than this "
                                 f"scep-bot knows ({LATEST}): upgrade scep-bot")
            if current >= version:
                continue
            conn.execute(statements)
            conn.execute("INSERT INTO schema_version (version, description) VALUES (%s, %s)", (version, description))
            applied.append(version)
    return schema_version(conn), applied


def check_version(conn: psycopg.Connection) -> None:
    """``StoreError`` naming the version found and ``scep-bot migrate`` unless the database is at
    ``LATEST``."""
    found = schema_version(conn)
    if found == LATEST:
        return
    if found > LATEST:
        raise StoreError(f"the database at SCEP_DATABASE_URL is at schema version {found}, newer than this scep-bot "
                         f"knows ({LATEST}): upgrade scep-bot")
    what = "has no scep-bot schema (version 0)" if found == 0 else f"is at schema version {found}"
    raise StoreError(f"the database at SCEP_DATABASE_URL {what}; this scep-bot needs version {LATEST}: "
                     "run `scep-bot migrate` (with the same SCEP_DATABASE_URL)")


def describe(url: str) -> str:
    """``host/dbname`` of a database URL, for messages: never the password."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.Error:
        return "(malformed URL)"
    return f"{info.get('host') or 'localhost'}/{info.get('dbname') or info.get('user') or ''}"


def connect(url: str, **kwargs) -> psycopg.Connection:
    """A connection to ``url``; ``StoreError`` naming SCEP_DATABASE_URL (not the password) when
    the server cannot be reached or refuses."""
    try:
        return psycopg.connect(url, connect_timeout=5, **kwargs)
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split())[:300]
        raise StoreError(f"cannot connect to the database of SCEP_DATABASE_URL ({describe(url)}): {reason}") from None
