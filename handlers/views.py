"""Modal submissions."""

from __future__ import annotations

from bot.timeline.commands import (
    SETUP_CALLBACK,
    apply_setup,
    setup_fields_from_view,
    setup_view_errors,
)
from handlers.context import make_ctx
from handlers.executor import answer_in_channel, carry_out, guarded


def register(app, services) -> None:
    @app.view(SETUP_CALLBACK)
    def setup_submitted(ack, body, view, client):
        channel = view.get("private_metadata") or ""
        ctx = make_ctx(services, body, client, channel_id=channel)
        fields = setup_fields_from_view(view["state"]["values"])
        errors = setup_view_errors(ctx, fields)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        result = guarded(lambda: apply_setup(ctx, fields), "setup modal")
        carry_out(result, ctx, services, client, body, answer=answer_in_channel(client, channel, ctx.user_id))
