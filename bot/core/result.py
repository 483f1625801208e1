"""What an interactive action asks Slack to do, decided by the core and carried out by handlers.

A button or checkbox click is answered with an ``Outcome``: a notice to the person who clicked
(ephemeral), messages to update in place (``chat.update``), messages to post, a modal to open
or the modal to update, and whose App Home to refresh. The core builds it without Slack; the
listener (``handlers/effects.py``) carries it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from bot.core.command import Post


@dataclass
class MessageUpdate:
    """Replace a message in place. ``on_gone()`` runs when Slack says it no longer exists."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    on_gone: Callable[[], None] | None = None
    # renders (text, blocks) afresh from the store just before the update is sent, so that of two
    # updates racing for one message the last one sent shows the latest state, not a stale one
    rerender: Callable[[], tuple[str, list[dict[str, Any]]]] | None = None


@dataclass
class Outcome:
    notice: str | None = None  # ephemeral text to the person who acted
    error: bool = False
    updates: list[MessageUpdate] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    open_view: dict[str, Any] | None = None  # views.open with the action's trigger_id
    update_view: dict[str, Any] | None = None  # views.update of the modal the action came from
    push_view: dict[str, Any] | None = None  # views.push on top of the modal the action came from
    refresh_home: list[str] = field(default_factory=list)  # user ids whose App Home to republish

    def merge(self, other: "Outcome") -> "Outcome":
        self.notice = "\n".join(n for n in (self.notice, other.notice) if n) or None
        self.error = self.error or other.error
        seen = {(u.channel, u.ts) for u in self.updates}
        self.updates.extend(u for u in other.updates if (u.channel, u.ts) not in seen)
        self.posts.extend(other.posts)
        self.open_view = self.open_view or other.open_view
        self.update_view = self.update_view or other.update_view
        self.push_view = self.push_view or other.push_view
        self.refresh_home.extend(u for u in other.refresh_home if u not in self.refresh_home)
        return self


def failed(message: str) -> Outcome:
    return Outcome(notice=f":warning: {message}", error=True)
