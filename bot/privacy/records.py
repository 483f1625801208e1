"""What the store keeps, walked generically: every document kind, every school (and the
workspace's ledger), every workspace setting named in schema.py; and the privacy log, which
records deletions that reach beyond one school: who and when, never the data."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator

from bot.core.schools import iso
from bot.store import schema
from bot.store.port import Store

WORKSPACE = "workspace"  # the pseudo-school holding the workspace's ledger (schedules/sweep/ledger.py)


def kinds() -> list[str]:
    """Every document kind schema.py declares (a kind added there is exported and deleted too)."""
    names = [schema.PROFILE[0], schema.LEDGER]
    names += [v for k, v in vars(schema).items() if k.endswith("_KIND") and isinstance(v, str)]
    return list(dict.fromkeys(names))


def setting_names() -> list[str]:
    """Every workspace setting schema.py declares, and the seal's key."""
    names = [v for k, v in vars(schema).items() if k.endswith("_SETTING") and isinstance(v, str)]
    return list(dict.fromkeys(names))


def school_ids(store: Store, team_id: str | None = None, *, with_workspace: bool = True) -> list[str]:
    """The schools of workspace ``team_id`` (every school when None: one workspace), unlinked ones
    included, and the workspace ledger (its keys name the people the digests went to)."""
    ids = [sid for sid in store.school_ids(unlinked=True)
           if team_id is None or (store.index_entry(sid, unlinked=True) or {}).get("team_id") in (team_id, "", None)]
    return [*ids, *([WORKSPACE] if with_workspace else [])]


def documents(store: Store, school_id: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(kind, key, document) of every document of one school."""
    view = store.view(school_id)
    for kind in kinds():
        for key, doc in view.all(kind).items():
            yield kind, key, doc


def log_privacy(store: Store, who: str, now: datetime, what: str, **detail: Any) -> None:
    """Record a privacy action in the workspace's privacy log (ids and counts only)."""
    entry = {"at": iso(now), "who": who, "what": what, **detail}
    store.update_setting(schema.PRIVACY_LOG_SETTING, lambda log: [*(log or []), entry], [])
