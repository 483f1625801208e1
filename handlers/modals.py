"""Modals of this feature: "Pick a date" (schedule) and "Edit roles"."""

from __future__ import annotations

from bot.setup.roles import EDIT_ACTION, ROLES_CALLBACK, roles_submitted, roles_view
from bot.scheduling.commands import SCHEDULE_CALLBACK, schedule_submitted
from handlers.common import make_ctx
from handlers.effects import apply, run


def register(app, services) -> None:
    @app.action(EDIT_ACTION)
    def edit_roles(ack, body, client, respond):
        ack()
        ctx = make_ctx(services, body, client)
        school_id = body["actions"][0].get("value", "")
        out = run(lambda: roles_view(ctx, school_id), "edit roles button")
        apply(out, ctx, services, body, client, respond)

    @app.view(ROLES_CALLBACK)
    def roles_saved(ack, body, view, client):
        meta = view.get("private_metadata", "")
        ctx = make_ctx(services, body, client, channel_id=meta.split("|")[1] if "|" in meta else "")
        _submit(ack, body, client, ctx, services, lambda dry: roles_submitted(ctx, meta, view["state"]["values"], dry=dry), "roles modal")

    @app.view(SCHEDULE_CALLBACK)
    def schedule_saved(ack, body, view, client):
        meta = view.get("private_metadata", "")
        parts = meta.split("|")
        ctx = make_ctx(services, body, client, channel_id=parts[2] if len(parts) > 2 else "")
        _submit(ack, body, client, ctx, services, lambda dry: schedule_submitted(ctx, meta, view["state"]["values"], dry=dry), "schedule modal")


def _submit(ack, body, client, ctx, services, fn, what: str) -> None:
    """Check a modal (field errors keep it open), ack before any write, then save and carry out.

    The save checks again: what changed in between (or a second send of the same form) gets a
    clear notice and is written at most once."""
    submit_modal(ack, body, client, ctx, services, fn, what)


def submit_modal(ack, body, client, ctx, services, fn, what: str) -> None:
    holder: dict = {}

    def check():
        errors, _ = fn(True)
        holder["errors"] = errors
        from bot.core.result import Outcome

        return Outcome()

    failed_check = run(check, what)
    if failed_check.error:
        ack()
        apply(failed_check, ctx, services, body, client)
        return
    if holder.get("errors"):
        ack(response_action="errors", errors=holder["errors"])
        return
    ack()

    def save():
        errors, out = fn(False)
        if errors:
            from bot.core.result import failed

            return failed(" ".join(errors.values()))
        return out

    apply(run(save, what), ctx, services, body, client)
