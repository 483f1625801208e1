"""Who is who in a school, and who may do what.

Roles per school: ``liaison``, ``principal``, ``team`` (many), ``reviewer`` and ``district``
(district admin). Workspace admins and owners (Slack's ``is_admin``/``is_owner``) may do
everything. The permission table below is the one the README and docs/security.md document.

Three rules sit on top of the table:

- **Guests** (Slack's ``is_restricted``/``is_ultra_restricted``: multi- and single-channel guests;
  ``is_stranger``: people of another organisation in a Slack Connect channel) get nothing from
  being in a channel except reading what it already shows: they act only through a role a
  liaison or admin gave them. Someone ``users.info`` does not find, or cannot be asked about (any
  error), counts as a guest until it answers: unknown people fail closed.
- **One school per channel**: a request from a channel linked to school B never acts on, or
  shows, school A, whatever ids its button or form carries (``require`` refuses it).
- **Reading a school outside its channel** (App Home, a modal opened from a button) needs a role
  in it (any role) or a workspace admin (action ``read``).
"""

from __future__ import annotations

import logging
import re

from bot.core import blocks as bk
from bot.core.context import Ctx
from bot.core.schools import School
from bot.errors import UserError

log = logging.getLogger("scep-bot")

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
    "read": ROLE_NAMES + (CHANNEL,),  # see a school's checklist, dates or notes (App Home, modals)
}

ACTION_WORDS = {
    "setup": "change this school's setup",
    "roles": "change this school's roles",
    "act": "do that for this school",
    "review": "review this school's plans",
    "forget": "delete this school's notes",
    "commitments": "change this school's commitments",
    "history": "read this school's history",
    "read": "see this school's plans",
}

UNKNOWN_HINT = (" Slack didn't tell me who you are just now, so you count as a guest (read only) for the moment:"
                " try again in a few minutes.")

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


# whoever Slack can't tell the bot about (user_not_found, or users.info failed): a guest
UNKNOWN: dict = {"is_restricted": True, "scep_unknown": True}


def _user(ctx: Ctx) -> dict:
    """The acting person as ``users.info`` has them; ``UNKNOWN`` when it can't say. Without a
    lookup at all (the local console, where the operator is the person) an empty dict."""
    if ctx.lookup_user is None:
        return {}
    if not ctx.user_id:
        return UNKNOWN
    try:
        user = ctx.lookup_user(ctx.user_id)
    except Exception:  # noqa: BLE001 - any failure to look someone up fails closed
        log.warning("users.info for %s failed: counted as a guest for this request", ctx.user_id[:20], exc_info=True)
        return UNKNOWN
    return user if isinstance(user, dict) and user else UNKNOWN


def is_workspace_admin(ctx: Ctx) -> bool:
    user = _user(ctx)
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")) and not is_guest_user(user)


def is_guest_user(user: dict) -> bool:
    return bool(user.get("is_restricted") or user.get("is_ultra_restricted") or user.get("is_stranger"))


def is_guest(ctx: Ctx) -> bool:
    """A multi- or single-channel guest of the workspace (Slack's ``is_restricted``)."""
    return is_guest_user(_user(ctx))


def roles_of(school: School, user_id: str) -> set[str]:
    return {role for role, people in school.roles.items() if user_id and user_id in (people or [])}


def in_school_channel(ctx: Ctx, school: School) -> bool:
    """The request comes from the school's own channel: Slack only lets its members act there."""
    return bool(ctx.channel_id) and ctx.channel_id == school.channel_id and (ctx.team_id or "") == (school.team_id or "")


def foreign_channel(ctx: Ctx, school: School) -> str | None:
    """The id of the other school whose channel the request comes from, if any."""
    if not ctx.channel_id or in_school_channel(ctx, school):
        return None
    try:
        other = ctx.store.school_for_channel(ctx.team_id, ctx.channel_id)
    except Exception:  # noqa: BLE001 - a store without a channel map: no other school
        return None
    return other if other and other != school.school_id else None


def allowed(ctx: Ctx, school: School, action: str) -> bool:
    if (ctx.team_id or "") != (school.team_id or "") or foreign_channel(ctx, school):
        return False
    permitted = PERMISSIONS[action]
    if roles_of(school, ctx.user_id) & set(permitted):
        return True
    if CHANNEL in permitted and in_school_channel(ctx, school) and (action == "read" or not is_guest(ctx)):
        return True
    return is_workspace_admin(ctx)


def require(ctx: Ctx, school: School, action: str) -> None:
    """Raise a UserError that says who can, unless the person asking may do ``action``."""
    if allowed(ctx, school, action):
        return
    if (ctx.team_id or "") != (school.team_id or ""):
        raise UserError("That school belongs to another workspace.")
    if foreign_channel(ctx, school):
        raise UserError(f"This channel belongs to another school: do that for {bk.esc(school.name)} in <#{school.channel_id}>.")
    holders = []
    for role in PERMISSIONS[action]:
        if role == CHANNEL:
            continue
        people = school.roles.get(role) or []
        holders.append(f"the {role}" + (f" ({', '.join(f'<@{u}>' for u in people)})" if people else ""))
    where = ""
    if CHANNEL in PERMISSIONS[action] and school.channel_id:
        where = f", or anyone in <#{school.channel_id}>" + (" (do it there)" if action != "read" else "")
    guest = ""
    if CHANNEL in PERMISSIONS[action] and in_school_channel(ctx, school) and is_guest(ctx):
        where = ""
        guest = (UNKNOWN_HINT if _user(ctx).get("scep_unknown") else
                 " Guests of the workspace can read what this channel shows but change nothing unless the liaison gives them a role.")
    raise UserError(f"Only workspace admins and {', '.join(holders)}{where} can {ACTION_WORDS[action]}.{guest}")


def require_member(ctx: Ctx, what: str) -> None:
    """Refuse guests what full members of the workspace may do anywhere (link a school, list them)."""
    if is_guest(ctx):
        hint = UNKNOWN_HINT if _user(ctx).get("scep_unknown") else ""
        raise UserError(f"Guests of this workspace can't {what}: ask a workspace admin or a school's liaison.{hint}")


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
            raise UserError(f"I can't tell who '{bk.esc(bk.clip(part, 80))}' is: mention the person with @ and pick them from Slack's list (so Slack sends their id), like `liaison:@ana`")
        if lookup is not None:
            user = lookup(uid)
            if user is None or user.get("deleted"):
                raise UserError(f"<@{uid}> is not an active member of this workspace")
            if user.get("is_bot"):
                raise UserError(f"<@{uid}> is an app, not a person: pick people for roles")
        if uid not in out:
            out.append(uid)
    return out
