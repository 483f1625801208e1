"""The "Save as SCEP note" message shortcut: remember the message, open the form."""

from __future__ import annotations

from bot.core.metadata import NoteForm
from bot.notes.shortcut import open_shortcut
from bot.notes.shortcut_view import SHORTCUT_CALLBACK
from handlers.context import make_ctx
from handlers.executor import guarded, open_view, reply
from handlers.notes_state import notes_state


def register(app, services) -> None:
    @app.shortcut(SHORTCUT_CALLBACK)
    def save_note_shortcut(ack, body, client, respond):
        ack()
        channel = (body.get("channel") or {}).get("id") or ""
        message = body.get("message") or {}
        ctx = make_ctx(services, body, client, channel_id=channel)
        data = {
            "channel": channel, "ts": message.get("ts"), "thread_ts": message.get("thread_ts"), "user": message.get("user"),
            "bot_id": message.get("bot_id"), "subtype": message.get("subtype"), "text": message.get("text") or "",
            "files": message.get("files") or [], "opened_by": (body.get("user") or {}).get("id") or "",
        }
        meta = NoteForm(notes_state(services).pending.put(data)).encode()
        result = guarded(lambda: open_shortcut(ctx, meta, data), "save-note shortcut")
        if result.error:
            reply(body, client, respond, result.text)  # no response_url (some shortcuts, Socket Mode): an ephemeral or a DM
            return
        open_view(result.open_view, client, body.get("trigger_id"),
                  lambda _: reply(body, client, respond, ":warning: I couldn't open the form (it may have taken too long). Try the shortcut again."))
