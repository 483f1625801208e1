"""App Home: ``app_home_opened`` publishes the person's schools; the page buttons page them; a
school's "Picture of the year" uploads the PNG to the person's direct messages with the bot."""

from __future__ import annotations

import logging
import re

from slack_sdk.errors import SlackApiError

from bot.core.command import small_int
from bot.core.result import failed
from bot.home.picture import home_picture
from bot.home.view import PAGE_ACTION, PICTURE_ACTION, PREV_ACTION
from handlers.context import make_ctx
from handlers.executor import carry_out, guarded, publish_home

log = logging.getLogger("scep-bot")


def register(app, services) -> None:
    @app.event("app_home_opened")
    def home_opened(event, body, client):
        if event.get("tab", "home") != "home":
            return
        body = {**body, "user_id": event.get("user"), "team_id": body.get("team_id")}
        ctx = make_ctx(services, body, client)
        publish_home(ctx, client)

    @app.action(re.compile(f"^({PAGE_ACTION}|{PREV_ACTION})$"))
    def page(ack, body, client):
        ack()
        ctx = make_ctx(services, body, client)
        value = ((body.get("actions") or [{}])[0] or {}).get("value")
        publish_home(ctx, client, small_int(value if isinstance(value, str) else "1", 10_000) or 1)

    @app.action(PICTURE_ACTION)
    def picture(ack, body, client, respond):
        ack()
        ctx = make_ctx(services, body, client)
        value = ((body.get("actions") or [{}])[0] or {}).get("value")
        try:  # the person's DM with the bot: a click in App Home has no channel to upload to
            dm = client.conversations_open(users=ctx.user_id)["channel"]["id"]
        except SlackApiError as exc:
            log.warning("conversations.open for the picture failed: %s", exc.response.get("error"))
            out = failed("I couldn't open a direct message with you to send the picture: "
                         "type `/scep timeline picture` in the school's channel instead.")
        else:
            out = guarded(lambda: home_picture(ctx, value, dm), "App Home picture button")
        carry_out(out, ctx, services, client, body, respond)
