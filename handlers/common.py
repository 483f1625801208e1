"""What every listener shares: building a Ctx, running core code safely, delivering a Reply."""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from typing import Any, Callable

from slack_sdk.errors import SlackApiError

from bot.core.command import Ctx, Reply

log = logging.getLogger("scep-bot")

APOLOGY = ":face_with_head_bandage: Sorry, something went wrong on my side and nothing was changed. Error id `{eid}`: give it to your admin if it happens again."

_USER_CACHE: dict[str, tuple[float, dict[str, Any] | None]] = {}
_USER_CACHE_LOCK = threading.Lock()
USER_CACHE_SECONDS = 300


def user_lookup(client) -> Callable[[str], dict[str, Any] | None]:
    """``users.info`` for a user id, cached for five minutes; None when Slack doesn't know it."""

    def lookup(user_id: str) -> dict[str, Any] | None:
        now = time.monotonic()
        with _USER_CACHE_LOCK:
            hit = _USER_CACHE.get(user_id)
            if hit and now - hit[0] < USER_CACHE_SECONDS:
                return hit[1]
        try:
            user = client.users_info(user=user_id).get("user")
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "users_not_found"):
                user = None
            else:
                raise
        with _USER_CACHE_LOCK:
            _USER_CACHE[user_id] = (now, user)
        return user

    return lookup


def make_ctx(services, body: dict[str, Any], client, *, channel_id: str | None = None) -> Ctx:
    team = body.get("team_id") or (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    user = body.get("user_id") or (body.get("user") or {}).get("id") or ""
    channel = channel_id or body.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    return Ctx(
        store=services.store,
        library=services.library,
        now=services.clock(),
        team_id=team,
        channel_id=channel,
        user_id=user,
        trigger_id=body.get("trigger_id"),
        lookup_user=user_lookup(client),
    )


def safely(fn: Callable[[], Reply], what: str) -> Reply:
    """Run core code; an unexpected exception is logged with an error id and becomes an apology."""
    try:
        return fn()
    except Exception:  # noqa: BLE001 - the user gets an apology, the log the traceback
        eid = uuid.uuid4().hex[:8]
        log.error("error %s in %s\n%s", eid, what, traceback.format_exc())
        msg = APOLOGY.format(eid=eid)
        return Reply(text=msg, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": msg}}], error=True)


def payload(reply: Reply) -> dict[str, Any]:
    """The message payload of a reply for ack()/respond()."""
    out: dict[str, Any] = {"text": reply.text[:39000], "response_type": "in_channel" if reply.public else "ephemeral"}
    if reply.blocks:
        out["blocks"] = reply.blocks
    return out


def deliver_posts(reply: Reply, client, respond=None) -> None:
    """Post a reply's channel messages; a channel the bot can't post in is told to the user."""
    for post in reply.posts:
        try:
            extra = {"metadata": post.metadata} if post.metadata else {}
            res = client.chat_postMessage(channel=post.channel, text=post.text[:39000], blocks=post.blocks, thread_ts=post.thread_ts, **extra)
        except SlackApiError as exc:
            err = exc.response.get("error")
            log.warning("chat.postMessage to %s failed: %s", post.channel, err)
            if respond is not None:
                if err in ("timeout", "slack_unreachable"):
                    respond(text=f":warning: Slack did not confirm my post in <#{post.channel}> in time: if it doesn't show up there, try again.",
                            response_type="ephemeral")
                    continue
                hint = " Invite me first: `/invite @scep-bot`." if err in ("not_in_channel", "channel_not_found") else ""
                respond(text=f":warning: I couldn't post in <#{post.channel}> ({err}).{hint}", response_type="ephemeral")
            continue
        if post.on_posted:
            post.on_posted(res["ts"])
        if post.on_sent:
            post.on_sent(res.get("channel") or post.channel, res["ts"])


def open_view(reply: Reply, client, trigger_id: str | None, respond=None) -> None:
    try:
        client.views_open(trigger_id=trigger_id, view=reply.view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
        if respond is not None:
            respond(text=":warning: I couldn't open the form (it may have taken too long). Try again, or type the command with its arguments: `/scep help`.", response_type="ephemeral")


def deliver_uploads(reply: Reply, client, respond=None) -> None:
    """Upload a reply's files (``files.uploadV2``); a failure is told to the user."""
    for up in reply.uploads:
        try:
            client.files_upload_v2(channel=up.channel, filename=up.filename, content=up.content, title=up.title or up.filename,
                                   initial_comment=up.comment or None)
        except Exception as exc:  # noqa: BLE001 - SlackApiError, or the upload URL refused the bytes
            err = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)[:200]
            log.warning("upload of %s to %s failed: %s", up.filename, up.channel, err)
            if respond is not None:
                hint = " Invite me first: `/invite @scep-bot`." if err in ("not_in_channel", "channel_not_found") else ""
                respond(text=f":warning: I couldn't upload `{up.filename}` ({err}).{hint}", response_type="ephemeral")


# Work only the Slack side can do, asked for by the core as ``Reply.effects`` (name, args).
# A runner is ``fn(services, client, ctx, args, respond)``; feature handlers register theirs.
EFFECTS: dict[str, Callable[..., None]] = {}


def run_effects(reply: Reply, services, client, ctx: Ctx, respond=None) -> None:
    for name, args in reply.effects:
        fn = EFFECTS.get(name)
        if fn is None:
            log.error("no runner for the effect %r", name)
            continue
        try:
            fn(services, client, ctx, args, respond)
        except Exception:  # noqa: BLE001 - the user gets an apology, the log the traceback
            eid = uuid.uuid4().hex[:8]
            log.error("error %s in effect %s\n%s", eid, name, traceback.format_exc())
            if respond is not None:
                respond(text=APOLOGY.format(eid=eid), response_type="ephemeral")
