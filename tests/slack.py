"""Payloads as Slack sends them for clicks, checkboxes, modals and App Home (block_actions,
view_submission, app_home_opened), built from what the bot really posted to the fake Web API."""

from __future__ import annotations

import copy
from typing import Any

from bot.root.emulator import TEAM_ID
from tests.harness import ADMIN, CHANNEL


def find_block(blocks: list[dict[str, Any]], prefix: str, n: int | None = None) -> dict[str, Any]:
    found = [b for b in blocks if str(b.get("block_id", "")).startswith(prefix)]
    assert found, f"no block starting with {prefix!r}"
    if n is None:
        return found[0]
    return next(b for b in found if b["block_id"].endswith(f"|{n}"))


def checkbox_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in blocks if b.get("type") == "actions" and any(e.get("type") == "checkboxes" for e in b.get("elements", []))]


def button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    for b in blocks:
        for e in b.get("elements", []) or []:
            if e.get("action_id") == action_id:
                return {**e, "block_id": b.get("block_id", "b")}
        acc = b.get("accessory")
        if acc and acc.get("action_id") == action_id:
            return {**acc, "block_id": b.get("block_id", "b")}
    raise AssertionError(f"no button {action_id!r} in the blocks")


def _base(user: str, trigger: str = "111.trigger") -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0TEST",
        "token": "legacy",
        "trigger_id": trigger,
        "team": {"id": TEAM_ID, "domain": "demo"},
        "enterprise": None,
        "is_enterprise_install": False,
    }


def message_click(fake, message: dict[str, Any], channel: str, ts: str, action: dict[str, Any], *, user: str = ADMIN,
                  selected: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A click on an element of a channel message (``message`` is what the bot posted/updated)."""
    payload = _base(user)
    act = {"action_id": action["action_id"], "block_id": action["block_id"], "type": action.get("type", "button"), "action_ts": "1.2"}
    if action.get("type") == "checkboxes":
        act["selected_options"] = selected or []
    else:
        act["value"] = action.get("value", "")
        act["text"] = action.get("text")
    payload.update({
        "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": channel.lower()},
        "message": {"type": "message", "ts": ts, "text": message.get("text", ""), "blocks": copy.deepcopy(message.get("blocks") or []),
                    "user": "UBOT0001", "bot_id": "BBOT0001"},
        "response_url": fake.response_url("act"),
        "actions": [act],
        # as Slack does: the state of the message's stateful elements, here the one clicked
        "state": {"values": {action["block_id"]: {action["action_id"]: {"type": "checkboxes", "selected_options": selected or []}}}
                  if action.get("type") == "checkboxes" else {}},
    })
    return payload


def tick(fake, message: dict[str, Any], channel: str, ts: str, element_n: int, values_on: list[str], *, user: str = ADMIN) -> dict[str, Any]:
    """Tick boxes in the ``element_n``-th checkbox group of a checklist message: ``values_on`` is
    the new selection of that element (what Slack sends: the element's selected options)."""
    block = [b for b in checkbox_blocks(message["blocks"])][element_n]
    el = next(e for e in block["elements"] if e["type"] == "checkboxes")
    options = {o["value"]: o for o in el["options"]}
    selected = [options[v] for v in values_on]
    action = {"action_id": el["action_id"], "block_id": block["block_id"], "type": "checkboxes"}
    return message_click(fake, message, channel, ts, action, user=user, selected=selected)


def options_of(message: dict[str, Any], element_n: int) -> list[str]:
    block = checkbox_blocks(message["blocks"])[element_n]
    return [o["value"] for o in block["elements"][0]["options"]]


def initial_of(message: dict[str, Any], element_n: int) -> list[str]:
    block = checkbox_blocks(message["blocks"])[element_n]
    return [o["value"] for o in block["elements"][0].get("initial_options") or []]


def view_click(view: dict[str, Any], action: dict[str, Any], *, user: str = ADMIN, selected: list[dict[str, Any]] | None = None,
               view_id: str = "V0MODAL1") -> dict[str, Any]:
    """A click inside a modal (or App Home when ``view['type'] == 'home'``)."""
    payload = _base(user)
    act = {"action_id": action["action_id"], "block_id": action["block_id"], "type": action.get("type", "button"), "action_ts": "1.2"}
    if action.get("type") == "checkboxes":
        act["selected_options"] = selected or []
    else:
        act["value"] = action.get("value", "")
    payload.update({
        "container": {"type": "view", "view_id": view_id},
        "view": {**copy.deepcopy(view), "id": view_id, "hash": "h1", "state": {"values": {}}},
        "actions": [act],
    })
    return payload


def view_submission(view: dict[str, Any], values: dict[str, Any], *, user: str = ADMIN, view_id: str = "V0MODAL1") -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "demo"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0TEST",
        "token": "legacy",
        "trigger_id": "222.trigger",
        "view": {**copy.deepcopy(view), "id": view_id, "hash": "h1", "state": {"values": values}},
    }


def app_home_opened(user: str, tab: str = "home") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": tab, "event_ts": "1.1"}


__all__ = ["CHANNEL"]
