"""Who acted, where, and when: a ``Ctx`` from what Slack sent (and a cached ``users.info``)."""

from __future__ import annotations

import threading
import time
import urllib.parse
import urllib.request
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


FILE_TIMEOUT = 10.0  # seconds
FILE_MAX_BYTES = 2_000_001  # the most read of a shared file (a calendar over 2 MB is refused)


def slack_file_reader(client) -> Callable[[str], tuple[str, bytes]]:
    """Read a file shared in Slack by its id: ``files.info``, then its ``url_private`` with the bot
    token. The token is sent only to Slack's own hosts (``*.slack.com``, https) or to the host of
    the Web API the client talks to (the local emulator). Any failure is a ValueError in words."""

    def read(file_id: str) -> tuple[str, bytes]:
        try:
            info = client.files_info(file=file_id).get("file") or {}
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in ("file_not_found", "file_deleted"):
                raise ValueError("Slack says there is no such file (deleted, or not shared where I can see it)") from None
            raise ValueError(f"Slack answered {error}") from None
        url = info.get("url_private_download") or info.get("url_private") or ""
        name = str(info.get("name") or info.get("title") or file_id)[:100]
        parts = urllib.parse.urlsplit(url)
        api = urllib.parse.urlsplit(getattr(client, "base_url", "") or "")
        slack = parts.scheme == "https" and (parts.hostname or "").endswith(".slack.com")
        if not (slack or (parts.hostname and parts.hostname == api.hostname and parts.port == api.port)):
            raise ValueError(f"{name} has no download address at Slack")
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}", "User-Agent": "scep-bot"})
        try:
            with urllib.request.urlopen(request, timeout=FILE_TIMEOUT) as resp:  # noqa: S310 (host checked above)
                data = resp.read(FILE_MAX_BYTES)
                kind = resp.headers.get("Content-Type", "")
        except Exception as exc:  # noqa: BLE001 - said in words
            reason = getattr(exc, "reason", None) or getattr(exc, "code", None) or exc.__class__.__name__
            raise ValueError(f"could not download {name}: {reason}") from None
        if "text/html" in kind and data.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")):
            raise ValueError(f"Slack gave a web page instead of {name} (the app needs the files:read scope)")
        return name, data

    return read


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
        read_file=slack_file_reader(client),
    )
