"""The one result type: what the domain asks Slack to do after a command, a click, a form, an
event or a sweep. The domain builds it without Slack; ``handlers/executor.py`` carries it out.

A ``Result`` holds the answer to whoever acted (ephemeral unless ``public``), modals to open,
push or update, messages to post, update in place or upload, reactions, the steps it changed
(whose posted checklists are redrawn), App Homes to refresh, and follow-up work only the Slack
side can do (reading a thread back, for instance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Post:
    """A message to post in a channel (a user id: a DM); ``on_posted(ts)`` is called with its ts afterwards."""

    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    on_posted: Callable[[str], None] | None = None
    on_sent: Callable[[str, str], None] | None = None  # (channel id as Slack gives it, ts): a DM's D... id
    metadata: dict[str, Any] | None = None  # Slack message metadata ({"event_type", "event_payload"}) carried by the post


@dataclass
class Upload:
    """A file to upload to a channel (``files.uploadV2``) after the answer is sent."""

    channel: str
    filename: str
    content: bytes
    title: str = ""
    comment: str = ""


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
class Reaction:
    """An emoji reaction to add to a message (``reactions.add``; already there is fine)."""

    channel: str
    ts: str
    name: str


@dataclass(frozen=True)
class StepChanged:
    """A step whose state a use case changed: the executor redraws its posted checklists."""

    school_id: str
    state_key: str  # "<year>:<cycle>/<step>"


@dataclass
class Ephemeral:
    """A message only ``user`` sees, in ``channel`` (in a thread when ``thread_ts``)."""

    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None


@dataclass
class Result:
    text: str = ""  # the answer to whoever acted; empty: no answer
    blocks: list[dict[str, Any]] | None = None
    public: bool = False  # True: shown to the channel (or replaces the clicked message); False: only to who acted
    error: bool = False
    open_view: dict[str, Any] | None = None  # views.open with the request's trigger_id
    update_view: dict[str, Any] | None = None  # views.update of the modal the action came from
    push_view: dict[str, Any] | None = None  # views.push on top of the modal the action came from
    posts: list[Post] = field(default_factory=list)
    updates: list[MessageUpdate] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)
    ephemerals: list[Ephemeral] = field(default_factory=list)  # to people other than (or besides) who acted
    refresh_home: list[str] = field(default_factory=list)  # user ids whose App Home to republish
    changed: list[StepChanged] = field(default_factory=list)  # steps changed: their posted checklists are redrawn
    # work only the Slack side can do, after the answer: typed requests that handlers know how to run
    followups: list[Any] = field(default_factory=list)

    def merge(self, other: "Result") -> "Result":
        self.text = "\n".join(n for n in (self.text, other.text) if n)
        self.error = self.error or other.error
        seen = {(u.channel, u.ts) for u in self.updates}
        self.updates.extend(u for u in other.updates if (u.channel, u.ts) not in seen)
        self.posts.extend(other.posts)
        self.uploads.extend(other.uploads)
        self.reactions.extend(other.reactions)
        self.ephemerals.extend(other.ephemerals)
        self.followups.extend(other.followups)
        self.changed.extend(c for c in other.changed if c not in self.changed)
        self.open_view = self.open_view or other.open_view
        self.update_view = self.update_view or other.update_view
        self.push_view = self.push_view or other.push_view
        self.refresh_home.extend(u for u in other.refresh_home if u not in self.refresh_home)
        return self


_UNSAFE = re.compile(r"<(?![@#][A-Z0-9]+>)([^<>]*)>")


def refused(exc: Exception) -> Result:
    """``failed`` for a UserError, with the buttons a question carries (``exc.blocks``: "Mark done anyway")."""
    out = failed(str(exc))
    out.blocks = out.blocks + list(getattr(exc, "blocks", None) or [])
    return out


def failed(message: str) -> Result:
    """An error answer (ephemeral). A safety net: an error may name people (<@U123>) and channels
    (<#C123>); anything else in angle brackets (a ping like <!channel>, a link) came from what
    someone typed: it is shown, not acted on."""
    message = _UNSAFE.sub(lambda m: "&lt;" + m.group(1) + "&gt;", message)
    text = f":warning: {message}"
    return Result(text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}], error=True)
