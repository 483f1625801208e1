"""Requests whose shape Slack would never send are answered (an empty 200) and go no further.

Listeners read Slack's payloads as Slack documents them (``body["actions"][0]["value"]`` is a
string, ``view.state.values`` maps block ids to action ids to elements). A signed request that
breaks that shape (a list where an object belongs, a number for a string, no ``actions``) is
not from Slack's servers as documented; rather than let it raise deep in a listener, this global
middleware checks the fields the listeners use and stops it with a warning in the log. Values
are not judged here (the listeners refuse bad ones with a clear message); only types.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.middleware import Middleware
from slack_bolt.response import BoltResponse

log = logging.getLogger("scep-bot")

STRINGS = ("trigger_id", "response_url", "token", "api_app_id", "user_id", "team_id", "channel_id", "text", "command",
           "callback_id", "type", "event_id", "message_ts")
OBJECTS = ("user", "team", "channel", "container", "message", "view", "state", "enterprise", "event")
MESSAGE_STRINGS = ("type", "subtype", "channel", "user", "text", "ts", "thread_ts", "deleted_ts", "bot_id", "team", "tab",
                   "event_ts", "channel_type", "client_msg_id")


class Bad(ValueError):
    pass


def _str(obj: dict[str, Any], key: str, where: str) -> None:
    if key in obj and obj[key] is not None and not isinstance(obj[key], str):
        raise Bad(f"{where}.{key} is a {type(obj[key]).__name__}, not a string")


def _obj(obj: dict[str, Any], key: str, where: str, required: bool = False) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise Bad(f"{where}.{key} is missing")
        return None
    if not isinstance(value, dict):
        raise Bad(f"{where}.{key} is a {type(value).__name__}, not an object")
    return value


def _list_of_objects(obj: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Bad(f"{where}.{key} is not a list of objects")
    return value


def _message(msg: dict[str, Any], where: str) -> None:
    for k in MESSAGE_STRINGS:
        _str(msg, k, where)
    _list_of_objects(msg, "blocks", where)
    _list_of_objects(msg, "files", where)
    for inner in ("message", "previous_message"):
        sub = _obj(msg, inner, where)
        if sub is not None:
            _message(sub, f"{where}.{inner}")


def _option(o: Any, where: str) -> None:
    if o is None:
        return
    if not isinstance(o, dict):
        raise Bad(f"{where} is not an object")
    _str(o, "value", where)


def _element(el: dict[str, Any], where: str) -> None:
    for k in ("type", "value", "selected_date", "selected_time", "action_id", "block_id", "action_ts", "selected_user", "selected_channel"):
        _str(el, k, where)
    _option(el.get("selected_option"), f"{where}.selected_option")
    for i, o in enumerate(_list_of_objects(el, "selected_options", where)):
        _option(o, f"{where}.selected_options[{i}]")
    users = el.get("selected_users")
    if users is not None and (not isinstance(users, list) or not all(isinstance(u, str) for u in users)):
        raise Bad(f"{where}.selected_users is not a list of strings")


def _view(view: dict[str, Any], where: str) -> None:
    for k in ("id", "hash", "private_metadata", "callback_id", "type", "root_view_id", "previous_view_id"):
        _str(view, k, where)
    _list_of_objects(view, "blocks", where)
    state = _obj(view, "state", where)
    values = _obj(state, "values", f"{where}.state") if state is not None else None
    for bid, actions in (values or {}).items():
        if not isinstance(actions, dict):
            raise Bad(f"{where}.state.values.{bid} is not an object")
        for aid, el in actions.items():
            if not isinstance(el, dict):
                raise Bad(f"{where}.state.values.{bid}.{aid} is not an object")
            _element(el, f"{where}.state.values.{bid}.{aid}")


def problem(body: Any) -> str | None:
    """Why a request body is not shaped as Slack sends it, or None."""
    try:
        if not isinstance(body, dict):
            raise Bad("the body is not an object")
        for k in STRINGS:
            _str(body, k, "body")
        for k in OBJECTS:
            _obj(body, k, "body")
        for k in ("user", "team", "channel"):
            sub = _obj(body, k, "body")
            if sub is not None:
                for f in ("id", "team_id", "name", "username", "domain"):
                    _str(sub, f, f"body.{k}")
        container = _obj(body, "container", "body")
        if container is not None:
            for f in ("type", "channel_id", "message_ts", "view_id", "thread_ts"):
                _str(container, f, "body.container")
        message = _obj(body, "message", "body")
        if message is not None:
            _message(message, "body.message")
        view = _obj(body, "view", "body")
        if view is not None:
            _view(view, "body.view")
        kind = body.get("type")
        if kind == "block_actions":
            actions = body.get("actions")
            if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
                raise Bad("body.actions is not a list of objects")
            for i, a in enumerate(actions):
                if not isinstance(a.get("action_id"), str):
                    raise Bad(f"body.actions[{i}].action_id is not a string")
                _element(a, f"body.actions[{i}]")
        elif kind in ("view_submission", "view_closed"):
            _obj(body, "view", "body", required=True)
        elif kind == "message_action":
            _obj(body, "message", "body", required=True)
        elif kind == "event_callback":
            event = _obj(body, "event", "body", required=True)
            _message(event, "body.event")
        return None
    except Bad as exc:
        return str(exc)


class ShapeGuard(Middleware):
    """A Bolt middleware object (not a function: Bolt builds every listener argument, such as
    ``action``, for a function middleware, and that alone raises on a malformed body). The
    composition root installs it before any other custom middleware."""

    def process(self, *, req, resp, next):  # noqa: A002 - Bolt's names
        why = problem(req.body)
        if why is not None:
            log.warning("ignored a request not shaped as Slack sends it (%s)", why[:200])
            return BoltResponse(status=200, body="")
        return next()

    @property
    def name(self) -> str:
        return "ShapeGuard"
