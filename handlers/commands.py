"""The ``/scep`` slash command."""

from __future__ import annotations

from bot.core.command import dispatch, lookup, parse
from bot.core.logtext import user_text
from bot.errors import UserError
from handlers.context import make_ctx
from handlers.executor import carry_out, guarded, open_view, payload, replier, reply

FORM_FAILED = ":warning: I couldn't open the form (it may have taken too long). Try again, or type the command with its arguments: `/scep help`."


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
        result = guarded(lambda: dispatch(ctx, text), f"/scep {user_text(text)}")
        if result.open_view and not result.error:
            if not writes:
                ack()
            open_view(result.open_view, client, ctx.trigger_id, lambda _: reply(body, client, respond, FORM_FAILED))
            return
        if not writes and not (result.text or result.blocks):
            ack()  # the answer is the posts (a checklist posted in the channel)
        carry_out(result, ctx, services, client, body, respond, answer=lambda r: (replier(body, client, respond) if writes else ack)(**payload(r)))
