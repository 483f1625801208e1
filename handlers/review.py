"""Review and approval: "Submit for review" on a step, the reviewer's "Approve" and "Request
changes" buttons, and the feedback modal."""

from __future__ import annotations

from bot.core.metadata import origin_channel
from bot.review.decide import approve_click, changes_click, feedback_submitted
from bot.review.rules import (
    APPROVE_ACTION,
    CHANGES_ACTION,
    FEEDBACK_CALLBACK,
    SUBMIT_ACTION,
)
from bot.review.submit import submit_click
from handlers.context import make_ctx
from handlers.executor import carry_out, guarded
from handlers.modals import submit_modal


def _message(body) -> tuple[str, str] | None:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return (channel, ts) if channel and ts else None


def register(app, services) -> None:
    @app.action(SUBMIT_ACTION)
    def submit_clicked(ack, body, client, respond):
        ack()
        ctx = make_ctx(services, body, client)
        if not ctx.channel_id:  # from a modal: its origin channel
            ctx = make_ctx(services, body, client, channel_id=origin_channel((body.get("view") or {}).get("private_metadata")))
        value = body["actions"][0].get("value", "")
        out = guarded(lambda: submit_click(ctx, value), "submit for review button")
        carry_out(out, ctx, services, client, body, respond)

    def reviewer_button(core, what: str):
        """A reviewer's button (Approve, Request changes): the core decides, ``apply`` carries it out."""

        def listener(ack, body, client, respond):
            ack()
            ctx = make_ctx(services, body, client)
            value = body["actions"][0].get("value", "")
            out = guarded(lambda: core(ctx, value, _message(body)), what)
            carry_out(out, ctx, services, client, body, respond)

        return listener

    app.action(APPROVE_ACTION)(reviewer_button(approve_click, "approve button"))
    app.action(CHANGES_ACTION)(reviewer_button(changes_click, "request changes button"))

    @app.view(FEEDBACK_CALLBACK)
    def feedback(ack, body, view, client):
        ctx = make_ctx(services, body, client)
        text = (((view.get("state") or {}).get("values") or {}).get("feedback") or {}).get("value", {}).get("value") or ""
        meta, view_id = view.get("private_metadata", ""), view.get("id", "")
        submit_modal(ack, body, client, ctx, services,
                     lambda dry: feedback_submitted(ctx, meta, text, view_id, dry=dry), "feedback modal")
