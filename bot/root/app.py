"""The composition root: settings, the store, the cycles, the Bolt app and the clock, wired.

This is the only module that imports ``handlers`` and ``schedules``.
"""

from __future__ import annotations

import logging

from bot.root.services import Services
from handlers.dispatch import safe_dispatch
from handlers.slack_client import SlackAuth, web_client

log = logging.getLogger("scep-bot")



















LISTENER_THREADS = 64  # Bolt's default is 5: five listeners waiting on a slow Slack call would stall every ack


def build_app(services: Services, *, token: str, signing_secret: str | None, process_before_response: bool = False, background: bool = True):
    """The Bolt app with every listener registered; its client talks to ``SLACK_API_URL``.

    ``background``: start the start-up work that must not delay start-up (the notes backfill:
    replies written in prompt threads while the bot was down), each in its own thread."""
    from concurrent.futures import ThreadPoolExecutor

    from slack_bolt import App

    import handlers

    auth = services.extras.setdefault("slack_auth", SlackAuth())
    app = App(
        client=web_client(token, services.settings.api_url, auth, services.settings.slack_timeout,
                          seal=lambda view: seal_view(services, view)),
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener"),
        signing_secret=signing_secret,
        token_verification_enabled=False,
        process_before_response=process_before_response,
        request_verification_enabled=signing_secret is not None,
    )
    from handlers.sealed_views import ViewSeal, seal_view
    from handlers.shape import ShapeGuard

    app.use(ShapeGuard())  # first: nothing else reads a body Slack would never send
    app.use(ViewSeal(services, lambda: app.client))  # then: a form acts only where the bot opened it
    if signing_secret:
        from slack_sdk.signature import SignatureVerifier

        app.scep_verifier = SignatureVerifier(signing_secret)  # safe_dispatch checks before refusing

    @app.middleware
    def one_guarded_client(context, next):  # noqa: ANN001 - Bolt's signature
        # Bolt gives each request a plain WebClient; use the app's, so that every call shares the
        # token guard, the retry rules and the timeout
        context["client"] = app.client
        return next()

    handlers.register_all(app, services)
    if background:
        from handlers.notes_backfill import start_backfill

        start_backfill(services, app.client)

    @app.error
    def on_error(error, body, request, logger):  # noqa: ANN001 - Bolt's signature
        from handlers.replay import forget_failed

        forget_failed(services, request)  # Slack's retry of it is then handled
        log.error("unhandled error in a listener: %r (request type %s)", error, (body or {}).get("type") or (body or {}).get("command"), exc_info=error)
        acked = request.context.ack.response if request is not None and request.context.ack is not None else None
        if acked is not None:
            return acked  # acknowledged before it failed: Slack gets that acknowledgement, not a 500
        return None

    return app




def socket_mode_handler(app, app_token: str):
    """Socket Mode's handler, with every envelope going through ``safe_dispatch``; the client is
    chosen in ``handlers/socket_mode.py`` (back within a second after a dropped connection)."""
    from handlers.socket_mode import socket_mode_handler as handler

    return handler(app, app_token, safe_dispatch)












