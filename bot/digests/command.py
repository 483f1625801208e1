"""``/scep digests``: which digests you get and which this school sends, and turning them off.

    /scep digests                               what you get, what this school sends
    /scep digests off weekly|monthly|picture|all   for you (anyone, anywhere)
    /scep digests on weekly|monthly|picture|all
    /scep digests school off monthly|weekly|all    for this school (its liaison, a workspace admin)
    /scep digests school on monthly|weekly|all
"""

from __future__ import annotations

from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result
from bot.core.schools import School
from bot.core.steps import audit
from bot.digests import prefs
from bot.errors import UserError
from bot.store.schema import PROFILE

FORMS = ("`/scep digests off weekly` (or `monthly`, `picture`, `all`) for you · "
         "`/scep digests school off monthly` (or `weekly`, `all`) for this school · `on` turns one back on")


@subcommand(
    "digests",
    usage="/scep digests [on|off weekly|monthly|picture|all] | digests school on|off monthly|weekly|all",
    summary="the weekly and monthly digests (and the district picture) you get and this school sends; turn any off for you or for the school",
    examples=["/scep digests", "/scep digests off weekly", "/scep digests school off monthly"],
    aliases=("digest",),
    writes=True,
)
def cmd_digests(ctx: Ctx, args: list[str]) -> Result:
    words = [a.lower() for a in args]
    if not words:
        return _overview(ctx)
    if words[0] == "school":
        if len(words) < 2 or words[1] not in ("on", "off"):
            raise UserError("Say `on` or `off` and which: `/scep digests school off monthly`")
        return _school(ctx, words[1] == "on", words[2:])
    if words[0] not in ("on", "off"):
        raise UserError(f"I don't know `/scep digests {bk.esc(bk.clip(args[0], 40))}`. " + FORMS)
    on = words[0] == "on"
    kinds = prefs.parse_kinds(words[1:], prefs.PERSON_KINDS, "you")
    off = prefs.set_person(ctx.store, ctx.team_id, ctx.user_id, kinds, on)
    said = ", ".join(kinds)
    text = f"{said.capitalize()} turned {'on' if on else 'off'} for you." + (f" Off for you now: {', '.join(off)}." if off else " You get every digest.")
    return Result(text=text, blocks=[bk.section(text), bk.context(FORMS)])


def _school(ctx: Ctx, on: bool, words: list[str]) -> Result:
    state = ctx.state()
    R.require(ctx, state.school, "setup")
    kinds = prefs.parse_kinds(words, prefs.SCHOOL_KINDS, "a school")
    with ctx.store.transaction(state.school.school_id) as tx:
        school = School.from_doc(tx.get(*PROFILE))
        off = prefs.set_school(school, kinds, on)
        tx.put(*PROFILE, school.to_doc())
        audit(tx, ctx.user_id, ctx.now, "digests", changes=[f"{k} {'on' if on else 'off'}" for k in kinds])
    name = bk.esc(state.school.name)
    text = (f"{', '.join(kinds).capitalize()} turned {'on' if on else 'off'} for *{name}*."
            + (f" Off for this school now: {', '.join(off)}." if off else " It sends every digest."))
    return Result(text=text.replace("*", ""), blocks=[bk.section(text), bk.context(FORMS)], public=True)


def _overview(ctx: Ctx) -> Result:
    mine = prefs.person_off(ctx.store, ctx.team_id, ctx.user_id)
    rows = ["*For you*"]
    for k in prefs.PERSON_KINDS:
        rows.append(f"{':no_bell:' if k in mine else ':bell:'} {prefs.WHAT[k]}: *{'off' if k in mine else 'on'}*")
    sid = ctx.school_id
    state = ctx.state() if sid else None
    if state is not None:
        off = prefs.school_off(state.school)
        rows.append(f"\n*For {bk.esc(state.school.name)}*")
        rows.append(f"{':no_bell:' if 'monthly' in off else ':bell:'} its monthly update in this channel and in the roll-ups: *{'off' if 'monthly' in off else 'on'}*")
        rows.append(f"{':no_bell:' if 'weekly' in off else ':bell:'} its place in its liaisons' weekly digests: *{'off' if 'weekly' in off else 'on'}*")
    text = "\n".join(rows)
    return Result(text=text.replace("*", ""), blocks=[bk.section(text), bk.context(FORMS + " · everything the bot sends: docs/staff.md")])
