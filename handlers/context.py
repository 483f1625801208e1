"""Who acted, where, and when: a ``Ctx`` from what Slack sent (and a cached ``users.info``)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from slack_sdk.errors import SlackApiError

from bot.core.context import Ctx

_USER_CACHE: dict[tuple[str, str], tuple[float, dict[str, Any] | None]] = {}  # (bot token, user id): a workspace's own answer
_USER_CACHE_LOCK = threading.Lock()
USER_CACHE_SECONDS = 300


def user_lookup(client) -> Callable[[str], dict[str, Any] | None]:
    """``users.info`` for a user id, cached for five minutes per workspace (an Enterprise Grid
    user keeps their id across workspaces, but not their admin rights); None when Slack doesn't
    know it (``user_not_found``); any other error is raised (not cached). Either way, for
    permissions, the person counts as a guest (``bot.core.permissions`` fails closed)."""
    workspace = getattr(client, "token", None) or ""

    def lookup(user_id: str) -> dict[str, Any] | None:
        now = time.monotonic()
        with _USER_CACHE_LOCK:
            hit = _USER_CACHE.get((workspace, user_id))
            if hit and now - hit[0] < USER_CACHE_SECONDS:
                return hit[1]
        try:
            user = client.users_info(user=user_id).get("user")
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "users_not_found"):
                user = None
            else:
                raise
        with _USER_CACHE_LOCK:
            _USER_CACHE[(workspace, user_id)] = (now, user)
        return user

    return lookup


def make_ctx(services, body: dict[str, Any], client, *, channel_id: str | None = None) -> Ctx:
    team = body.get("team_id") or (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    user = body.get("user_id") or (body.get("user") or {}).get("id") or ""
    channel = channel_id or body.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    return Ctx(
        store=services.store,
        library=services.library,
        now=services.clock(),
        team_id=team,
        channel_id=channel,
        user_id=user,
        trigger_id=body.get("trigger_id"),
        lookup_user=user_lookup(client),
        public_url=services.settings.public_url,
    )
