"""Forms act only where the bot opened them: every view's ``private_metadata`` is sealed on its
way to Slack and unsealed when it comes back (``bot.core.metadata.seal``/``unseal``).

The key is the bot's own: 32 random bytes created once, atomically, in the store's settings
(``metadata_key``), shared by every process on the same store. It is not derived from
``SLACK_SIGNING_SECRET``: whoever holds the signing secret (it sits in proxies' and CI's
environments; Socket Mode has none) still cannot forge a form, and a rotated signing secret does
not void the forms people have open. A form opened before this seal existed, or after the key
setting was deleted, is refused once: the person opens it again.

``seal_view`` is called by the Web API client (handlers/slack_client.py) on ``views.open``,
``views.push``, ``views.update`` and ``views.publish``; ``ViewSeal`` is a Bolt middleware that,
before any listener runs, replaces the sealed metadata of a submitted form (or of a click or a
picker in one) with the text the bot sealed, or refuses the request with a clear message. An
empty ``private_metadata`` is left as it is: it claims nothing (App Home carries none).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from slack_bolt.middleware import Middleware
from slack_bolt.response import BoltResponse

from bot.core.metadata import seal, unseal
from handlers.app_state import app_state

log = logging.getLogger("scep-bot")

KEY_SETTING = "metadata_key"
FORGED = (":no_entry: I couldn't verify this form as one I opened (it may be from before an update of the bot): "
          "nothing was changed. Close it and open it again.")
_KEY_LOCK = threading.Lock()


@dataclass
class MetadataKey:
    """This process's copy of the bot's metadata key (``app_state``)."""

    key: bytes | None = None


def metadata_key(services) -> bytes:
    """The bot's metadata key (created once in the store's settings; cached per process)."""
    cached = app_state(services, MetadataKey)
    if cached.key is not None:
        return cached.key
    with _KEY_LOCK:
        text = services.store.get_setting(KEY_SETTING)
        if not (isinstance(text, str) and len(text) == 64):
            text = services.store.update_setting(
                KEY_SETTING, lambda v: v if isinstance(v, str) and len(v) == 64 else secrets.token_hex(32))
        cached.key = bytes.fromhex(text)
        return cached.key


def seal_view(services, view: dict[str, Any]) -> dict[str, Any]:
    """``view`` with its ``private_metadata`` sealed (a copy; a view without metadata unchanged)."""
    meta = view.get("private_metadata")
    if not isinstance(meta, str) or not meta:
        return view
    return {**view, "private_metadata": seal(metadata_key(services), str(view.get("callback_id") or ""), meta)}


class ViewSeal(Middleware):
    """Unseal the ``private_metadata`` of whatever view a request comes from; refuse a forged one
    (a submission: the form shows why; a click in a form: a small notice on top of it)."""

    def __init__(self, services, client_of) -> None:
        self.services = services
        self.client_of = client_of  # () -> the app's Web API client

    def process(self, *, req, resp, next):  # noqa: A002 - Bolt's names
        body = req.body if isinstance(req.body, dict) else {}
        view = body.get("view")
        if not isinstance(view, dict) or body.get("type") not in ("view_submission", "view_closed", "block_actions", "block_suggestion"):
            return next()
        meta = view.get("private_metadata")
        if meta in (None, ""):
            return next()
        text = unseal(metadata_key(self.services), str(view.get("callback_id") or ""), meta)
        if text is not None:
            view["private_metadata"] = text  # the listeners read what the bot sealed
            return next()
        user = (body.get("user") or {}).get("id")
        log.warning("refused a %s from %s: the form's private_metadata is not sealed by this bot (callback %r)",
                    body.get("type"), str(user)[:20], str(view.get("callback_id"))[:60])
        if body.get("type") == "view_submission":
            from handlers.executor import notice_view

            return BoltResponse(status=200, body=json.dumps({"response_action": "update", "view": notice_view(FORGED)}),
                                headers={"content-type": ["application/json;charset=utf-8"]})
        if body.get("type") == "block_actions":
            from handlers.executor import tell

            tell(FORGED, {k: v for k, v in body.items() if k != "response_url"}, self.client_of())
        return BoltResponse(status=200, body="")

    @property
    def name(self) -> str:
        return "ViewSeal"
