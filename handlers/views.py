"""Modal submissions."""

from __future__ import annotations

from bot.timeline.commands import SETUP_CALLBACK, apply_setup, setup_fields_from_view, setup_view_errors
from bot.core.command import UserError
from handlers.common import log, make_ctx, safely


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

        def run():
            try:
                return apply_setup(ctx, fields)
            except UserError as exc:
                from bot.core.command import error_reply

                return error_reply(str(exc))

        reply = safely(run, "setup modal")
        try:
            if reply.error or not reply.public:
                client.chat_postEphemeral(channel=channel, user=ctx.user_id, text=reply.text)
            else:
                client.chat_postMessage(channel=channel, text=reply.text, blocks=reply.blocks)
        except Exception as exc:  # noqa: BLE001 - the school is saved; only the notice failed
            log.warning("setup notice to %s failed: %s", channel, exc)
