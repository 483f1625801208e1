"""``/scep retention`` and ``/scep privacy …``: the retention period (shown to all, set by a
workspace admin), and for workspace admins only: export a school or a person (a JSON file sent
to the admin's DM with the bot, never to the channel), forget a person, archive or delete a
school. Deletions ask for a confirmation typed out; a refusal is recorded (who, when, what was
asked), never the data."""

from __future__ import annotations

from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result, Upload
from bot.core.schools import School
from bot.errors import UserError
from bot.privacy import retention
from bot.privacy.links import unlink_school
from bot.privacy.person import export_person, forget_person, names_of, valid_user
from bot.privacy.records import log_privacy
from bot.privacy.school import delete_school, export_school, to_file

USAGE = ("`/scep privacy export school`, `/scep privacy export @person`, `/scep privacy forget @person`, "
         "`/scep privacy unlink school`, `/scep privacy archive school`, `/scep privacy delete school`")


def admin_only(ctx: Ctx, what: str) -> None:
    """Workspace admins only; anyone else is refused and the attempt recorded."""
    if R.is_workspace_admin(ctx):
        return
    log_privacy(ctx.store, ctx.user_id, ctx.now, "refused", asked=what, school_id=ctx.school_id)  # not the school's data: a refusal changes none
    raise UserError(f"Only workspace admins can {what}. (This attempt was recorded.)")


@subcommand("retention", usage="/scep retention [years]",
            summary="how long notes and the audit log are kept; an admin sets it: `/scep retention 3`",
            examples=["/scep retention", "/scep retention 3"], writes=True)
def cmd_retention(ctx: Ctx, args: list[str]) -> Result:
    if args:
        n = retention.parse_years(args[0])
        admin_only(ctx, "set the retention")
        retention.set_years(ctx.store, ctx.team_id, n, ctx.user_id, ctx.now)
    n = retention.years(ctx.store, ctx.team_id)
    set_by = retention.setting(ctx.store, ctx.team_id)
    keep_from = retention.oldest_kept(ctx.now, "America/New_York", n)
    who = f"set by <@{set_by['by']}> on {set_by['at'][:10]}" if set_by.get("by") else f"the default"
    text = (f"Notes, notes prompts and the audit log are kept *{n} school year{'s' if n != 1 else ''}* after the school year they "
            f"belong to ({who}). Today that keeps {keep_from.name} and later; older ones are deleted for good by the daily sweep."
            + (" A workspace admin changes it with `/scep retention <years>`." if not args else ""))
    return Result(text=text, public=bool(args))


def _names(ctx: Ctx, uid: str) -> tuple[str, ...]:
    return names_of(ctx.lookup_user(uid) if ctx.lookup_user else None)


def _person(args: list[str]) -> str:
    uid = valid_user(args[0]) if args else None
    if uid is None:
        raise UserError("Name the person as a mention: `/scep privacy forget @person`.")
    return uid


@subcommand("privacy", usage="/scep privacy export|forget|unlink|archive|delete …",
            summary="workspace admins: export or delete a school or a person; unlink a school (its data kept)", examples=["/scep privacy export school", "/scep privacy forget @lee"],
            writes=True)
def cmd_privacy(ctx: Ctx, args: list[str]) -> Result:
    verb, rest = (args[0].lower(), args[1:]) if args else ("", [])
    if verb not in ("export", "forget", "unlink", "archive", "delete"):
        raise UserError(f"Say what to do: {USAGE}.")
    school_target = bool(rest) and rest[0].lower() == "school"
    admin_only(ctx, f"{verb} {'a school' if school_target or verb in ('unlink', 'archive', 'delete') else 'a person'}'s data")
    if verb == "export":
        if school_target:
            state = ctx.state()
            data = export_school(ctx.store, state.school.school_id, ctx.now)
            name, title = f"school-{state.school.school_id}.json", f"Everything kept about {state.school.name}"
        else:
            uid = _person(rest)
            data = export_person(ctx.store, uid, ctx.now, _names(ctx, uid), ctx.team_id)
            name, title = f"person-{uid}.json", "Everything kept about one person"
        log_privacy(ctx.store, ctx.user_id, ctx.now, "exported", of="school" if school_target else "person")
        return Result(text=":package: The export is in your DM with me.", uploads=[Upload(ctx.user_id, name, to_file(data), bk.esc(title))])
    if verb == "forget":
        uid = _person(rest)
        if [a.lower() for a in rest[1:]] != ["confirm"]:
            return Result(text=f"This takes <@{uid}> out of every school for good: their roles, their name on notes and on every recorded "
                               f"change (shown as _former staff_), mentions of them, their calendar links. The notes themselves stay. "
                               f"To go on, type `/scep privacy forget <@{uid}> confirm`.")
        c = forget_person(ctx.store, uid, ctx.user_id, ctx.now, _names(ctx, uid), ctx.team_id)
        return Result(text=f":wastebasket: Forgotten: {c['documents']} records in {c['schools']} school(s) no longer name that person.")
    if not school_target:
        raise UserError(f"`/scep privacy {verb} school`, typed in the school's channel.")
    state = ctx.state()
    school = state.school
    typed = " ".join(rest[1:]).strip()
    if verb == "unlink":
        return _unlink(ctx, school, typed)
    if typed.lower() != school.name.lower():
        what = "sends you its export, then deletes" if verb == "archive" else "deletes"
        return Result(text=f"This {what} *{bk.esc(school.name)}* for good: its setup, roles, steps, checklists, notes and audit log, "
                           f"from every copy the bot keeps, and frees this channel. To go on, type "
                           f"`/scep privacy {verb} school {bk.esc(school.name)}`.")
    uploads = []
    if verb == "archive":
        data = export_school(ctx.store, school.school_id, ctx.now)
        uploads = [Upload(ctx.user_id, f"school-{school.school_id}.json", to_file(data), bk.esc(f"Archive of {school.name}"))]
    delete_school(ctx.store, school.school_id, ctx.user_id, ctx.now, archived=verb == "archive")
    return Result(text=f":wastebasket: <@{ctx.user_id}> deleted *{bk.esc(school.name)}* for good; this channel is free "
                       f"(`/scep setup <name>` links a new school).", public=True, uploads=uploads)


def _unlink(ctx: Ctx, school: School, typed: str) -> Result:
    """Free the channel, keep the school's data (bot/privacy/links.py); the name typed confirms."""
    if typed.lower() != school.name.lower():
        return Result(text=f"This unlinks *{bk.esc(school.name)}* from this channel: its setup, steps, checklists, notes and audit log are "
                           f"kept (under the retention, `/scep retention`) but nothing more is posted for it, replies to its notes prompts "
                           f"are no longer collected and its calendar links stop until it is linked again. This channel is freed. "
                           f"To go on, type `/scep privacy unlink school {bk.esc(school.name)}`.")
    unlink_school(ctx.store, school.school_id, ctx.user_id, ctx.now)
    return Result(text=f":link: <@{ctx.user_id}> unlinked *{bk.esc(school.name)}* from this channel; its data is kept and this channel is free "
                       f"(`/scep setup <name>` links a new school). A workspace admin links it back with "
                       f"`/scep relink {bk.esc(school.name)}` in any channel with no school.", public=True)
