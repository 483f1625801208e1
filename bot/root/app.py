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


def build_app(services: Services, *, token: str | None, signing_secret: str | None, process_before_response: bool = False, background: bool = True):
    """The Bolt app with every listener registered; its client talks to ``SLACK_API_URL``.

    With ``settings.oauth`` (SLACK_CLIENT_ID...) and no ``token``: many workspaces, each request's
    token from its installation (``bot/root/installs.py``), the install pages served by Bolt.

    ``background``: start the start-up work that must not delay start-up (the notes backfill:
    replies written in prompt threads while the bot was down), each in its own thread."""
    from slack_bolt import App

    import handlers
    from handlers.prompt_ack import AckWaitingExecutor, signal_ack

    settings = services.settings
    from bot.root.redact import install

    install(settings.client_secret, settings.state_secret, settings.signing_secret, settings.bot_token, settings.app_token)
    many = token is None and settings.oauth
    auth = SlackAuth(fix=SlackAuth.INSTALLED) if many else services.slack_auth  # many: a guard per workspace (TeamClients)
    seal = lambda view: seal_view(services, view)  # noqa: E731 - every view the bot opens carries its sealed metadata
    client = web_client(token, settings.api_url, auth, settings.slack_timeout, seal=seal)
    extra = {}
    if many:
        from bot.root.installs import Installations, TeamClients, oauth_flow

        flow = extra["oauth_flow"] = oauth_flow(settings, client)
        teams = services.team_clients = TeamClients(flow.settings.installation_store, settings.api_url, settings.slack_timeout, seal=seal)
        services.installations = Installations(flow.settings.installation_store, services)
    app = App(
        client=client,
        listener_executor=AckWaitingExecutor(LISTENER_THREADS),  # the response as soon as ack() is called
        signing_secret=signing_secret,
        token_verification_enabled=False,
        process_before_response=process_before_response,
        request_verification_enabled=signing_secret is not None,
        **extra,
    )
    from handlers.sealed_views import ViewSeal, seal_view
    from handlers.shape import ShapeGuard

    app.use(ShapeGuard())  # first: nothing else reads a body Slack would never send
    app.use(ViewSeal(services, lambda: app.client))  # then: a form acts only where the bot opened it
    if not process_before_response:  # (the console answers in the request thread: nothing to wait for)
        app.use(signal_ack)  # an ack() the executor sees at once, rather than at Bolt's next 10 ms poll
    if signing_secret:
        from slack_sdk.signature import SignatureVerifier

        app.scep_verifier = SignatureVerifier(signing_secret)  # safe_dispatch checks before refusing

    @app.middleware
    def one_guarded_client(context, next):  # noqa: ANN001 - Bolt's signature
        # Bolt gives each request a plain WebClient; use the app's (or, many workspaces, the
        # workspace's), so that every call shares the token guard, the retry rules and the timeout
        if not many:
            context["client"] = app.client
        elif context.get("token"):
            context["client"] = teams.for_token(context["token"])
        return next()

    handlers.register_all(app, services)
    if background:
        from handlers.notes_backfill import start_backfill

        start_backfill(services, app.client, teams.for_team if many else None)

    @app.error
    def on_error(error, body, request, logger):  # noqa: ANN001 - Bolt's signature
        from handlers.replay import forget_failed

        forget_failed(services, request)  # Slack's retry of it is then handled
        from bot.core.logtext import error_trace

        log.error("unhandled error in a listener (request type %s)\n%s", (body or {}).get("type") or (body or {}).get("command"), error_trace(error))
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


