"""Modals of this feature: "Pick a date" (schedule) and "Edit roles"."""

from __future__ import annotations

from bot.core.result import Result, failed
from bot.scheduling.commands import SCHEDULE_CALLBACK, schedule_submitted
from bot.setup.roles import EDIT_ACTION, ROLES_CALLBACK, roles_submitted, roles_view
from handlers.context import make_ctx
from handlers.executor import carry_out, guarded


def register(app, services) -> None:
    @app.action(EDIT_ACTION)
    def edit_roles(ack, body, client, respond):
        ack()
        ctx = make_ctx(services, body, client)
        school_id = body["actions"][0].get("value", "")
        out = guarded(lambda: roles_view(ctx, school_id), "edit roles button")
        carry_out(out, ctx, services, client, body, respond)

    @app.view(ROLES_CALLBACK)
    def roles_saved(ack, body, view, client):
        meta = view.get("private_metadata", "")
        ctx = make_ctx(services, body, client, channel_id=meta.split("|")[1] if "|" in meta else "")
        submit_modal(ack, body, client, ctx, services, lambda dry: roles_submitted(ctx, meta, view["state"]["values"], dry=dry), "roles modal")

    @app.view(SCHEDULE_CALLBACK)
    def schedule_saved(ack, body, view, client):
        meta = view.get("private_metadata", "")
        parts = meta.split("|")
        ctx = make_ctx(services, body, client, channel_id=parts[2] if len(parts) > 2 else "")
        submit_modal(ack, body, client, ctx, services, lambda dry: schedule_submitted(ctx, meta, view["state"]["values"], dry=dry), "schedule modal")


def submit_modal(ack, body, client, ctx, services, fn, what: str) -> None:
    """Check a modal (field errors keep it open), ack before any write, then save and carry out.

    The save checks again: what changed in between (or a second send of the same form) gets a
    clear notice and is written at most once."""
    holder: dict = {}

    def check() -> Result:
        holder["errors"], _ = fn(True)
        return Result()

    failed_check = guarded(check, what)
    if failed_check.error:
        ack()
        carry_out(failed_check, ctx, services, client, body)
        return
    if holder.get("errors"):
        ack(response_action="errors", errors=holder["errors"])
        return
    ack()

    def save() -> Result:
        errors, out = fn(False)
        return failed(" ".join(errors.values())) if errors else out

    carry_out(guarded(save, what), ctx, services, client, body)
