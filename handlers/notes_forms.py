"""The notes' form submissions: "Save as SCEP note" (file the message under a school, step and
commitment) and the commitments form."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.core.metadata import ChannelForm
from bot.errors import UserError
from bot.notes.commitments import clean_commitments
from bot.notes.commitments_command import (
    COMMITMENTS_CALLBACK,
    commitments_from_view,
    submit_commitments,
)
from bot.notes.names import display_name
from bot.notes.shortcut import save_from_shortcut
from bot.notes.shortcut_view import SHORTCUT_VIEW, shortcut_choice
from handlers.context import make_ctx
from handlers.executor import answer_in_channel, carry_out, guarded
from handlers.notes_state import notes_state, permalink


def register(app, services) -> None:
    @app.view(SHORTCUT_VIEW)
    def save_note_submitted(ack, body, client, view):
        data = notes_state(services).pending.get(view, body)
        if data is None:
            ack(response_action="errors", errors={"school": "This form expired (the bot restarted): close it and use the shortcut again."})
            return
        school, step, commitment = shortcut_choice(view["state"]["values"])
        if not step:
            ack(response_action="errors", errors={"step": "Pick a step."})
            return
        ack()
        ctx = make_ctx(services, body, client, channel_id=data["channel"])
        msg = dict(data)
        link = permalink(services, client, msg["channel"], msg["ts"], msg.get("thread_ts"))
        name = None
        try:
            name = display_name(ctx.lookup_user(msg["user"])) if ctx.lookup_user else None
        except SlackApiError:
            pass
        result = guarded(lambda: save_from_shortcut(ctx, msg, school, step, commitment, permalink=link, author_name=name), "save-note modal")
        carry_out(result, ctx, services, client, body, answer=answer_in_channel(client, data["channel"], ctx.user_id, blocks_when_private=True))

    @app.view(COMMITMENTS_CALLBACK)
    def commitments_submitted(ack, body, client, view):
        form = ChannelForm.decode(view.get("private_metadata"))  # unsealed by handlers/sealed_views.py
        channel = form.channel_id if form else ""
        ctx = make_ctx(services, body, client, channel_id=channel)
        items = commitments_from_view(view["state"]["values"])
        try:
            items = clean_commitments(items)
        except UserError as exc:
            ack(response_action="errors", errors={"c1": str(exc)[:150]})
            return
        ack()
        result = guarded(lambda: submit_commitments(ctx, items), "commitments modal")
        carry_out(result, ctx, services, client, body, answer=answer_in_channel(client, channel, ctx.user_id))
