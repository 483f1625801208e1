"""``/scep calendar [reset|stop]``: a private subscription URL (https and webcal) for the school's
calendar, and for a liaison or district admin one for all their schools.

Feeds follow roles: a person with a role in the channel's school gets its feed; a liaison or
district admin (not a guest) also gets one feed of all their schools. A guest gets only the
school of the channel they ask in. A URL is shown once (only its hash is kept): ``reset`` stops
the person's URLs and makes new ones, ``stop`` stops them.
"""

from __future__ import annotations

from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result
from bot.core.schools import SchoolState
from bot.errors import UserError
from bot.feeds import tokens
from bot.feeds.access import DISTRICT_ROLES
from bot.schools.membership import schools_of

NO_URL = ("Calendar feeds are not switched on here: the operator sets `SCEP_PUBLIC_URL` to the address people's "
          "calendars reach the bot at (see the README, Calendar feeds). Meanwhile `/scep export calendar` uploads a one-off .ics file.")


@subcommand(
    "calendar",
    usage="/scep calendar [reset|stop]",
    summary="a private link to subscribe to the school's calendar (Google, Outlook, Apple); liaisons also get all their schools",
    examples=["/scep calendar", "/scep calendar reset", "/scep calendar stop"],
    aliases=("feed", "subscribe"),
    writes=True,
)
def cmd_calendar(ctx: Ctx, args: list[str]) -> Result:
    word = args[0].lower() if args else ""
    if len(args) > 1 or word not in ("", "reset", "stop"):
        raise UserError("`/scep calendar` gives your subscription link; `/scep calendar reset` makes a new one "
                        "(the old one stops working); `/scep calendar stop` stops yours.")
    if word == "stop":
        n = tokens.revoke(ctx.store, user=ctx.user_id, team=ctx.team_id)
        return Result(text=f"Stopped {n} calendar link{'s' if n != 1 else ''} of yours: subscribed calendars stop updating." if n
                      else "You have no calendar links to stop.")
    if not ctx.public_url:
        raise UserError(NO_URL)
    wanted = _scopes(ctx)
    if word == "reset":
        tokens.revoke(ctx.store, user=ctx.user_id, team=ctx.team_id)
    have = {(r.get("scope"), r.get("school_id")) for r in tokens.held(ctx.store, user=ctx.user_id, team=ctx.team_id)}
    lines = []
    for scope, school_id, title in wanted:
        if (scope, school_id) in have:
            lines.append(f"*{bk.esc(title)}*: you already have a link (it was shown when it was made). "
                         "Lost it? `/scep calendar reset` makes a new one and stops the old one.")
            continue
        token = tokens.issue(ctx.store, user=ctx.user_id, team=ctx.team_id, scope=scope, school_id=school_id,
                             channel_id=ctx.channel_id, now=ctx.now)
        https = f"{ctx.public_url}/calendar/{token}.ics"
        webcal = "webcal://" + https.split("://", 1)[1]
        lines.append(f"*{bk.esc(title)}*\n• Subscribe (Apple, Outlook): {webcal}\n• Or add by URL (Google: Other calendars > From URL): {https}")
    text = ("\n\n".join(lines) + "\n\n:lock: These links are private: anyone with one can read the calendar. "
            "They stop working if you lose your role; `/scep calendar reset` replaces them.")
    return Result(text=text, blocks=[bk.section(text[:3000])])


def _scopes(ctx: Ctx) -> list[tuple[str, str | None, str]]:
    """(scope, school id, title) of the feeds this person may have, asked from this channel."""
    out: list[tuple[str, str | None, str]] = []
    refusal = ("Ask in a school's channel: `/scep calendar` there gives that school's calendar link "
               "(liaisons and district admins also get one for all their schools).")
    sid = ctx.school_id
    state = SchoolState.read(ctx.store.view(sid)) if sid else None
    if state is not None:
        if R.roles_of(state.school, ctx.user_id):
            out.append(("school", state.school.school_id, f"{state.school.name}: its calendar"))
        else:
            who = ", ".join(f"<@{u}>" for u in state.school.roles.get("liaison") or []) or "the liaison"
            refusal = (f"Calendar links follow roles, and you have none in {bk.esc(state.school.name)}: ask {who} for one, "
                       "or use `/scep export calendar` for a one-off file.")
    guest = R.is_guest(ctx)
    if not guest and any(set(roles) & set(DISTRICT_ROLES) for _, roles in schools_of(ctx.store, ctx.user_id, ctx.team_id)):
        out.append(("all", None, "All your schools (liaison or district admin)"))
    if not out:
        raise UserError(refusal)
    return out
