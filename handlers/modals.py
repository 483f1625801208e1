"""Modals: "Pick a date" (schedule), "Report the dates" (an event-anchored step) and "Edit roles"."""

from __future__ import annotations

from bot.core.metadata import RolesForm, origin_channel
from bot.core.result import Result, failed
from bot.nudges.view import ANCHOR_ACTION
from bot.scheduling.anchor_form import ANCHOR_CALLBACK, anchor_form, anchor_submitted
from bot.scheduling.schedule_form import SCHEDULE_CALLBACK, schedule_submitted
from bot.setup.roles import (
    EDIT_ACTION,
    ROLES_CALLBACK,
    open_roles_form,
    roles_submitted,
)
from handlers.context import make_ctx
from handlers.executor import carry_out, guarded


def register(app, services) -> None:
    @app.action(EDIT_ACTION)
    def edit_roles(ack, body, client, respond):
        ack()
        ctx = make_ctx(services, body, client)
        school_id = body["actions"][0].get("value", "")
        out = guarded(lambda: open_roles_form(ctx, school_id), "edit roles button")
        carry_out(out, ctx, services, client, body, respond)

    @app.view(ROLES_CALLBACK)
    def roles_saved(ack, body, view, client):
        meta = view.get("private_metadata", "")
        form = RolesForm.decode(meta)
        ctx = make_ctx(services, body, client, channel_id=form.origin_channel if form else "")
        submit_modal(ack, body, client, ctx, services, lambda dry: roles_submitted(ctx, meta, view["state"]["values"], dry=dry), "roles modal")

    @app.action(ANCHOR_ACTION)
    def report_dates(ack, body, client, respond):
        ack()
        origin = (body.get("channel") or {}).get("id", "")
        ctx = make_ctx(services, body, client, channel_id=origin)
        value = body["actions"][0].get("value") or ""
        out = guarded(lambda: anchor_form(ctx, value, origin), "report the dates button")
        carry_out(out, ctx, services, client, body, respond)

    @app.view(ANCHOR_CALLBACK)
    def anchor_dates_saved(ack, body, view, client):
        meta = view.get("private_metadata", "")
        ctx = make_ctx(services, body, client, channel_id=origin_channel(meta))
        submit_modal(ack, body, client, ctx, services, lambda dry: anchor_submitted(ctx, meta, view["state"]["values"], dry=dry), "anchor dates modal")

    @app.view(SCHEDULE_CALLBACK)
    def schedule_saved(ack, body, view, client):
        meta = view.get("private_metadata", "")
        ctx = make_ctx(services, body, client, channel_id=origin_channel(meta))
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
