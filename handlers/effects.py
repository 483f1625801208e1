"""Carry out an ``Outcome`` (bot/effects.py) in Slack: notices, in-place updates, posts, modals,
App Home refreshes. A Slack error on one part is logged and does not stop the others."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.core.command import Ctx, Reply
from bot.core.result import MessageUpdate, Outcome
from handlers.common import deliver_posts, log, safely

GONE = ("message_not_found", "channel_not_found", "cant_update_message", "is_archived")


_UPDATE_LOCKS = [threading.Lock() for _ in range(64)]


def apply_updates(updates: list[MessageUpdate], client) -> None:
    """``chat.update`` each message. Updates of one message are sent one at a time, each rendered
    (``rerender``) under that message's lock: two clicks at once never leave the older render last."""
    for u in updates:
        lock = _UPDATE_LOCKS[hash((u.channel, u.ts)) % len(_UPDATE_LOCKS)]
        try:
            with lock:
                text, blocks = u.text, u.blocks
                if u.rerender is not None:
                    try:
                        text, blocks = u.rerender()
                    except Exception:  # noqa: BLE001 - the render made with the change is still right
                        log.exception("re-rendering %s/%s failed; sending the first render", u.channel, u.ts)
                client.chat_update(channel=u.channel, ts=u.ts, text=text[:39000], blocks=blocks)
        except SlackApiError as exc:
            err = exc.response.get("error")
            log.warning("chat.update %s/%s failed: %s", u.channel, u.ts, err)
            if err in GONE and u.on_gone:
                try:
                    u.on_gone()
                except Exception:  # noqa: BLE001 - forgetting a dead message is best effort
                    log.exception("forgetting %s/%s failed", u.channel, u.ts)


def notice_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "scep-bot"},
        "close": {"type": "plain_text", "text": "OK"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    }


def tell(text: str, body: dict[str, Any], client, respond=None) -> None:
    """An ephemeral answer to whoever acted: in the thread of what they clicked, or a small modal."""
    container = body.get("container") or {}
    try:
        if respond is not None and body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
            return
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        user = (body.get("user") or {}).get("id")
        if channel and user and container.get("type") == "message":
            client.chat_postEphemeral(channel=channel, user=user, text=text)
            return
        trigger = body.get("trigger_id")
        if trigger and container.get("type") == "view" and (body.get("view") or {}).get("type") == "modal":
            client.views_push(trigger_id=trigger, view=notice_view(text))
            return
        if trigger:
            client.views_open(trigger_id=trigger, view=notice_view(text))
            return
        if user:
            client.chat_postMessage(channel=user, text=text)
    except SlackApiError as exc:
        log.warning("could not tell %s: %s", (body.get("user") or {}).get("id"), exc.response.get("error"))


def apply(out: Outcome, ctx: Ctx, services, body: dict[str, Any], client, respond=None) -> None:
    if out.open_view:
        try:
            client.views_open(trigger_id=body.get("trigger_id"), view=out.open_view)
        except SlackApiError as exc:
            log.warning("views.open failed: %s", exc.response.get("error"))
            tell(":warning: I couldn't open the form (it may have taken too long): try again.", body, client, respond)
    view_id = (body.get("view") or {}).get("id")
    if out.update_view and view_id:  # the modal the click came from (a click without one has nothing to update)
        try:
            client.views_update(view_id=view_id, view=out.update_view)
        except SlackApiError as exc:
            log.warning("views.update failed: %s", exc.response.get("error"))
    if out.notice:
        tell(out.notice, body, client, respond)
    apply_updates(out.updates, client)
    if out.posts:
        deliver_posts(Reply(text="", posts=out.posts), client, respond)
    for user in out.refresh_home:
        publish_home(dataclasses.replace(ctx, user_id=user), client)


def publish_home(ctx: Ctx, client, page: int = 1) -> None:
    from bot.home.view import home_view

    holder: dict[str, Any] = {}

    def build() -> Reply:
        holder["view"] = home_view(ctx, page)
        return Reply(text="ok")

    reply = safely(build, "App Home")
    view = holder.get("view")
    if reply.error or view is None:
        view = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": reply.text}}]}
    try:
        client.views_publish(user_id=ctx.user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish for %s failed: %s", ctx.user_id, exc.response.get("error"))


def run(fn, what: str) -> Outcome:
    """Core code for an action: an unexpected exception becomes an apology with an error id."""
    holder: dict[str, Outcome] = {}

    def call() -> Reply:
        holder["out"] = fn()
        return Reply(text="")

    reply = safely(call, what)
    if reply.error:
        return Outcome(notice=reply.text, error=True)
    return holder["out"]
