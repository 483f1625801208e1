"""The one executor: carry out a ``Result`` (bot/core/result.py) in Slack.

Every listener runs its use case through ``guarded`` (bad input becomes a clear message, a
damaged data file says so, anything unexpected an apology with an error id and a traceback in
the log) and hands the ``Result`` to ``carry_out``: the answer to whoever acted (in the way of
the surface they acted on), modals, in-place updates, posts, uploads, reactions, ephemerals,
follow-up work, App Home refreshes. A Slack error on one part is logged and does not stop the
others.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from typing import Any, Callable

from slack_sdk.errors import SlackApiError

from bot.checklists.messages import redraw
from bot.core.command import DAMAGED, DISK_FULL, TRY_AGAIN
from bot.core.context import Ctx
from bot.core.logtext import error_trace
from bot.core.result import MessageUpdate, Result, failed, refused
from bot.errors import UserError
from bot.home.gather import home_tab
from bot.store.port import StoreError, StoreFull, StoreUnavailable

log = logging.getLogger("scep-bot")

APOLOGY = ":face_with_head_bandage: Sorry, something went wrong on my side and nothing was changed. Error id `{eid}`: give it to your admin if it happens again."
GONE = ("message_not_found", "channel_not_found", "cant_update_message", "is_archived")
INVITE_HINT = " Invite me first: `/invite @scep-bot`."

# Follow-up work only the Slack side can do, asked for as ``Result.followups`` (typed requests):
# runners by request type, ``fn(request, services, client, ctx, respond)``; handlers register theirs.
FOLLOWUPS: dict[type, Callable[..., None]] = {}


def guarded(fn: Callable[[], Result], what: str) -> Result:
    """Run a use case. A UserError becomes its message; a database that does not answer asks to
    try again in a moment; a damaged data file says so; any other
    exception is logged with an error id and becomes an apology."""
    try:
        return fn()
    except UserError as exc:
        return refused(exc)  # with a question's buttons (EarlyDone: "Mark done anyway")
    except StoreUnavailable as exc:  # the database is down or restarting: nothing was written
        log.warning("store unavailable in %s: %s", what, exc)
        return failed(TRY_AGAIN)
    except StoreFull:  # logged once by the store when the disk fills
        return failed(DISK_FULL)
    except StoreError as exc:
        log.error("store error in %s: %s", what, exc)
        return failed(DAMAGED)
    except Exception as exc:  # noqa: BLE001 - the user gets an apology, the log the traceback
        eid = uuid.uuid4().hex[:8]
        log.error("error %s in %s\n%s", eid, what, error_trace(exc))
        msg = APOLOGY.format(eid=eid)
        return Result(text=msg, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": msg}}], error=True)


def guarded_list(fn: Callable[[], list[Any]], what: str) -> list[Any]:
    """``fn()``, or nothing (and the traceback in the log) when it fails: a redraw that fails
    must not cost the rest of a result that was already saved."""
    try:
        return fn()
    except Exception:  # noqa: BLE001 - logged; the change itself is saved
        log.exception("%s failed", what)
        return []


def payload(result: Result) -> dict[str, Any]:
    """The message payload of an answer for ack()/respond()."""
    out: dict[str, Any] = {"text": result.text[:39000], "response_type": "in_channel" if result.public else "ephemeral"}
    if result.blocks:
        out["blocks"] = result.blocks
    return out


# ---------------------------------------------------------------- answers, by surface

def notice_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "scep-bot"},
        "close": {"type": "plain_text", "text": "OK"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    }


def _who(body: dict[str, Any]) -> tuple[str, str]:
    """(channel, user) of whoever acted, as Slack's payload has them ('' when it hasn't)."""
    container = body.get("container") if isinstance(body.get("container"), dict) else {}
    chan = body.get("channel") if isinstance(body.get("channel"), dict) else {}
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    channel = body.get("channel_id") or container.get("channel_id") or chan.get("id") or ""
    return str(channel), str(body.get("user_id") or user.get("id") or "")


SENT, NOT_SENT, UNSURE = "sent", "not sent", "unsure"


def _respond(respond, body: dict[str, Any], **message: Any) -> str:
    """``respond(**message)`` when the payload has a response URL: SENT, NOT_SENT (no URL, or a
    4xx: the URL expires after 30 minutes or 5 uses), or UNSURE (a 5xx, no answer: Slack may
    have shown it). A failure is logged as a warning with the reason."""
    if respond is None or not body.get("response_url"):
        return NOT_SENT
    try:
        res = respond(**message)
    except Exception as exc:  # noqa: BLE001 - the fallback answers instead
        log.warning("response_url failed for %s (%s: %s): answering another way", _who(body)[1][:20], type(exc).__name__, str(exc)[:200])
        return UNSURE
    status = getattr(res, "status_code", None)
    if isinstance(status, int) and status >= 300:
        log.warning("response_url answered %s (%s) for %s: answering another way", status, str(getattr(res, "body", ""))[:100], _who(body)[1][:20])
        return NOT_SENT if status < 500 else UNSURE
    return SENT


def reply(body: dict[str, Any], client, respond, text: str = "", *, blocks: list[dict[str, Any]] | None = None,
          response_type: str | None = "ephemeral", replace_original: bool | None = None) -> None:
    """THE answer to whoever acted, after the ack: through the payload's response URL when it has
    one and Slack takes it; else (none, as in Socket Mode and some shortcuts, or expired) a
    replaced message is updated in place (``chat.update``), a public answer posted in the channel,
    any other ephemeral there (``chat.postEphemeral``), or, where there is no channel (or the bot
    can't post there), a DM. When the response URL failed in a way that leaves it unsure whether
    Slack showed the answer (a 5xx, no answer), the fallback is ephemeral: the person sees it, the
    channel never sees it twice. Never raises: a failure is a warning in the log.
    ``response_type`` None: not sent (a message replaced in place keeps its own)."""
    message: dict[str, Any] = {"text": text}
    if response_type:
        message["response_type"] = response_type
    if blocks:
        message["blocks"] = blocks
    if replace_original is not None:
        message["replace_original"] = replace_original
    outcome = _respond(respond, body, **message)
    if outcome == SENT:
        return
    if outcome == UNSURE:
        response_type, replace_original = "ephemeral", False
    channel, user = _who(body)
    container = body.get("container") if isinstance(body.get("container"), dict) else {}
    try:
        if replace_original and channel and container.get("message_ts") and not container.get("is_ephemeral") and response_type != "ephemeral":
            client.chat_update(channel=channel, ts=container["message_ts"], text=text[:39000], blocks=blocks)
            return
        if channel and response_type == "in_channel":
            client.chat_postMessage(channel=channel, text=text[:39000], blocks=blocks)
            return
        if channel and user:
            try:
                client.chat_postEphemeral(channel=channel, user=user, text=text[:39000], blocks=blocks)
                return
            except SlackApiError as exc:
                log.warning("ephemeral answer to %s in %s failed (%s): sending it as a DM", user[:20], channel[:20], exc.response.get("error"))
        if user:
            client.chat_postMessage(channel=user, text=text[:39000], blocks=blocks)
        else:
            log.warning("an answer had nobody to go to (no response URL, no user): %s", text[:120])
    except SlackApiError as exc:
        log.warning("could not answer %s: %s", user[:20], exc.response.get("error"))


def replier(body: dict[str, Any], client, respond) -> Callable[..., None]:
    """``reply`` bound to one request: called as Bolt's ``respond`` is (``text=``, ``blocks=``, ...)."""
    return lambda text="", **kw: reply(body, client, respond, text, **kw)


def tell(text: str, body: dict[str, Any], client, respond=None) -> None:
    """An ephemeral answer to whoever acted: in the thread of what they clicked, or a small modal."""
    container = body.get("container") or {}
    if _respond(respond, body, text=text, response_type="ephemeral", replace_original=False) == SENT:
        return
    try:
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


def answer_by_telling(body: dict[str, Any], client, respond=None) -> Callable[[Result], None]:
    """Clicks: the answer is an ephemeral note to whoever clicked (``tell``)."""
    return lambda result: tell(result.text, body, client, respond)


def answer_in_place(body: dict[str, Any], client, respond) -> Callable[[Result], None]:
    """Buttons on a message the answer replaces (nudges): public answers replace the message,
    the others are ephemeral beside it."""

    def answer(result: Result) -> None:
        if result.error or not result.public:
            reply(body, client, respond, result.text[:3000], blocks=result.blocks, replace_original=False)
        else:
            reply(body, client, respond, result.text[:3000], blocks=result.blocks, response_type=None, replace_original=True)

    return answer


def answer_in_channel(client, channel: str, user: str, *, blocks_when_private: bool = False) -> Callable[[Result], None]:
    """Forms: a public answer is posted in the channel, any other is ephemeral to who sent the form."""

    def answer(result: Result) -> None:
        try:
            if result.error or not result.public:
                extra = {"blocks": result.blocks} if blocks_when_private else {}
                client.chat_postEphemeral(channel=channel, user=user, text=result.text, **extra)
            else:
                client.chat_postMessage(channel=channel, text=result.text, blocks=result.blocks)
        except Exception as exc:  # noqa: BLE001 - the change is saved; only the answer failed
            log.warning("answer to %s in %s failed: %s", user, channel, exc)

    return answer


# ---------------------------------------------------------------- carrying out the rest

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


def deliver_posts(result: Result, client, respond=None) -> None:
    """Post a result's channel messages; a channel the bot can't post in is told to the user
    (``respond``: a ``replier``, or None when nobody acted)."""
    for post in result.posts:
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
                hint = INVITE_HINT if err in ("not_in_channel", "channel_not_found") else ""
                respond(text=f":warning: I couldn't post in <#{post.channel}> ({err}).{hint}", response_type="ephemeral")
            continue
        if post.on_posted:
            try:
                post.on_posted(res["ts"])
            except StoreFull:  # never leave in Slack what the bot could not record: clicks on it would find nothing
                _take_back(client, res.get("channel") or post.channel, res["ts"], respond)
                continue
        if post.on_sent:
            post.on_sent(res.get("channel") or post.channel, res["ts"])


def _take_back(client, channel: str, ts: str, respond=None) -> None:
    """Delete a post the bot could not record (its disk is full), and say so."""
    try:
        client.chat_delete(channel=channel, ts=ts)
    except SlackApiError as exc:
        log.warning("chat.delete of an unrecorded post %s/%s failed: %s", channel, ts, exc.response.get("error"))
    if respond is not None:
        respond(text=f":warning: {DISK_FULL}", response_type="ephemeral")


def deliver_uploads(result: Result, client, respond=None) -> None:
    """Upload a result's files (``files.uploadV2``); a failure is told to the user."""
    for up in result.uploads:
        try:
            channel = up.channel
            if channel[:1] in ("U", "W"):  # to a person: their DM with the bot (files are shared to conversations only)
                channel = client.conversations_open(users=channel)["channel"]["id"]
            client.files_upload_v2(channel=channel, filename=up.filename, content=up.content, title=up.title or up.filename,
                                   initial_comment=up.comment or None)
        except Exception as exc:  # noqa: BLE001 - SlackApiError, or the upload URL refused the bytes
            err = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)[:200]
            log.warning("upload of %s to %s failed: %s", up.filename, up.channel, err)
            if respond is not None:
                hint = INVITE_HINT if err in ("not_in_channel", "channel_not_found") else ""
                respond(text=f":warning: I couldn't upload `{up.filename}` ({err}).{hint}", response_type="ephemeral")


def _reactions_and_ephemerals(result: Result, client) -> None:
    for r in result.reactions:
        try:
            client.reactions_add(channel=r.channel, timestamp=r.ts, name=r.name)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_reacted":
                log.warning("reactions.add on %s/%s failed: %s", r.channel, r.ts, exc.response.get("error"))
    for e in result.ephemerals:
        try:
            client.chat_postEphemeral(channel=e.channel, user=e.user, text=e.text, blocks=e.blocks, thread_ts=e.thread_ts)
        except SlackApiError as exc:
            log.warning("ephemeral notice to %s in %s failed: %s", e.user, e.channel, exc.response.get("error"))


def _followups(result: Result, services, client, ctx: Ctx | None, respond=None) -> None:
    for request in result.followups:
        fn = FOLLOWUPS.get(type(request))
        if fn is None:
            log.error("no runner for the follow-up %r", type(request).__name__)
            continue
        try:
            fn(request, services, client, ctx, respond)
        except Exception as exc:  # noqa: BLE001 - the user gets an apology, the log the traceback
            eid = uuid.uuid4().hex[:8]
            log.error("error %s in follow-up %s\n%s", eid, type(request).__name__, error_trace(exc))
            if respond is not None:
                respond(text=APOLOGY.format(eid=eid), response_type="ephemeral")


def open_view(view: dict[str, Any], client, trigger_id: str | None, on_fail: Callable[[str], None] | None) -> None:
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
        if on_fail is not None:
            on_fail(":warning: I couldn't open the form (it may have taken too long): try again.")


def carry_out(result: Result, ctx: Ctx | None, services, client, body: dict[str, Any] | None = None, respond=None, *,
              answer: Callable[[Result], None] | None = None) -> None:
    """Do in Slack what ``result`` asks. ``answer`` gives whoever acted the answer in the way of
    their surface (default: ``tell``); it is not called when the result has no text."""
    body = body or {}
    answer = answer or answer_by_telling(body, client, respond)
    if result.open_view:
        open_view(result.open_view, client, body.get("trigger_id") or (ctx.trigger_id if ctx else None),
                  lambda text: tell(text, body, client, respond))
    if result.push_view:
        try:
            client.views_push(trigger_id=body.get("trigger_id"), view=result.push_view)
        except SlackApiError:  # fall back to opening it
            open_view(result.push_view, client, body.get("trigger_id"), lambda text: tell(text, body, client, respond))
    view_id = (body.get("view") or {}).get("id")
    if result.update_view and view_id:  # the modal the click came from (a click without one has nothing to update)
        try:
            client.views_update(view_id=view_id, view=result.update_view)
        except SlackApiError as exc:
            log.warning("views.update failed: %s", exc.response.get("error"))
    if result.text or result.blocks:
        answer(result)
    updates = list(result.updates)
    if result.changed and ctx is not None:
        seen = {(u.channel, u.ts) for u in updates}
        for change in result.changed:
            updates += [u for u in guarded_list(lambda: redraw(ctx, change), "redrawing checklists") if (u.channel, u.ts) not in seen]
    apply_updates(updates, client)
    say = replier(body, client, respond) if body else None  # nobody acted (the sweep): nobody to tell
    deliver_posts(result, client, say)
    deliver_uploads(result, client, say)
    _reactions_and_ephemerals(result, client)
    _followups(result, services, client, ctx, say)
    if ctx is not None:
        for user in result.refresh_home:
            publish_home(dataclasses.replace(ctx, user_id=user), client)


def publish_home(ctx: Ctx, client, page: int = 1) -> None:
    holder: dict[str, Any] = {}

    def build() -> Result:
        holder["view"] = home_tab(ctx, page)
        return Result(text="ok")

    result = guarded(build, "App Home")
    view = holder.get("view")
    if result.error or view is None:
        view = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": result.text}}]}
    try:
        client.views_publish(user_id=ctx.user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish for %s failed: %s", ctx.user_id, exc.response.get("error"))
