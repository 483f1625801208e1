"""Who is who in a school, and who may do what.

Roles per school: ``liaison``, ``principal``, ``team`` (many), ``reviewer`` and ``district``
(district admin). Workspace admins and owners (Slack's ``is_admin``/``is_owner``) may do
everything. The permission table below is the one the README documents.
"""

from __future__ import annotations

import re

from bot.command import Ctx, UserError
from bot.schools import School

ROLE_NAMES = ("liaison", "principal", "team", "reviewer", "district")
# not a role: anyone acting from inside the school's own channel (its members), for "act"
CHANNEL = "channel"

# action -> roles allowed (workspace admins always are)
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "setup": ("liaison",),  # change a school's setup
    "roles": ("liaison",),  # change who holds a role
    "act": ("liaison", "principal", "team", "district", CHANNEL),  # schedule, tick, mark done, submit, notes
    "review": ("reviewer", "district"),  # approve or request changes
    "forget": ("liaison",),  # delete a step's notes
    "commitments": ("liaison", "principal"),  # set the school's SCEP commitments
    "history": ("liaison", "district"),  # read the audit log
}

ACTION_WORDS = {
    "setup": "change this school's setup",
    "roles": "change this school's roles",
    "act": "do that for this school",
    "review": "review this school's plans",
    "forget": "delete this school's notes",
    "commitments": "change this school's commitments",
    "history": "read this school's history",
}

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def is_workspace_admin(ctx: Ctx) -> bool:
    if ctx.lookup_user is None:
        return False
    user = ctx.lookup_user(ctx.user_id) or {}
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


def roles_of(school: School, user_id: str) -> set[str]:
    return {role for role, people in school.roles.items() if user_id in (people or [])}


def in_school_channel(ctx: Ctx, school: School) -> bool:
    """The request comes from the school's own channel: Slack only lets its members act there."""
    return bool(ctx.channel_id) and ctx.channel_id == school.channel_id and (ctx.team_id or "") == (school.team_id or "")


def allowed(ctx: Ctx, school: School, action: str) -> bool:
    permitted = PERMISSIONS[action]
    if CHANNEL in permitted and in_school_channel(ctx, school):
        return True
    return bool(roles_of(school, ctx.user_id) & set(permitted)) or is_workspace_admin(ctx)


def require(ctx: Ctx, school: School, action: str) -> None:
    """Raise a UserError that says who can, unless the person asking may do ``action``."""
    if allowed(ctx, school, action):
        return
    holders = []
    for role in PERMISSIONS[action]:
        if role == CHANNEL:
            continue
        people = school.roles.get(role) or []
        holders.append(f"the {role}" + (f" ({', '.join(f'<@{u}>' for u in people)})" if people else ""))
    where = f", or anyone in <#{school.channel_id}> (do it there)" if CHANNEL in PERMISSIONS[action] and school.channel_id else ""
    raise UserError(f"Only workspace admins and {', '.join(holders)}{where} can {ACTION_WORDS[action]}.")


def parse_people(text: str, lookup=None) -> list[str]:
    """User ids from ``<@U123>``/``<@U123|name>`` mentions separated by commas or spaces.

    ``none`` clears. A plain ``@name`` (Slack did not escape it) is an error that says to pick
    the person from Slack's autocomplete.
    """
    text = text.strip()
    if text.lower() in ("none", "-", "nobody"):
        return []
    out: list[str] = []
    for part in [p for p in re.split(r"[,\s]+", text) if p]:
        m = MENTION.match(part)
        if m:
            uid = m.group(1)
        elif re.fullmatch(r"[UW][A-Z0-9]{6,}", part):
            uid = part
        else:
            raise UserError(f"I can't tell who '{part}' is: mention the person with @ and pick them from Slack's list (so Slack sends their id), like `liaison:@ana`")
        if lookup is not None:
            user = lookup(uid)
            if user is None or user.get("deleted"):
                raise UserError(f"<@{uid}> is not an active member of this workspace")
        if uid not in out:
            out.append(uid)
    return out
