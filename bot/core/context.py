"""Who asked, where and when: the context every use case receives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from bot.calendar.cycle_files import CycleLibrary
from bot.core.school_calendar import read_school
from bot.core.schools import SchoolState
from bot.errors import UserError
from bot.store.port import Store


@dataclass
class Ctx:
    """Who asked, where, and when (``now`` is a UTC instant); plus the store and cycles."""

    store: Store
    library: CycleLibrary
    now: datetime
    team_id: str
    channel_id: str
    user_id: str
    trigger_id: str | None = None
    lookup_user: Callable[[str], dict[str, Any] | None] | None = None
    public_url: str | None = None  # SCEP_PUBLIC_URL: where people reach the bot's calendar feeds
    # a file shared in Slack, by its id: (name, bytes), read with the bot token (url_private);
    # raises ValueError with the reason it cannot be read
    read_file: Callable[[str], tuple[str, bytes]] | None = None

    @property
    def school_id(self) -> str | None:
        return self.store.school_for_channel(self.team_id, self.channel_id)

    def state(self) -> SchoolState:
        """This channel's school, or a UserError saying how to link one."""
        sid = self.school_id
        state = read_school(self.store, sid) if sid else None
        if state is None:
            raise UserError("This channel isn't linked to a school yet: `/scep setup &lt;school name&gt;`")
        return state
