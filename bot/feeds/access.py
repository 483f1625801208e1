"""What a feed token may read, decided afresh at every fetch, and the feed it opens.

- ``school`` scope: the school, while its holder has a role in it (liaison, principal, team,
  reviewer or district admin) in the same workspace;
- ``all`` scope: every school of the workspace where the holder is liaison or district admin now.

Anything else (unknown, revoked or truncated token, a role lost, a school gone) is ``None``: the
HTTP edge answers 404 with no detail, so a URL never tells whether a school exists.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.permissions import roles_of
from bot.core.school_calendar import attach_district
from bot.core.schools import SchoolState
from bot.feeds import tokens
from bot.feeds.ics import feed
from bot.schools.membership import schools_of
from bot.store.schema import DISTRICT_HOLIDAYS_SETTING

DISTRICT_ROLES = ("liaison", "district")


def readable(store, record: dict) -> tuple[str, list[SchoolState], list[int]] | None:
    """(calendar name, the schools, their revisions) the token's record may read now, or None."""
    user, team = record.get("user") or "", record.get("team") or ""
    district = store.get_setting(DISTRICT_HOLIDAYS_SETTING, [])  # deadlines move off the district's closures too
    if record.get("scope") == "school":
        sid = record.get("school_id")
        if not sid or sid not in store.school_ids():
            return None
        revision = store.revision(sid)
        state = SchoolState.read(store.view(sid))
        if state is None or (state.school.team_id or "") != team or not roles_of(state.school, user):
            return None
        attach_district(state, district)
        return f"SCEP: {state.school.name}", [state], [revision]
    if record.get("scope") == "all":
        states, revisions = [], []
        for sid, roles in schools_of(store, user, team):
            if set(roles) & set(DISTRICT_ROLES):
                revision = store.revision(sid)  # read before the snapshot: a later write only makes the cache miss
                state = SchoolState.read(store.view(sid))
                if state is not None:
                    states.append(attach_district(state, district))
                    revisions.append(revision)
        return ("SCEP: my schools", states, revisions) if states else None
    return None


def fetch(store, library, now: datetime, token: str) -> bytes | None:
    """The feed ``token`` opens at ``now`` (UTC), or None (the edge answers 404)."""
    record = tokens.find(store, token)
    if record is None:
        return None
    allowed = readable(store, record)
    if allowed is None:
        return None
    name, states, revisions = allowed
    return feed(states, library, now, name, revisions)
