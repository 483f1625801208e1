"""What the clock should send: messages computed from the store, the cycles and ``now``.

Features register *providers*; the sweep (``schedules/``) asks every provider, at every sweep,
which messages are due for a school, claims each message's stable ``key`` in the school's
ledger before posting, and records the Slack ``ts`` after. A provider never sends anything
itself and keeps no job of its own: change the data and the next sweep sees the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from bot.cycles import CycleLibrary
from bot.schools import SchoolState


@dataclass
class Outgoing:
    """One message to send once.

    ``key`` is stable and unique: ``"<school>|<what>|<due instant, UTC ISO>"``; the same fact
    due at the same instant always gives the same key. ``due_at`` and ``expires_at`` are UTC
    instants: not sent before ``due_at``; after ``expires_at`` it no longer means anything and
    is recorded as skipped. ``render(now)`` builds (text, blocks) at send time, so the text says
    the true time left. ``channel`` is a channel id; ``dm_users`` are user ids to DM instead.
    ``on_sent(tx, ts)`` may record follow-up state in the same school (for example a prompt's ts).
    """

    key: str
    school_id: str
    due_at: datetime
    render: Callable[[datetime], tuple[str, list[dict[str, Any]]]]
    channel: str | None = None
    dm_users: list[str] = field(default_factory=list)
    expires_at: datetime | None = None
    kind: str = "nudge"
    on_sent: Callable[[Any, str], None] | None = None
    meta: dict[str, Any] = field(default_factory=dict)


Provider = Callable[[SchoolState, CycleLibrary, datetime], list[Outgoing]]

PROVIDERS: dict[str, Provider] = {}


def provider(name: str):
    """Register a function ``(state, library, now) -> [Outgoing]`` under ``name``."""

    def wrap(fn: Provider) -> Provider:
        PROVIDERS[name] = fn
        return fn

    return wrap


def due(state: SchoolState, library: CycleLibrary, now: datetime) -> list[Outgoing]:
    """Everything every provider says is due for this school at ``now`` (not yet filtered by
    the ledger: the sweep does that)."""
    out: list[Outgoing] = []
    for fn in PROVIDERS.values():
        out.extend(fn(state, library, now))
    return out


# ---------------------------------------------------------------- workspace-wide providers
#
# Some messages are about several schools at once (a liaison's roll-up of their schools). A
# workspace provider ``(store, library, now) -> [Outgoing]`` is asked once per sweep; each of
# its messages names the school whose ledger records it (``Outgoing.school_id``), so it is
# claimed, sent and recorded exactly like a school's own.

WorkspaceProvider = Callable[[Any, CycleLibrary, datetime], list[Outgoing]]

WORKSPACE_PROVIDERS: dict[str, WorkspaceProvider] = {}


def workspace_provider(name: str):
    """Register a function ``(store, library, now) -> [Outgoing]`` under ``name``."""

    def wrap(fn: WorkspaceProvider) -> WorkspaceProvider:
        WORKSPACE_PROVIDERS[name] = fn
        return fn

    return wrap


def due_workspace(store: Any, library: CycleLibrary, now: datetime) -> list[Outgoing]:
    """Everything the workspace providers say is due at ``now`` (not filtered by the ledgers)."""
    out: list[Outgoing] = []
    for fn in WORKSPACE_PROVIDERS.values():
        out.extend(fn(store, library, now))
    return out
