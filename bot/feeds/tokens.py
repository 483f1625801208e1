"""Calendar feed tokens: long random secrets (256 bits, URL-safe), stored only as their SHA-256.

A token opens one feed: ``scope`` ``school`` (one school) or ``all`` (every school where the
person is liaison or district admin, worked out afresh at every fetch). The stored record says
whose it is; what it may read is checked again at every fetch (``bot.feeds.access``), so a token
stops working when its holder loses the role. Records live in the workspace setting
``FEEDS_SETTING``: {sha256 hex: {user, team, scope, school_id, channel_id, created_at}}.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Any

from bot.core.schools import iso
from bot.store.schema import FEEDS_SETTING

TOKEN_BYTES = 32  # 256 bits of randomness; 43 URL-safe characters
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(store, *, user: str, team: str, scope: str, school_id: str | None, channel_id: str | None, now: datetime) -> str:
    """A new token for this person and scope; their older token of the same scope (and school)
    stops working. Returns the token (shown once: only its hash is kept)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    record = {"user": user, "team": team, "scope": scope, "school_id": school_id, "channel_id": channel_id, "created_at": iso(now)}

    def change(current: dict[str, Any]) -> dict[str, Any]:
        kept = {h: r for h, r in (current or {}).items() if not _same_feed(r, record)}
        kept[digest(token)] = record
        return kept

    store.update_setting(FEEDS_SETTING, change, {})
    return token


def revoke(store, *, user: str, team: str) -> int:
    """Stop every feed token of this person in this workspace; how many there were."""
    gone = [0]

    def change(current: dict[str, Any]) -> dict[str, Any]:
        kept = {h: r for h, r in (current or {}).items() if not (r.get("user") == user and r.get("team") == team)}
        gone[0] = len(current or {}) - len(kept)
        return kept

    store.update_setting(FEEDS_SETTING, change, {})
    return gone[0]


def held(store, *, user: str, team: str) -> list[dict[str, Any]]:
    """The records of this person's feed tokens (no tokens: those are not kept)."""
    return [r for r in (store.get_setting(FEEDS_SETTING, {}) or {}).values() if r.get("user") == user and r.get("team") == team]


def find(store, token: str) -> dict[str, Any] | None:
    """The record a token opens, or None (malformed, truncated, unknown or revoked)."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return None
    # looked up by the token's hash: timing reveals at most a hash prefix, not the token
    return (store.get_setting(FEEDS_SETTING, {}) or {}).get(digest(token))


def _same_feed(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a.get("user"), a.get("team"), a.get("scope"), a.get("school_id")) == (b.get("user"), b.get("team"), b.get("scope"), b.get("school_id"))
