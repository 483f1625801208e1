"""App Home: ``app_home_opened`` publishes the person's schools; the page buttons page them."""

from __future__ import annotations

import re

from bot.core.command import small_int
from bot.home.view import PAGE_ACTION, PREV_ACTION
from handlers.context import make_ctx
from handlers.executor import publish_home


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
