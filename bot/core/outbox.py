"""What the clock should send: messages computed from the store, the cycles and ``now``.

Features write *providers*, listed in one place (``Providers``, built by the sweep's job setup
in ``schedules/sweep/providers.py``); the sweep asks every provider, at every sweep, which
messages are due for a school, claims each message's stable ``key`` in the school's ledger
before posting, and records the Slack ``ts`` after. A provider never sends anything
itself and keeps no job of its own: change the data and the next sweep sees the change.

Providers may (and should) also return what falls due *later*: the sweep holds such a message
until its ``due_at`` and, between changes to a school's data, asks the providers again only at
the earliest ``due_at`` it has seen (that is how a sweep over thousands of schools with nothing
due stays fast). A provider whose messages cannot be known ahead is listed in ``every`` (a
``timedelta``): the sweep then asks it at least that often.

Workspace providers see every school at once (a weekly digest to each liaison); their messages carry ``school_id=""`` and are claimed in the workspace ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from bot.calendar.cycle_files import CycleLibrary
from bot.core.schools import SchoolState


@dataclass
class Outgoing:
    """One message to send once.

    ``key`` is stable and unique: ``"<school>|<what>|<due instant, UTC ISO>"``; the same fact
    due at the same instant always gives the same key. ``due_at`` and ``expires_at`` are UTC
    instants: not sent before ``due_at``; after ``expires_at`` it no longer means anything and
    is recorded as skipped. ``render(now)`` builds (text, blocks) at send time, so the text says
    the true time left. ``channel`` is a channel id; ``dm_users`` are user ids to DM instead.
    ``on_sent(tx, ts)`` may record follow-up state in the same school (for example a prompt's ts).
    ``files(now)``: files to upload after the message, in the same conversation (a lone message
    only): [(filename, bytes, title)]; an upload that fails is logged, the message stays sent.
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
    slack_metadata: dict[str, Any] | None = None  # Slack message metadata posted with it (a lone message only)
    files: Callable[[datetime], list[tuple[str, bytes, str]]] | None = None


Provider = Callable[[SchoolState, CycleLibrary, datetime], list[Outgoing]]

# (schools, library, now, people) -> [Outgoing]; ``people(user_id)`` gives what the workspace
# knows of a user ({"tz": ..., "deleted": ...}) or None.
WorkspaceProvider = Callable[[list[SchoolState], CycleLibrary, datetime, Callable[[str], dict[str, Any] | None]], list[Outgoing]]


@dataclass
class Providers:
    """Every provider the sweep asks, by name, in the order they are asked.

    ``school``: functions ``(state, library, now) -> [Outgoing]``; ``workspace``: functions
    ``(schools, library, now, people) -> [Outgoing]``; ``every``: for a school provider whose
    messages cannot be known ahead, the longest the sweep may go without asking it (a
    ``timedelta``); ``settings``: workspace settings (store settings holding a list, by name) that
    school providers read, each with the function ``(state, value)`` that gives it to a school's
    state before the providers are asked (the district's holidays, for the school days).
    """

    school: dict[str, Provider]
    workspace: dict[str, WorkspaceProvider] = field(default_factory=dict)
    every: dict[str, timedelta] = field(default_factory=dict)
    settings: dict[str, Callable[[SchoolState, list[Any]], Any]] = field(default_factory=dict)

    def prepare(self, state: SchoolState, settings: dict[str, list[Any]]) -> SchoolState:
        """Give ``state`` the workspace ``settings`` (values read from the store, by name)."""
        for name, attach in self.settings.items():
            attach(state, settings.get(name) or [])
        return state

    def due(self, state: SchoolState, library: CycleLibrary, now: datetime) -> list[Outgoing]:
        """Everything every school provider says is due for this school at ``now`` or later (not
        yet filtered by the ledger, nor by ``due_at``: the sweep does that)."""
        out: list[Outgoing] = []
        for fn in self.school.values():
            out.extend(fn(state, library, now))
        return out

    def max_sleep(self) -> timedelta | None:
        """The longest the sweep may go without asking a school's providers again (None: no limit)."""
        return min(self.every.values()) if self.every else None

    def workspace_due(self, schools: list[SchoolState], library: CycleLibrary, now: datetime, people) -> list[Outgoing]:
        """Everything every workspace provider says is due (``school_id=""``)."""
        out: list[Outgoing] = []
        for fn in self.workspace.values():
            out.extend(fn(schools, library, now, people))
        return out
