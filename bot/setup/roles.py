"""``/scep roles``: who is the liaison, principal, team, reviewer and district admin.

Typed (``/scep roles liaison:@ana team:@cy,@di``; Slack sends mentions as ``<@U123>`` or
``<@U123|name>`` when the command escapes them) or in a modal with user pickers ("Edit roles").
"""

from __future__ import annotations

from typing import Any

from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import option_args, subcommand
from bot.core.context import Ctx
from bot.core.metadata import RolesForm
from bot.core.result import Post, Result, failed
from bot.core.school_calendar import read_school
from bot.core.schools import School
from bot.core.steps import audit
from bot.errors import UserError
from bot.store.schema import PROFILE

ROLES_CALLBACK = "scep_roles"
EDIT_ACTION = "roles_edit"
MAX_PEOPLE = {"liaison": 3, "principal": 3, "team": 30, "reviewer": 10, "district": 10}


def roles_text(school: School) -> str:
    rows = []
    for role in R.ROLE_NAMES:
        people = school.roles.get(role) or []
        rows.append(f"*{role}*: " + (" ".join(f"<@{u}>" for u in people) if people else "_nobody yet_"))
    return "\n".join(rows)


def _check_counts(changes: dict[str, list[str]]) -> dict[str, str]:
    errors = {}
    for role, people in changes.items():
        limit = MAX_PEOPLE.get(role, 30)
        if len(people) > limit:
            errors[role] = f"At most {limit} people can be the {role}" if limit <= 3 else f"At most {limit} people in the {role} role"
    return errors


def save_roles(ctx: Ctx, school_id: str, changes: dict[str, list[str]]) -> School | None:
    """Write the roles given (others unchanged); None when nothing changed (a form sent twice)."""
    with ctx.store.transaction(school_id) as tx:
        current = School.from_doc(tx.get(*PROFILE))
        merged = {**current.roles, **changes}
        if {k: v for k, v in merged.items() if v} == {k: v for k, v in current.roles.items() if v}:
            return None
        current.roles = merged
        tx.put(*PROFILE, current.to_doc())
        audit(tx, ctx.user_id, ctx.now, "roles", changes=changes)
    return current


@subcommand(
    "roles",
    usage="/scep roles [liaison:@a] [principal:@b] [team:@c,@d] [reviewer:@x] [district:@y]",
    summary="show or set who holds each role for this school (`role:none` clears; no arguments: a form)",
    examples=["/scep roles", "/scep roles liaison:@ana principal:@ben team:@cy,@di", "/scep roles reviewer:@rae"],
    writes=True,
)
def cmd_roles(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    school = state.school
    if not args:
        text = f"Roles for *{bk.esc(school.name)}*\n{roles_text(school)}\nChange: `/scep roles liaison:@ana team:@cy,@di`, or:"
        button = bk.button("Edit roles", EDIT_ACTION, school.school_id)
        return Result(text=text, blocks=[bk.section(text), bk.actions(button)])
    words, opts = option_args(args, R.ROLE_NAMES)
    if words:
        raise UserError("Write each role as `role:@person`, like `/scep roles principal:@ben team:@cy,@di`")
    R.require(ctx, school, "roles")
    changes = {role: R.parse_people(value, ctx.lookup_user) for role, value in opts.items()}
    errors = _check_counts(changes)
    if errors:
        raise UserError(next(iter(errors.values())))
    current = save_roles(ctx, school.school_id, changes)
    if current is None:
        text = f"Roles for *{bk.esc(school.name)}* are already so:\n{roles_text(school)}"
        return Result(text=text, blocks=[bk.section(text)])
    text = f"Roles for *{bk.esc(current.name)}* updated:\n{roles_text(current)}"
    return Result(text=text, blocks=[bk.section(text)], public=True)


def open_roles_form(ctx: Ctx, school_id: str) -> Result:
    """"Edit roles" (value: the school id): the form, for who may change the school's roles."""
    state = read_school(ctx.store, school_id) if school_id and ctx.store.index_entry(school_id) else None
    if state is None:
        return failed("This school is no longer tracked here.")
    try:
        R.require(ctx, state.school, "roles")
    except UserError as exc:
        return failed(str(exc))
    return Result(open_view=roles_view(RolesForm(school_id, ctx.channel_id), state.school))


def roles_view(form: RolesForm, school: School) -> dict[str, Any]:
    """The "Edit roles" modal: one user picker per role, filled with who holds it now."""
    blocks: list[dict[str, Any]] = [bk.section(f"Who is who at *{bk.esc(school.name)}*. Reviewers get plans to approve; the district sees every plan.")]
    for role in R.ROLE_NAMES:
        el: dict[str, Any] = {"type": "multi_users_select", "action_id": "value", "max_selected_items": MAX_PEOPLE[role],
                              "placeholder": {"type": "plain_text", "text": f"Pick the {role}"}}
        people = school.roles.get(role) or []
        if people:
            el["initial_users"] = list(people)
        blocks.append({"type": "input", "block_id": role, "optional": True, "label": {"type": "plain_text", "text": role.capitalize()}, "element": el})
    return {
        "type": "modal",
        "callback_id": ROLES_CALLBACK,
        "private_metadata": form.encode(),
        "title": {"type": "plain_text", "text": "Edit roles"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def roles_submitted(ctx: Ctx, meta: str, values: dict[str, Any], *, dry: bool = False) -> tuple[dict[str, str] | None, Result]:
    """The roles modal sent: (errors per role block, or None; the announcement)."""
    form = RolesForm.decode(meta)
    if form is None:
        return {"liaison": "This form is out of date: close it and click Edit roles again."}, Result()
    school_id = form.school_id
    state = read_school(ctx.store, school_id) if school_id and ctx.store.index_entry(school_id) else None
    if state is None:
        return {"liaison": "This school is no longer tracked here."}, Result()
    try:
        R.require(ctx, state.school, "roles")
    except UserError as exc:
        return {"liaison": bk.clip(str(exc), 150)}, Result()
    changes: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for role in R.ROLE_NAMES:
        el = (values.get(role) or {}).get("value")
        if el is None:
            continue
        people = list(dict.fromkeys(el.get("selected_users") or []))
        for uid in people:
            user = ctx.lookup_user(uid) if ctx.lookup_user else {}
            if user is None or (user or {}).get("deleted"):
                errors[role] = "Someone picked here has left the workspace: remove them."
            elif (user or {}).get("is_bot"):
                errors[role] = "Pick people, not apps."
        changes[role] = people
    errors.update(_check_counts(changes))
    if errors or dry:
        return errors or None, Result()
    current = save_roles(ctx, school_id, changes)
    if current is None:
        return None, Result()
    text = f"<@{ctx.user_id}> updated the roles of *{bk.esc(current.name)}*:\n{roles_text(current)}"
    return None, Result(posts=[Post(channel=current.channel_id, text=text, blocks=[bk.section(text)])], refresh_home=[ctx.user_id])
