"""The ``/scep`` slash command."""

from __future__ import annotations

from bot.core.command import UserError, dispatch, lookup, parse
from handlers.common import deliver_posts, deliver_uploads, make_ctx, open_view, payload, run_effects, safely


def register(app, services) -> None:
    @app.command("/scep")
    def scep(ack, body, respond, client):
        text = body.get("text") or ""
        try:
            sub = lookup(parse(text)[0])
        except UserError:
            sub = None
        writes = bool(sub and sub.writes)
        if writes:
            ack()  # Slack gives 3 s; acknowledge before touching the store
        ctx = make_ctx(services, body, client)
        reply = safely(lambda: dispatch(ctx, text), f"/scep {text[:80]!r}")
        if reply.view and not reply.error:
            if not writes:
                ack()
            open_view(reply, client, ctx.trigger_id, respond)
            return
        if not reply.text and not reply.blocks:
            if not writes:
                ack()  # the answer is the posts (a checklist posted in the channel)
        elif writes:
            respond(**payload(reply))
        else:
            ack(**payload(reply))
        deliver_posts(reply, client, respond)
        deliver_uploads(reply, client, respond)
        run_effects(reply, services, client, ctx, respond)
        if reply.updates:
            from handlers.effects import apply_updates

            apply_updates(reply.updates, client)
