"""The PostgreSQL store's due index (the port's "due index", see port.py): per school the next
instant anything can fall due, in ``schools.next_due`` (migration 3, indexed by workspace and
instant), so a sweep reads only the schools due now: one index range scan, whatever the number
of schools.

``'-infinity'`` means "unknown": every committed change of a school writes it, in the same
database transaction as the change (postgres_store.py ``_write``), so no instant outlives the
data it was computed from. The sweep computes the instant with the domain's providers and stores
it with ``record_due``, only where the school's revision is still the one it read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

_DUE = ("SELECT school_id, team_id, revision FROM schools WHERE channel_id IS NOT NULL AND next_due <= %s")
_DUE_TEAM = _DUE + " AND team_id = %s"
_RECORD = "UPDATE schools SET next_due = %s WHERE school_id = %s AND revision = %s"


class PostgresDueIndex:
    """Mixed into ``PostgresStore`` (uses its ``_connection``)."""

    def _connection(self) -> Any:  # provided by PostgresStore
        raise NotImplementedError

    def due_schools(self, now: datetime, team: str | None = None) -> dict[str, tuple[str, int]]:
        """school id -> (team id, revision) of every bound school (of ``team``, if given) whose next
        due instant is ``now`` or earlier, or unknown."""
        with self._connection() as conn:
            rows = conn.execute(_DUE, (now,)) if team is None else conn.execute(_DUE_TEAM, (now, team))
            return {sid: (t or "", int(rev)) for sid, t, rev in rows}

    def record_due(self, entries: Iterable[tuple[str, int, datetime]]) -> None:
        """Store (school id, the revision it was computed from, its next due instant) where the
        school is still at that revision (a change since leaves it unknown)."""
        rows = [(at, sid, rev) for sid, rev, at in entries]
        if not rows:
            return
        with self._connection() as conn, conn.cursor() as cur:
            cur.executemany(_RECORD, rows)

    def forget_due(self) -> None:
        """Every school's next due instant unknown (what the providers read changed)."""
        with self._connection() as conn:
            conn.execute("UPDATE schools SET next_due = '-infinity' WHERE next_due <> '-infinity'")

    def teams(self) -> dict[str, int]:
        """team id -> how many bound schools it has."""
        with self._connection() as conn:
            return {t or "": int(n) for t, n in conn.execute("SELECT team_id, count(*) FROM schools WHERE channel_id IS NOT NULL GROUP BY team_id")}

    def team_school_ids(self, team: str) -> list[str]:
        """Every bound school of the workspace ``team``."""
        with self._connection() as conn:
            return [r[0] for r in conn.execute("SELECT school_id FROM schools WHERE channel_id IS NOT NULL AND team_id = %s ORDER BY school_id", (team,))]
