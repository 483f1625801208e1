"""``/scep roles``: who is the liaison, principal, team, reviewer and district admin."""

from __future__ import annotations

from bot import blocks as bk
from bot import roles as R
from bot.command import Ctx, Reply, UserError, option_args, subcommand
from bot.schools import PROFILE, School
from bot.steps import audit


def roles_text(school: School) -> str:
    rows = []
    for role in R.ROLE_NAMES:
        people = school.roles.get(role) or []
        rows.append(f"*{role}*: " + (" ".join(f"<@{u}>" for u in people) if people else "_nobody yet_"))
    return "\n".join(rows)


@subcommand(
    "roles",
    usage="/scep roles [liaison:@a] [principal:@b] [team:@c,@d] [reviewer:@x] [district:@y]",
    summary="show or set who holds each role for this school (`role:none` clears)",
    examples=["/scep roles", "/scep roles liaison:@ana principal:@ben team:@cy,@di"],
    writes=True,
)
def cmd_roles(ctx: Ctx, args: list[str]) -> Reply:
    state = ctx.state()
    school = state.school
    if not args:
        text = f"Roles for *{bk.esc(school.name)}*\n{roles_text(school)}\nChange: `/scep roles liaison:@ana team:@cy,@di`"
        return Reply(text=text, blocks=[bk.section(text)])
    words, opts = option_args(args, R.ROLE_NAMES)
    if words:
        raise UserError("Write each role as `role:@person`, like `/scep roles principal:@ben team:@cy,@di`")
    R.require(ctx, school, "roles")
    changes = {role: R.parse_people(value, ctx.lookup_user) for role, value in opts.items()}
    for role in ("liaison", "principal"):
        if len(changes.get(role, [])) > 3:
            raise UserError(f"At most 3 people can be the {role}")
    with ctx.store.transaction(school.school_id) as tx:
        current = School.from_doc(tx.get(*PROFILE))
        current.roles = {**current.roles, **changes}
        tx.put(*PROFILE, current.to_doc())
        audit(tx, ctx.user_id, ctx.now, "roles", changes=changes)
    text = f"Roles for *{bk.esc(current.name)}* updated:\n{roles_text(current)}"
    return Reply(text=text, blocks=[bk.section(text)], public=True)
