"""Notes from Slack: thread replies (``message`` events), the "Save as SCEP note" message
shortcut and its modal, the commitments modal, the privacy warning's buttons, and the backfill
of prompt threads (on start and on ``/scep notes sync``).

Thin: parse what Slack sent, call ``bot.notes``/``bot.cmd_notes``, then do what the ``Outcome``
says (react once the note is stored, warn the author). Slack retries an event it thinks was not
received (same ``event_id``, ``X-Slack-Retry-Num``): an event id handled (or in flight) is
skipped here, and a note is keyed by (channel, ts) in the store, so a retry after a restart
updates the same note instead of adding one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.core.result import Result
from bot.errors import UserError
from bot.notes import commands as cmd_notes
from bot.notes import notes
from handlers.context import make_ctx, user_lookup
from handlers.executor import (
    FOLLOWUPS,
    answer_in_channel,
    carry_out,
    guarded,
    open_view,
    tell,
)

log = logging.getLogger("scep-bot")

CAPTURED_SUBTYPES = (None, "thread_broadcast", "file_share", "me_message")
PENDING_SECONDS = 3600
REPLIES_PAGE = 200


class SeenEvents:
    """Event ids handled or in flight (bounded, in memory): Slack's retries come within minutes."""

    def __init__(self, size: int = 20_000) -> None:
        self._ids: OrderedDict[str, bool] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def start(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = False
            while len(self._ids) > self._size:
                self._ids.popitem(last=False)
            return True

    def done(self, event_id: str) -> None:
        with self._lock:
            self._ids[event_id] = True

    def fail(self, event_id: str) -> None:
        with self._lock:
            self._ids.pop(event_id, None)


def _extras(services) -> dict[str, Any]:
    ex = services.extras
    ex.setdefault("notes_seen", SeenEvents())
    ex.setdefault("notes_reacted", SeenEvents())  # (channel:ts) reacted to by this process
    ex.setdefault("notes_not_prompts", SeenEvents(5_000))  # bot threads looked at that are not prompts
    ex.setdefault("notes_pending", {})
    ex.setdefault("notes_lock", threading.Lock())
    return ex


def base_url(services, client) -> str | None:
    """The workspace's URL (auth.test, once) to build permalinks without a call per note."""
    ex = _extras(services)
    if "team_url" not in ex:
        try:
            res = client.auth_test()
            ex["team_url"] = res.get("url") or None
            ex["bot_user_id"] = res.get("user_id")
            ex["bot_id"] = res.get("bot_id")
        except SlackApiError as exc:
            log.warning("auth.test failed (%s): permalinks will be asked for one by one", exc.response.get("error"))
            return None
    return ex["team_url"]


def _permalink(services, client, channel: str, ts: str, thread_ts: str | None) -> str:
    base = base_url(services, client)
    if base:
        return notes.build_permalink(base, channel, ts, thread_ts)
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink") or ""
    except SlackApiError:
        return ""


def _display_name(user: dict[str, Any] | None) -> str | None:
    if not user:
        return None
    prof = user.get("profile") or {}
    return prof.get("real_name") or user.get("real_name") or prof.get("display_name") or user.get("name")


def react_and_warn(services, client, out: notes.Outcome, reacted: SeenEvents | None = None) -> None:
    """Carry out what a captured message asks of Slack (``cmd_notes.capture_result``); the saved
    reaction once per message and process (Slack answers already_reacted to the rest)."""
    result = cmd_notes.capture_result(out)
    result.reactions = [r for r in result.reactions if reacted is None or reacted.start(notes.note_key(r.channel, r.ts))]
    carry_out(result, None, services, client)


def handle_message(services, client, body: dict[str, Any]) -> notes.Outcome | None:
    """One ``message`` event: a reply, an edit, a deletion, a broadcast."""
    ex = _extras(services)
    event = body.get("event") or {}
    event_id = body.get("event_id") or ""
    sub = event.get("subtype")
    if sub not in CAPTURED_SUBTYPES + ("message_changed", "message_deleted"):
        return None
    if sub is None and not event.get("thread_ts") and not event.get("files"):
        return None  # the common case: a top-level message, nothing to do (no store access)
    seen: SeenEvents = ex["notes_seen"]
    if event_id and not seen.start(event_id):
        return None  # a retry of an event handled or in flight
    try:
        team = body.get("team_id") or event.get("team") or ""
        now = services.clock()
        store = services.store
        channel = event.get("channel") or ""
        base = base_url(services, client)
        bot_uid = ex.get("bot_user_id")
        lookup = user_lookup(client)

        def name_of(uid: str) -> str | None:
            return _display_name(lookup(uid))

        if sub == "message_deleted":
            prev = event.get("previous_message") or {}
            out = notes.remove(store, team, channel, event.get("deleted_ts") or prev.get("ts") or "", prev.get("thread_ts"), now)
        elif sub == "message_changed":
            msg = dict(event.get("message") or {})
            msg["channel"] = channel
            if msg.get("subtype") == "tombstone":
                out = notes.remove(store, team, channel, msg.get("ts") or "", msg.get("thread_ts"), now)
            else:
                out = notes.capture(store, team, msg, now, base_url=base, name_of=name_of, bot_user_id=bot_uid, event_id=event_id, edit=True)
        else:
            msg = dict(event)
            out = notes.capture(store, team, msg, now, base_url=base, name_of=name_of, bot_user_id=bot_uid, event_id=event_id)
            if out.reason == "not a prompt's thread" and bot_uid and event.get("parent_user_id") == bot_uid:
                sid = recover_prompt(services, client, team, channel, event.get("thread_ts") or "", now)
                if sid is not None:
                    out = notes.capture(store, team, msg, now, base_url=base, name_of=name_of, bot_user_id=bot_uid, event_id=event_id)
                    react_and_warn(services, client, out, ex["notes_reacted"])
                    backfill(services, client, [sid])  # the replies written before this one
                    if event_id:
                        seen.done(event_id)
                    return out
        if out.action != "ignored":
            react_and_warn(services, client, out, ex["notes_reacted"])
        if event_id:
            seen.done(event_id)
        return out
    except BaseException:
        if event_id:
            seen.fail(event_id)
        raise


def recover_prompt(services, client, team: str, channel: str, thread_ts: str, now) -> str | None:
    """A reply in a thread of the bot's that is no known prompt: if the thread's parent is a prompt
    the bot posted but never recorded (killed between the post and the write, or Slack's answer
    lost), record it from the message's metadata. Each thread is looked at once (per process)."""
    ex = _extras(services)
    key = notes.note_key(channel, thread_ts)
    if not thread_ts or not ex["notes_not_prompts"].start(key):
        return None
    try:
        res = client.conversations_replies(channel=channel, ts=thread_ts, limit=1, include_all_metadata=True)
    except SlackApiError as exc:
        ex["notes_not_prompts"].fail(key)  # look again at the next reply
        log.warning("conversations.replies %s failed: %s", key, exc.response.get("error"))
        return None
    parent = next((m for m in res.get("messages") or [] if m.get("ts") == thread_ts), None)
    if parent is None:
        return None
    hit = notes.recover_prompt(services.store, team, channel, parent, now, bot_user_id=ex.get("bot_user_id"), bot_id=ex.get("bot_id"))
    if hit is None:
        return None
    log.warning("notes prompt %s was posted but not recorded (a crash or a lost answer from Slack): recovered from its metadata", key)
    return hit[0]


# ---------------------------------------------------------------- backfill


def read_replies(client, channel: str, ts: str) -> list[dict[str, Any]]:
    """Every message of a thread, following ``conversations.replies``' cursor to the end."""
    out: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        args: dict[str, Any] = {"channel": channel, "ts": ts, "limit": REPLIES_PAGE}
        if cursor:
            args["cursor"] = cursor
        res = client.conversations_replies(**args)
        out.extend(res.get("messages") or [])
        cursor = (res.get("response_metadata") or {}).get("next_cursor")
        if not res.get("has_more") or not cursor:
            break
    return out


def backfill(services, client, school_ids: list[str] | None = None) -> notes.SyncResult:
    """Read every open prompt thread and save the replies missed (bot down, events lost)."""
    store = services.store
    now = services.clock()
    total = notes.SyncResult()
    prompts = notes.open_prompts(store, now, school_ids)
    if not prompts:
        return total
    base = base_url(services, client)
    bot_uid = _extras(services).get("bot_user_id")
    lookup = user_lookup(client)
    for sid, prompt in prompts:
        try:
            messages = read_replies(client, prompt["channel"], prompt["ts"])
        except SlackApiError as exc:
            err = exc.response.get("error")
            log.warning("conversations.replies %s/%s failed: %s", prompt["channel"], prompt["ts"], err)
            total.failed.append(f"{prompt.get('title', prompt['step'])} ({err})")
            continue
        names = {}
        for m in messages:
            uid = m.get("user")
            if uid and uid not in names and not m.get("bot_id"):
                try:
                    names[uid] = _display_name(lookup(uid))
                except SlackApiError:
                    names[uid] = None
        res = notes.ingest_thread(store, sid, prompt, messages, now, base_url=base, names=names, bot_user_id=bot_uid)
        for out in res.saved:
            react_and_warn(services, client, out, _extras(services)["notes_reacted"])
        total.add(res)
    return total


def start_backfill(services, client) -> threading.Thread:
    """The start-up backfill, in the background so that start-up stays fast."""

    def run() -> None:
        started = time.monotonic()
        try:
            res = backfill(services, client)
        except Exception:  # noqa: BLE001 - logged; the next start or /scep notes sync tries again
            log.exception("notes backfill failed")
            return
        if res.prompts:
            log.info("notes backfill: %s (%.1fs)", res.summary(), time.monotonic() - started)

    t = threading.Thread(target=run, name="notes-backfill", daemon=True)
    services.extras["notes_backfill"] = t
    t.start()
    return t


def _sync(request: notes.SyncNotes, services, client, ctx, respond) -> None:
    res = backfill(services, client, [request.school_id])
    if respond is not None:
        respond(text=res.summary(), response_type="ephemeral")


FOLLOWUPS[notes.SyncNotes] = _sync


# ---------------------------------------------------------------- listeners


def _pending_put(services, data: dict[str, Any]) -> str:
    ex = _extras(services)
    token = uuid.uuid4().hex[:16]
    with ex["notes_lock"]:
        now = time.monotonic()
        pending = ex["notes_pending"]
        for k in [k for k, (t, _) in pending.items() if now - t > PENDING_SECONDS]:
            pending.pop(k, None)
        pending[token] = (now, data)
    return token


def _token(view: dict[str, Any]) -> str:
    """The pending-form token in the note form's private_metadata (``{"p": token}``), or ""."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return ""
    token = meta.get("p") if isinstance(meta, dict) else None
    return token if isinstance(token, str) else ""


def _pending_get(services, token: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """The message a note form was opened for, if this person opened that form."""
    ex = _extras(services)
    with ex["notes_lock"]:
        hit = ex["notes_pending"].get(token)
    if not hit or hit[1].get("opened_by") != ((body.get("user") or {}).get("id") or ""):
        return None
    return hit[1]


def register(app, services) -> None:
    @app.event("message")
    def on_message(body, client):
        handle_message(services, client, body)

    @app.shortcut(cmd_notes.SHORTCUT_CALLBACK)
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
        meta = json.dumps({"p": _pending_put(services, data)})

        def build() -> Result:
            if notes.is_from_bot(data) or not data["user"]:
                raise UserError("Save a person's message as a note, not a bot's.")
            return Result(open_view=cmd_notes.shortcut_view(ctx, meta, None, data["text"]))

        result = guarded(build, "save-note shortcut")
        if result.error:
            respond(text=result.text, response_type="ephemeral")
            return
        open_view(result.open_view, client, body.get("trigger_id"),
                  lambda _: respond(text=":warning: I couldn't open the form (it may have taken too long). Try the shortcut again.", response_type="ephemeral"))

    @app.action(cmd_notes.ACTION_SCHOOL)
    def school_picked(ack, body, client, action):
        ack()
        view = body.get("view") or {}
        data = _pending_get(services, _token(view), body)
        if data is None or not view.get("id"):
            return
        ctx = make_ctx(services, body, client, channel_id=data["channel"])
        sid = (action.get("selected_option") or {}).get("value")
        result = guarded(lambda: Result(update_view=cmd_notes.shortcut_view(ctx, view.get("private_metadata") or "", sid, data["text"])), "save-note school")
        if result.update_view:
            try:
                client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=result.update_view)
            except SlackApiError as exc:
                log.info("views.update of the note form: %s", exc.response.get("error"))

    @app.view(cmd_notes.SHORTCUT_VIEW)
    def save_note_submitted(ack, body, client, view):
        data = _pending_get(services, _token(view), body)
        if data is None:
            ack(response_action="errors", errors={"school": "This form expired (the bot restarted): close it and use the shortcut again."})
            return
        school, step, commitment = cmd_notes.shortcut_choice(view["state"]["values"])
        if not step:
            ack(response_action="errors", errors={"step": "Pick a step."})
            return
        ack()
        ctx = make_ctx(services, body, client, channel_id=data["channel"])
        msg = dict(data)
        permalink = _permalink(services, client, msg["channel"], msg["ts"], msg.get("thread_ts"))
        name = None
        try:
            name = _display_name(ctx.lookup_user(msg["user"])) if ctx.lookup_user else None
        except SlackApiError:
            pass
        result = guarded(lambda: cmd_notes.save_from_shortcut(ctx, msg, school, step, commitment, permalink=permalink, author_name=name), "save-note modal")
        carry_out(result, ctx, services, client, body, answer=answer_in_channel(client, data["channel"], ctx.user_id, blocks_when_private=True))

    @app.view(cmd_notes.COMMITMENTS_CALLBACK)
    def commitments_submitted(ack, body, client, view):
        channel = view.get("private_metadata") or ""
        ctx = make_ctx(services, body, client, channel_id=channel)
        items = cmd_notes.commitments_from_view(view["state"]["values"])
        try:
            items = notes.clean_commitments(items)
        except UserError as exc:
            ack(response_action="errors", errors={"c1": str(exc)[:150]})
            return
        ack()

        def run() -> Result:
            from bot.core import permissions as R

            state = ctx.state()
            R.require(ctx, state.school, "commitments")
            return cmd_notes.apply_commitments(ctx, state.school.school_id, items)

        carry_out(guarded(run, "commitments modal"), ctx, services, client, body, answer=answer_in_channel(client, channel, ctx.user_id))

    def flag_decision(redact: bool):
        def listener(ack, body, client, action, respond):
            ack()
            channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
            ctx = make_ctx(services, body, client, channel_id=channel)
            result = guarded(lambda: cmd_notes.decide_flag(ctx, action.get("value") or "", redact), "note flag button")

            def answer(r: Result) -> None:
                if body.get("response_url"):  # the warning is an ephemeral message: redo it in place
                    respond(text=r.text, blocks=r.blocks, replace_original=not r.error, response_type="ephemeral")
                else:
                    tell(r.text, body, client)

            carry_out(result, ctx, services, client, body, answer=answer)

        return listener

    app.action(cmd_notes.ACTION_REDACT)(flag_decision(True))
    app.action(cmd_notes.ACTION_KEEP)(flag_decision(False))

