"""The notes' buttons and pickers: Redact and Keep as is on the privacy warning, and the school
picker of the "Save as SCEP note" form (it refreshes the form's steps and commitments)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.core.result import Result
from bot.notes.flags import decide_flag
from bot.notes.shortcut import shortcut_form
from bot.notes.shortcut_view import ACTION_SCHOOL
from bot.notes.warning import ACTION_KEEP, ACTION_REDACT
from handlers.context import make_ctx
from handlers.executor import carry_out, guarded, reply
from handlers.notes_state import notes_state

log = logging.getLogger("scep-bot")


def register(app, services) -> None:
    @app.action(ACTION_SCHOOL)
    def school_picked(ack, body, client, action):
        ack()
        view = body.get("view") or {}
        data = notes_state(services).pending.get(view, body)
        if data is None or not view.get("id"):
            return
        ctx = make_ctx(services, body, client, channel_id=data["channel"])
        sid = (action.get("selected_option") or {}).get("value")
        meta = view.get("private_metadata") or ""
        result = guarded(lambda: Result(update_view=shortcut_form(ctx, meta, sid, data["text"])), "save-note school")
        if result.update_view:
            try:
                client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=result.update_view)
            except SlackApiError as exc:
                log.info("views.update of the note form: %s", exc.response.get("error"))

    def flag_decision(redacting: bool):
        def listener(ack, body, client, action, respond):
            ack()
            channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
            ctx = make_ctx(services, body, client, channel_id=channel)
            result = guarded(lambda: decide_flag(ctx, action.get("value") or "", redacting), "note flag button")

            def answer(r: Result) -> None:  # the warning is an ephemeral message: redo it in place
                reply(body, client, respond, r.text, blocks=r.blocks, replace_original=not r.error)

            carry_out(result, ctx, services, client, body, answer=answer)

        return listener

    app.action(ACTION_REDACT)(flag_decision(True))
    app.action(ACTION_KEEP)(flag_decision(False))
