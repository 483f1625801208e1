"""Slack's published limits for messages, modals and App Home (Block Kit), checked on what the bot
sent: Slack answers ``invalid_blocks`` (or drops the view) when one is broken, so a payload that
breaks them is a failure the person would see. The fake Web API records without checking; the
hostile-input tests run every recorded call through ``problems``.

Limits from api.slack.com/reference/block-kit (blocks, block elements, composition objects) and
api.slack.com/surfaces (50 blocks in a message, 100 in a modal or Home, titles of 24 characters,
private_metadata of 3000).
"""

from __future__ import annotations

import json
import re
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_LIMIT = 40_000


def _text_obj(obj: Any, where: str, limit: int, out: list[str], *, plain_only: bool = False) -> None:
    if not isinstance(obj, dict):
        out.append(f"{where}: a text object must be an object, got {type(obj).__name__}")
        return
    kind, text = obj.get("type"), obj.get("text")
    if kind not in ("plain_text", "mrkdwn") or (plain_only and kind != "plain_text"):
        out.append(f"{where}: text type {kind!r}")
    if not isinstance(text, str) or not text:
        out.append(f"{where}: empty text")
    elif len(text) > limit:
        out.append(f"{where}: text of {len(text)} characters (at most {limit})")


def _option(o: Any, where: str, out: list[str]) -> None:
    if not isinstance(o, dict):
        out.append(f"{where}: an option must be an object")
        return
    _text_obj(o.get("text"), f"{where}.text", 75, out)
    value = o.get("value")
    if not isinstance(value, str) or not value or len(value) > 150:
        out.append(f"{where}: option value must be 1-150 characters, got {value!r:.60}")
    if "description" in o:
        _text_obj(o["description"], f"{where}.description", 75, out)


def _element(el: Any, where: str, out: list[str], action_ids: set[str]) -> None:
    if not isinstance(el, dict):
        out.append(f"{where}: an element must be an object")
        return
    kind = el.get("type")
    aid = el.get("action_id")
    if aid is not None:
        if not isinstance(aid, str) or not aid or len(aid) > 255:
            out.append(f"{where}: action_id {aid!r:.60}")
        elif aid in action_ids:
            out.append(f"{where}: action_id {aid!r} twice in one block")
        action_ids.add(aid)
    if kind == "button":
        _text_obj(el.get("text"), f"{where}.text", 75, out, plain_only=True)
        if "value" in el and (not isinstance(el["value"], str) or len(el["value"]) > 2000):
            out.append(f"{where}: button value over 2000 characters")
    elif kind in ("checkboxes", "radio_buttons"):
        opts = el.get("options") or []
        if not 1 <= len(opts) <= 10:
            out.append(f"{where}: {len(opts)} options (1-10)")
        for i, o in enumerate(opts):
            _option(o, f"{where}.options[{i}]", out)
        values = {o.get("value") for o in opts if isinstance(o, dict)}
        for o in el.get("initial_options") or []:
            if not isinstance(o, dict) or o.get("value") not in values:
                out.append(f"{where}: an initial option that is not an option")
    elif kind in ("static_select", "multi_static_select"):
        opts = el.get("options") or []
        if not 1 <= len(opts) <= 100:
            out.append(f"{where}: {len(opts)} options (1-100)")
        for i, o in enumerate(opts):
            _option(o, f"{where}.options[{i}]", out)
            if isinstance(o, dict) and (o.get("text") or {}).get("type") != "plain_text":
                out.append(f"{where}.options[{i}]: select options are plain_text")
        init = el.get("initial_option")
        if init is not None and init not in opts:
            out.append(f"{where}: initial_option is not one of the options")
    elif kind == "plain_text_input":
        ml = el.get("max_length", 3000)
        if not isinstance(ml, int) or not 1 <= ml <= 3000:
            out.append(f"{where}: max_length {ml!r}")
        iv = el.get("initial_value")
        if iv is not None and (not isinstance(iv, str) or len(iv) > ml):
            out.append(f"{where}: initial_value longer than max_length")
    elif kind == "datepicker":
        d = el.get("initial_date")
        if d is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(d)):
            out.append(f"{where}: initial_date {d!r}")
    elif kind == "timepicker":
        t = el.get("initial_time")
        if t is not None and not re.fullmatch(r"[0-2]\d:[0-5]\d", str(t)):
            out.append(f"{where}: initial_time {t!r}")
    elif kind == "multi_users_select":
        users = el.get("initial_users") or []
        if not all(isinstance(u, str) and re.fullmatch(r"[UW][A-Z0-9]+", u) for u in users):
            out.append(f"{where}: initial_users must be user ids")
    elif kind in ("mrkdwn", "plain_text"):  # a context element
        _text_obj(el, where, 3000, out)
    elif kind == "image":
        pass
    else:
        out.append(f"{where}: unknown element type {kind!r}")


def blocks_problems(blocks: Any, limit: int, where: str = "blocks") -> list[str]:
    out: list[str] = []
    if not isinstance(blocks, list):
        return [f"{where}: blocks must be a list"]
    if len(blocks) > limit:
        out.append(f"{where}: {len(blocks)} blocks (at most {limit})")
    block_ids: set[str] = set()
    for i, b in enumerate(blocks):
        w = f"{where}[{i}]"
        if not isinstance(b, dict):
            out.append(f"{w}: a block must be an object")
            continue
        bid = b.get("block_id")
        if bid is not None:
            if not isinstance(bid, str) or not bid or len(bid) > 255:
                out.append(f"{w}: block_id {bid!r:.60}")
            elif bid in block_ids:
                out.append(f"{w}: block_id {bid!r} twice")
            block_ids.add(bid)
        kind = b.get("type")
        if kind == "section":
            if "text" in b:
                _text_obj(b["text"], f"{w}.text", 3000, out)
            elif not b.get("fields"):
                out.append(f"{w}: a section needs text or fields")
            fields = b.get("fields") or []
            if len(fields) > 10:
                out.append(f"{w}: {len(fields)} fields (at most 10)")
            for j, f in enumerate(fields):
                _text_obj(f, f"{w}.fields[{j}]", 2000, out)
            if "accessory" in b:
                _element(b["accessory"], f"{w}.accessory", out, set())
        elif kind == "context":
            els = b.get("elements") or []
            if not 1 <= len(els) <= 10:
                out.append(f"{w}: {len(els)} context elements (1-10)")
            for j, e in enumerate(els):
                _element(e, f"{w}.elements[{j}]", out, set())
        elif kind == "header":
            _text_obj(b.get("text"), f"{w}.text", 150, out, plain_only=True)
        elif kind == "actions":
            els = b.get("elements") or []
            if not 1 <= len(els) <= 25:
                out.append(f"{w}: {len(els)} elements (1-25)")
            ids: set[str] = set()
            for j, e in enumerate(els):
                _element(e, f"{w}.elements[{j}]", out, ids)
        elif kind == "input":
            _text_obj(b.get("label"), f"{w}.label", 2000, out, plain_only=True)
            _element(b.get("element"), f"{w}.element", out, set())
        elif kind == "divider":
            pass
        else:
            out.append(f"{w}: unknown block type {kind!r}")
    return out


def message_problems(payload: dict[str, Any]) -> list[str]:
    out: list[str] = []
    text = payload.get("text")
    blocks = payload.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not blocks and not (isinstance(text, str) and text.strip()):
        out.append("a message with neither text nor blocks")
    if isinstance(text, str) and len(text) > TEXT_LIMIT:
        out.append(f"text of {len(text)} characters")
    if blocks:
        out += blocks_problems(blocks, MESSAGE_BLOCKS)
    return out


def view_problems(view: Any) -> list[str]:
    if isinstance(view, str):
        view = json.loads(view)
    if not isinstance(view, dict):
        return ["a view must be an object"]
    out: list[str] = []
    kind = view.get("type")
    if kind == "modal":
        _text_obj(view.get("title"), "title", 24, out, plain_only=True)
        for k in ("submit", "close"):
            if k in view:
                _text_obj(view[k], k, 24, out, plain_only=True)
        if any(b.get("type") == "input" for b in view.get("blocks") or [] if isinstance(b, dict)) and "submit" not in view:
            out.append("a modal with inputs needs a submit button")
    elif kind != "home":
        out.append(f"view type {kind!r}")
    meta = view.get("private_metadata")
    if meta is not None and (not isinstance(meta, str) or len(meta) > 3000):
        out.append("private_metadata over 3000 characters")
    cb = view.get("callback_id")
    if cb is not None and (not isinstance(cb, str) or len(cb) > 255):
        out.append("callback_id over 255 characters")
    return out + blocks_problems(view.get("blocks") or [], VIEW_BLOCKS)


def call_problems(method: str, args: dict[str, Any]) -> list[str]:
    """What Slack would refuse in one recorded Web API call (or response_url post)."""
    if method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
        if method == "response_url" and args.get("delete_original"):
            return []
        return [f"{method}: {p}" for p in message_problems(args)]
    if method in ("views.open", "views.push", "views.update", "views.publish"):
        return [f"{method}: {p}" for p in view_problems(args.get("view"))]
    return []
