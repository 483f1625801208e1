"""Modal submissions."""

from __future__ import annotations

from bot.core.metadata import ChannelForm
from bot.setup.apply import apply_setup
from bot.setup.form import SETUP_CALLBACK, setup_fields_from_view
from bot.setup.validate import form_errors
from handlers.context import make_ctx
from handlers.executor import answer_in_channel, carry_out, guarded


def register(app, services) -> None:
    @app.view(SETUP_CALLBACK)
    def setup_submitted(ack, body, view, client):
        form = ChannelForm.decode(view.get("private_metadata"))  # unsealed by handlers/sealed_views.py
        channel = form.channel_id if form else ""
        ctx = make_ctx(services, body, client, channel_id=channel)
        fields = setup_fields_from_view(view["state"]["values"])
        errors = form_errors(ctx.library, fields)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        result = guarded(lambda: apply_setup(ctx, fields), "setup modal")
        carry_out(result, ctx, services, client, body, answer=answer_in_channel(client, channel, ctx.user_id))
