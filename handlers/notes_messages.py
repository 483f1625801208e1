"""The ``message`` event: a reply in a prompt's thread is saved as a note, its edit updates the
note, its deletion removes it (``bot.notes.capture``); then the saved reaction and the author's
warnings (``handlers.notes_state.react_and_warn``)."""

from __future__ import annotations

from typing import Any

from bot.notes.capture import Capture, capture, remove
from bot.notes.names import display_name
from handlers.calendar_files import import_from_message
from handlers.context import user_lookup
from handlers.notes_backfill import backfill, recover_prompt
from handlers.notes_state import notes_state, react_and_warn, workspace

CAPTURED_SUBTYPES = (None, "thread_broadcast", "file_share", "me_message")


def handle_message(services, client, body: dict[str, Any]) -> Capture | None:
    """One ``message`` event: a reply, an edit, a deletion, a broadcast."""
    state = notes_state(services)
    event = body.get("event") or {}
    event_id = body.get("event_id") or ""
    sub = event.get("subtype")
    if sub not in CAPTURED_SUBTYPES + ("message_changed", "message_deleted"):
        return None
    if sub is None and not event.get("thread_ts") and not event.get("files"):
        return None  # the common case: a top-level message, nothing to do (no store access)
    seen = state.events
    if event_id and not seen.first(event_id):
        return None  # a retry of an event handled or in flight
    try:
        team = body.get("team_id") or event.get("team") or ""
        now = services.clock()
        store = services.store
        channel = event.get("channel") or ""
        ws = workspace(services, client)
        base, bot_uid = ws.url, ws.bot_user_id
        lookup = user_lookup(client)

        def name_of(uid: str) -> str | None:
            return display_name(lookup(uid))

        if sub == "message_deleted":
            prev = event.get("previous_message") or {}
            out = remove(store, team, channel, event.get("deleted_ts") or prev.get("ts") or "", prev.get("thread_ts"), now)
        elif sub == "message_changed":
            msg = dict(event.get("message") or {})
            msg["channel"] = channel
            if msg.get("subtype") == "tombstone":
                out = remove(store, team, channel, msg.get("ts") or "", msg.get("thread_ts"), now)
            else:
                out = capture(store, team, msg, now, base_url=base, name_of=name_of, bot_user_id=bot_uid, event_id=event_id, edit=True)
        else:
            msg = dict(event)
            out = capture(store, team, msg, now, base_url=base, name_of=name_of, bot_user_id=bot_uid, event_id=event_id)
            if out.reason == "not a prompt's thread" and bot_uid and event.get("parent_user_id") == bot_uid:
                sid = recover_prompt(services, client, team, channel, event.get("thread_ts") or "", now)
                if sid is not None:
                    out = capture(store, team, msg, now, base_url=base, name_of=name_of, bot_user_id=bot_uid, event_id=event_id)
                    react_and_warn(services, client, out)
                    backfill(services, client, [sid])  # the replies written before this one
                    return out
        if out.action != "ignored":
            react_and_warn(services, client, out)
        return out
    except BaseException:
        if event_id:
            seen.forget(event_id)
        raise


def register(app, services) -> None:
    @app.event("message")
    def on_message(body, client):
        if import_from_message(services, client, body):  # an .ics shared with "holidays import"
            return
        handle_message(services, client, body)
