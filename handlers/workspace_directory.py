"""The workspace's members and channels from the Web API (users.list, conversations.list), to
resolve the names a roster CSV gives (bot/onboarding/roster.py ``Directory``)."""

from __future__ import annotations

import re
from typing import Any

from bot.onboarding.roster import AmbiguousName

PAGE = 200  # users.list / conversations.list page size (Slack's recommendation)


class SlackDirectory:
    """Members and channels read once (every page) from ``client``, a slack_sdk WebClient."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._users: list[dict[str, Any]] | None = None
        self._channels: list[dict[str, Any]] | None = None

    def _all(self, method: str, key: str, **args: Any) -> list[dict[str, Any]]:
        out, cursor = [], None
        while True:
            call = getattr(self._client, method.replace(".", "_"))  # users_list, conversations_list
            resp = call(**args, limit=PAGE, **({"cursor": cursor} if cursor else {}))
            out += resp.get(key) or []
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return out

    def user(self, text: str) -> str | None:
        if self._users is None:
            self._users = [u for u in self._all("users.list", "members") if not u.get("deleted") and not u.get("is_bot")]
        m = re.fullmatch(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>", text)
        wanted = (m.group(1) if m else text).lstrip("@").strip().lower()
        by_id = [u for u in self._users if u["id"].lower() == wanted]
        if by_id:
            return by_id[0]["id"]
        found = [u for u in self._users if wanted in _user_names(u)]
        if len(found) > 1:
            raise AmbiguousName(f"'{text[:80]}' is the name of {len(found)} members ({', '.join(u['id'] for u in found[:5])}): give the user id")
        return found[0]["id"] if found else None

    def channel(self, text: str) -> str | None:
        if self._channels is None:
            self._channels = self._all("conversations.list", "channels", types="public_channel,private_channel", exclude_archived="true")
        m = re.fullmatch(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>", text)
        wanted = (m.group(1) if m else text).lstrip("#").strip().lower()
        found = [c for c in self._channels if c["id"].lower() == wanted] or [c for c in self._channels if (c.get("name") or "").lower() == wanted]
        if len(found) > 1:
            raise AmbiguousName(f"'{text[:80]}' is the name of {len(found)} channels: give the channel id")
        return found[0]["id"] if found else None


def _user_names(user: dict[str, Any]) -> set[str]:
    profile = user.get("profile") or {}
    names = {user.get("name"), user.get("real_name"), profile.get("display_name"), profile.get("real_name"), profile.get("email")}
    return {n.strip().lower() for n in names if n and n.strip()}
