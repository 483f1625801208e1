"""Who turned which digest off: per person (a workspace setting) and per school (its profile).

A person may turn off, for themselves, the ``weekly`` digest DM, the ``monthly`` roll-up DM and
the district ``picture`` posted with the weekly digest. A school (its liaison) may turn off its
``monthly`` update in the channel (the school is then also left out of the monthly roll-ups)
and its place in the ``weekly`` digests of its liaisons. The sweep's providers read both:
the person's choices are attached to every school state of their workspace before the
providers are asked (``attach``), the school's are in its profile.
"""

from __future__ import annotations

from typing import Any, Iterable

from bot.core.schools import School, SchoolState
from bot.errors import UserError
from bot.store.port import Store
from bot.store.schema import DIGEST_OPTOUTS_SETTING, DIGESTS_KEY

PERSON_KINDS = ("weekly", "monthly", "picture")
SCHOOL_KINDS = ("weekly", "monthly")
ATTACHED = "_digest_optouts"  # School.extra: {user id: [kinds off]} of the school's workspace (never stored)

WHAT = {
    "weekly": "the weekly digest (Monday 08:00 DM to each liaison)",
    "monthly": "the monthly update (channel post on the first school day; liaisons' roll-up DM)",
    "picture": "the district picture posted with the weekly digest",
}


def parse_kinds(words: Iterable[str], allowed: tuple[str, ...], who: str) -> list[str]:
    """The digest kinds named in ``words`` (``all``: every one of ``allowed``); a UserError
    naming the choices for anything else."""
    kinds: list[str] = []
    for w in words:
        w = w.lower().strip(",")
        if not w:
            continue
        if w == "all":
            kinds.extend(allowed)
        elif w.rstrip("s") in allowed or w in allowed:
            kinds.append(w if w in allowed else w.rstrip("s"))
        else:
            raise UserError(f"'{w[:40]}' is not a digest {who} can turn off: say {', '.join(f'`{k}`' for k in allowed)} or `all`.")
    if not kinds:
        raise UserError(f"Say which digest: {', '.join(f'`{k}`' for k in allowed)} or `all`.")
    return sorted(set(kinds), key=allowed.index)


# -- per person
def person_entries(store: Store) -> list[dict[str, Any]]:
    return list(store.get_setting(DIGEST_OPTOUTS_SETTING, []) or [])


def person_off(store: Store, team: str, user: str) -> list[str]:
    for e in person_entries(store):
        if e.get("team", "") == (team or "") and e.get("user") == user:
            return list(e.get("off") or [])
    return []


def set_person(store: Store, team: str, user: str, kinds: list[str], on: bool) -> list[str]:
    """Turn ``kinds`` on or off for ``user`` (atomically); returns what is off for them now."""
    result: list[str] = []

    def change(entries):
        entries = [e for e in (entries or []) if isinstance(e, dict)]
        mine = next((e for e in entries if e.get("team", "") == (team or "") and e.get("user") == user), None)
        off = set((mine or {}).get("off") or [])
        off = off - set(kinds) if on else off | set(kinds)
        entries = [e for e in entries if e is not mine]
        result[:] = [k for k in PERSON_KINDS if k in off]
        if result:
            entries.append({"team": team or "", "user": user, "off": result})
        return entries

    store.update_setting(DIGEST_OPTOUTS_SETTING, change, [])
    return result


def attach(state: SchoolState, entries: list | None) -> SchoolState:
    """Give ``state`` the choices of the people of its workspace (the sweep does this)."""
    team = state.school.team_id or ""
    state.school.extra[ATTACHED] = {e["user"]: list(e.get("off") or []) for e in (entries or [])
                                    if isinstance(e, dict) and e.get("team", "") == team and e.get("user")}
    return state


def wants(states: list[SchoolState], user: str, kind: str) -> bool:
    """Does ``user`` still want digest ``kind`` (from the choices attached to their schools)?"""
    for state in states:
        if kind in (state.school.extra.get(ATTACHED) or {}).get(user, []):
            return False
    return True


# -- per school
def school_off(school: School) -> list[str]:
    return [k for k in SCHOOL_KINDS if k in ((school.extra.get(DIGESTS_KEY) or {}).get("off") or [])]


def school_sends(school: School, kind: str) -> bool:
    return kind not in school_off(school)


def set_school(school: School, kinds: list[str], on: bool) -> list[str]:
    """Turn ``kinds`` on or off in ``school``'s profile (the caller writes it); what is off now."""
    off = set(school_off(school))
    off = off - set(kinds) if on else off | set(kinds)
    now_off = [k for k in SCHOOL_KINDS if k in off]
    if now_off:
        school.extra[DIGESTS_KEY] = {"off": now_off}
    else:
        school.extra.pop(DIGESTS_KEY, None)
    return now_off
