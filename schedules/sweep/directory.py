"""The user directory: who is in the workspace, from ``users.list`` (paged, cached for
``DIRECTORY_TTL`` seconds) and ``users.info`` for anyone not listed. The sweep asks it whether
someone it mentions or DMs has left, and a liaison's time zone (the weekly digest).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from schedules.sweep.delivery import slack_error

log = logging.getLogger("scep-bot.sweep")

DIRECTORY_TTL = 3600.0
LIST_RETRY = 60.0  # after users.list fails, ask again no sooner than this


class Directory:
    """Who is in the workspace: ``users.list`` (paged) at most once an hour, ``users.info`` for
    anyone not listed. Answers ``{"id", "name", "tz", "deleted"}`` or None."""

    def __init__(self, ttl: float = DIRECTORY_TTL) -> None:
        self.ttl = ttl
        self.users: dict[str, dict[str, Any] | None] = {}
        self.loaded_at: float | None = None
        self.failed_at: float | None = None
        self.lock = threading.Lock()

    def _load(self, client) -> None:
        users: dict[str, dict[str, Any] | None] = {}
        cursor = None
        for _ in range(200):
            res = client.users_list(limit=200, cursor=cursor) if cursor else client.users_list(limit=200)
            for m in res.get("members") or []:
                users[m["id"]] = _person(m)
            cursor = (res.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        self.users = users
        self.loaded_at = time.monotonic()

    def get(self, client, user_id: str) -> dict[str, Any] | None:
        with self.lock:
            now = time.monotonic()
            fresh = self.loaded_at is not None and now - self.loaded_at < self.ttl
            if not fresh and (self.failed_at is None or now - self.failed_at >= LIST_RETRY):
                try:
                    self._load(client)
                    self.failed_at = None
                except Exception as exc:  # noqa: BLE001 - without the list nobody is known to have left
                    log.warning("users.list failed (%s): mentions are kept as they are for now", exc)
                    self.failed_at = now
                    return None
            if self.loaded_at is None:
                return None
            if user_id in self.users:
                return self.users[user_id]
        try:  # not in the list (another workspace of an org?): ask about this one
            res = client.users_info(user=user_id)
            person = _person(res.get("user") or {})
        except Exception as exc:  # noqa: BLE001
            err = slack_error(exc)[0]
            if err not in ("user_not_found", "users_not_found"):
                return None  # unknown for now: do not remember a passing failure
            person = {"id": user_id, "name": user_id, "tz": None, "deleted": True}
        with self.lock:
            self.users[user_id] = person
        return person


def _person(m: dict[str, Any]) -> dict[str, Any]:
    profile = m.get("profile") or {}
    name = profile.get("display_name") or m.get("real_name") or m.get("name") or m.get("id", "")
    return {"id": m.get("id"), "name": name, "tz": m.get("tz"), "deleted": bool(m.get("deleted"))}
