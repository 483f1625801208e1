"""What the notes listeners keep per app (``NotesState``), and the Slack work that uses it: the
workspace's URL for permalinks (``auth.test``, once), and carrying out a capture with the saved
reaction once per message and process.

Slack retries an event it thinks was not received (same ``event_id``, ``X-Slack-Retry-Num``): an
event id handled (or in flight) is skipped, and a note is keyed by (channel, ts) in the store, so
a retry after a restart updates the same note instead of adding one.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.core.metadata import NoteForm
from bot.notes.capture import Capture
from bot.notes.messages import build_permalink
from bot.notes.threads import note_key
from bot.notes.warning import capture_result
from handlers.app_state import app_state
from handlers.executor import carry_out
from handlers.seen import Seen

log = logging.getLogger("scep-bot")

PENDING_SECONDS = 3600  # a note form's message is kept this long for its submission (monotonic seconds)


class PendingForms:
    """The message each open "Save as SCEP note" form was opened for, by a token the form carries
    in its private_metadata (``{"p": token}``): a form's metadata is limited, a message is not."""

    def __init__(self) -> None:
        self._forms: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def put(self, data: dict[str, Any]) -> str:
        token = uuid.uuid4().hex[:16]
        with self._lock:
            now = time.monotonic()
            for k in [k for k, (t, _) in self._forms.items() if now - t > PENDING_SECONDS]:
                self._forms.pop(k, None)
            self._forms[token] = (now, data)
        return token

    def get(self, view: dict[str, Any], body: dict[str, Any]) -> dict[str, Any] | None:
        """The message a note form (``view``) was opened for, if this person opened that form."""
        with self._lock:
            hit = self._forms.get(_token(view))
        if not hit or hit[1].get("opened_by") != ((body.get("user") or {}).get("id") or ""):
            return None
        return hit[1]


def _token(view: dict[str, Any]) -> str:
    """The pending-form token in the note form's private_metadata (``NoteForm``), or ""."""
    form = NoteForm.decode(view.get("private_metadata"))
    return form.token if form else ""


@dataclass
class Workspace:
    """Who the bot is in the workspace (``auth.test``): its URL, user id and bot id."""

    url: str | None = None
    bot_user_id: str | None = None
    bot_id: str | None = None


@dataclass
class NotesState:
    """The notes listeners' memory for one app."""

    events: Seen = field(default_factory=lambda: Seen(20_000))  # event ids handled or in flight
    reacted: Seen = field(default_factory=lambda: Seen(20_000))  # "channel:ts" reacted to by this process
    not_prompts: Seen = field(default_factory=lambda: Seen(5_000))  # bot threads looked at that are not prompts
    pending: PendingForms = field(default_factory=PendingForms)
    workspace: Workspace | None = None  # None until auth.test answered (the one workspace of a bot token)
    workspaces: dict[str, Workspace] = field(default_factory=dict)  # many workspaces: per bot token
    backfill: threading.Thread | None = None  # the start-up backfill, once started


def notes_state(services) -> NotesState:
    return app_state(services, NotesState)


def workspace(services, client) -> Workspace:
    """The workspace (auth.test, once): its URL builds permalinks without a call per note."""
    state = notes_state(services)
    many = services.team_clients is not None  # many workspaces: each token's own (never another workspace's URL)
    known = state.workspaces.get(client.token or "") if many else state.workspace
    if known is None:
        try:
            res = client.auth_test()
        except SlackApiError as exc:
            log.warning("auth.test failed (%s): permalinks will be asked for one by one", exc.response.get("error"))
            return Workspace()
        known = Workspace(res.get("url") or None, res.get("user_id"), res.get("bot_id"))
        if many:
            state.workspaces[client.token or ""] = known
        else:
            state.workspace = known
    return known


def permalink(services, client, channel: str, ts: str, thread_ts: str | None) -> str:
    base = workspace(services, client).url
    if base:
        return build_permalink(base, channel, ts, thread_ts)
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink") or ""
    except SlackApiError:
        return ""


def react_and_warn(services, client, out: Capture) -> None:
    """Carry out what a captured message asks of Slack (``capture_result``); the saved reaction
    once per message and process (Slack answers already_reacted to the rest)."""
    reacted = notes_state(services).reacted
    result = capture_result(out)
    result.reactions = [r for r in result.reactions if reacted.first(note_key(r.channel, r.ts))]
    carry_out(result, None, services, client)
