"""Reading prompt threads from Slack: the backfill (every open prompt's thread, followed through
``conversations.replies``' pages, on start and on ``/scep notes sync``), and recovering a prompt
the bot posted but never recorded from its message's metadata."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any, Callable

from slack_sdk.errors import SlackApiError

from bot.notes import prompts
from bot.notes.backfill import SyncNotes, SyncResult, ingest_thread, open_prompts
from bot.notes.names import display_name
from bot.notes.threads import note_key
from bot.schools.membership import by_workspace
from handlers.context import user_lookup
from handlers.executor import FOLLOWUPS
from handlers.notes_state import Workspace, notes_state, react_and_warn, workspace

log = logging.getLogger("scep-bot")

REPLIES_PAGE = 200


def recover_prompt(services, client, team: str, channel: str, thread_ts: str, now: datetime) -> str | None:
    """A reply in a thread of the bot's that is no known prompt: if the thread's parent is a prompt
    the bot posted but never recorded (killed between the post and the write, or Slack's answer
    lost), record it from the message's metadata. Each thread is looked at once (per process).
    Returns the school's id, or None."""
    state = notes_state(services)
    key = note_key(channel, thread_ts)
    if not thread_ts or not state.not_prompts.first(key):
        return None
    try:
        res = client.conversations_replies(channel=channel, ts=thread_ts, limit=1, include_all_metadata=True)
    except SlackApiError as exc:
        state.not_prompts.forget(key)  # look again at the next reply
        log.warning("conversations.replies %s failed: %s", key, exc.response.get("error"))
        return None
    parent = next((m for m in res.get("messages") or [] if m.get("ts") == thread_ts), None)
    if parent is None:
        return None
    ws = (state.workspaces.get(client.token or "") if services.team_clients is not None else state.workspace) or Workspace()
    hit = prompts.recover_prompt(services.store, team, channel, parent, now, bot_user_id=ws.bot_user_id, bot_id=ws.bot_id)
    if hit is None:
        return None
    log.warning("notes prompt %s was posted but not recorded (a crash or a lost answer from Slack): recovered from its metadata", key)
    return hit[0]


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


def backfill(services, client, school_ids: list[str] | None = None) -> SyncResult:
    """Read every open prompt thread and save the replies missed (bot down, events lost)."""
    store = services.store
    now = services.clock()
    total = SyncResult()
    open_ = open_prompts(store, now, school_ids)
    if not open_:
        return total
    ws = workspace(services, client)
    lookup = user_lookup(client)
    for sid, prompt in open_:
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
                    names[uid] = display_name(lookup(uid))
                except SlackApiError:
                    names[uid] = None
        res = ingest_thread(store, sid, prompt, messages, now, base_url=ws.url, names=names, bot_user_id=ws.bot_user_id)
        for out in res.saved:
            react_and_warn(services, client, out)
        total.add(res)
    return total


def start_backfill(services, client, client_for_team: Callable[[str], Any] | None = None) -> threading.Thread:
    """The start-up backfill, in the background so that start-up stays fast. Many workspaces
    (``client_for_team``: the client of a team id, None where the app is not installed): each
    workspace's schools read with its own token."""

    def run() -> None:
        started = time.monotonic()
        try:
            if client_for_team is None:
                res = backfill(services, client)
            else:
                res = SyncResult()
                for team, ids in by_workspace(services.store).items():
                    team_client = client_for_team(team)
                    if team_client is not None:
                        res.add(backfill(services, team_client, ids))
        except Exception:  # noqa: BLE001 - logged; the next start or /scep notes sync tries again
            log.exception("notes backfill failed")
            return
        if res.prompts:
            log.info("notes backfill: %s (%.1fs)", res.summary(), time.monotonic() - started)

    t = threading.Thread(target=run, name="notes-backfill", daemon=True)
    notes_state(services).backfill = t
    t.start()
    return t


def _sync(request: SyncNotes, services, client, ctx, respond) -> None:
    res = backfill(services, client, [request.school_id])
    if respond is not None:
        respond(text=res.summary(), response_type="ephemeral")


FOLLOWUPS[SyncNotes] = _sync
