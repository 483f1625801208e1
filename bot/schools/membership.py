"""Whose schools: the schools of a workspace and the roles a person holds in each.

Finding a person's schools scans the profiles once per change (a cache keyed by the store's
revision counter), so App Home, ``/scep schools`` and the note shortcut stay cheap with
thousands of schools.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from bot.core.permissions import ROLE_NAMES
from bot.store.schema import PROFILE

_CACHE: "weakref.WeakKeyDictionary[Any, dict[str, tuple[int, str, str, dict[str, list[str]]]]]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _profiles(store) -> dict[str, tuple[int, str, str, dict[str, list[str]]]]:
    """school id -> (revision, name, team, {user: [roles]}), refreshed for changed schools only.

    Returns a snapshot (listeners run on a thread pool; the cache is changed under a lock)."""
    with _LOCK:
        cache = _CACHE.setdefault(store, {})
        revisions = store.revisions()  # one read (one query on a database), not one per school
        ids = list(revisions)
        for sid in ids:
            rev = revisions[sid]
            hit = cache.get(sid)
            if hit is not None and hit[0] == rev:
                continue
            doc = store.view(sid).get(*PROFILE) or {}
            people: dict[str, list[str]] = {}
            for role in ROLE_NAMES:
                for uid in (doc.get("roles") or {}).get(role) or []:
                    people.setdefault(uid, []).append(role)
            cache[sid] = (rev, doc.get("name", ""), doc.get("team_id", ""), people)
        if len(cache) > len(ids):
            for sid in set(cache) - set(ids):
                cache.pop(sid, None)
        return dict(cache)


def schools_of(store, user_id: str, team_id: str) -> list[tuple[str, list[str]]]:
    """(school id, the person's roles) for every school of the workspace where they have one, by name."""
    out = []
    for sid, (_, name, team, people) in _profiles(store).items():
        if (team or "") == (team_id or "") and user_id in people:
            out.append((name.lower(), sid, people[user_id]))
    out.sort()
    return [(sid, roles) for _, sid, roles in out]


def all_schools(store, team_id: str) -> list[str]:
    """The ids of every school of the workspace, by name."""
    rows = [(name.lower(), sid) for sid, (_, name, team, _p) in _profiles(store).items() if (team or "") == (team_id or "")]
    rows.sort()
    return [sid for _, sid in rows]


def by_workspace(store) -> dict[str, list[str]]:
    """Every bound school's id, by workspace (team id)."""
    out: dict[str, list[str]] = {}
    for sid, (_, _name, team, _p) in _profiles(store).items():
        if team:
            out.setdefault(team, []).append(sid)
    return out
