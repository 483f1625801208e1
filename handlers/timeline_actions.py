"""The "Picture of the year" button under ``/scep timeline``: uploads the PNG to the channel."""

from __future__ import annotations

from bot.timeline.commands import timeline_picture
from bot.timeline.views import PICTURE_ACTION
from handlers.context import make_ctx
from handlers.executor import carry_out, guarded


def register(app, services) -> None:
    @app.action(PICTURE_ACTION)
    def picture_clicked(ack, body, client, respond):
        ack()
        ctx = make_ctx(services, body, client)
        value = str(body["actions"][0].get("value") or "")[:20]
        out = guarded(lambda: timeline_picture(ctx, [value] if value else []), "picture of the year button")
        carry_out(out, ctx, services, client, body, respond)
