"""Running the bot: HTTP mode (waitress, POST /slack/events, GET /healthz, GET /calendar/<token>.ics),
Socket Mode, and the calendar feeds' own read-only listener (``scep-bot serve-calendars``)."""

from __future__ import annotations

import json
import logging
import time

from bot.calendar import dates
from bot.root.app import build_app
from bot.root.clock import start_clock
from bot.root.services import (
    build_services,
    check_files_in_background,
    real_clock,
    warm_up,
)
from bot.root.settings import ConfigError, Settings

log = logging.getLogger("scep-bot")


def running_clock(start_text: str | None):
    """The real clock, or (``--now``) one that starts at that instant and runs at the real pace."""
    if not start_text:
        return real_clock
    from datetime import timedelta

    start, t0 = dates.parse_instant(start_text), time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - t0)


def serve_command(settings: Settings, host: str, port: int, now_text: str | None = None) -> int:
    if not settings.oauth:  # many workspaces: the settings checked the rest (SLACK_CLIENT_ID...)
        _require(settings, "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    started = time.monotonic()
    services = build_services(settings, clock=running_clock(now_text))
    check_files_in_background(services)
    app = build_app(services, token=settings.bot_token, signing_secret=settings.signing_secret)
    warm_up()
    wsgi = make_wsgi(app, services)
    from handlers.http_guard import serve

    clock = start_clock(services, app.client)
    paths = "POST /slack/events, GET /healthz" + (", GET /slack/install and /slack/oauth_redirect (many workspaces)" if settings.oauth else "")
    log.info("scep-bot HTTP mode on %s:%s (%s), ready in %.2fs", host, port, paths, time.monotonic() - started)
    try:
        serve(wsgi, host=host, port=port)  # waitress, as handlers/http_guard.py sets it up
    finally:
        clock.stop()
        services.store.close()
    return 0


def make_wsgi(app, services):
    """POST /slack/events to Bolt; GET /healthz; GET /calendar/<token>.ics (the feeds); many
    workspaces: GET /slack/install (the "Add to Slack" page) and /slack/oauth_redirect (Slack's
    redirect back) to Bolt's OAuth flow; everything else 404.

    Refuses an app that does not verify Slack's signatures: over HTTP anyone can post."""
    if getattr(app, "scep_verifier", None) is None:
        raise ConfigError("HTTP mode needs SLACK_SIGNING_SECRET: without it anyone could send the bot commands")
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from handlers.dispatch import safe_dispatch

    class SafeHandler(SlackRequestHandler):
        def dispatch(self, request):  # noqa: ANN001 - Bolt's signature
            return safe_dispatch(self.app, request.get_body(), request.get_headers(), query=request.query_string)

    bolt = SafeHandler(app, path="/slack/events")
    from handlers.http_guard import SignedBodyGuard

    bolt = SignedBodyGuard(bolt, app.scep_verifier.signing_secret)  # size, signature, UTF-8: on the raw bytes, before Bolt reads them
    feeds = calendar_wsgi(services)
    from handlers.calendar_http import is_calendar_path

    flow = getattr(app, "oauth_flow", None)
    oauth_paths = (flow.install_path, flow.redirect_uri_path) if flow is not None else ()

    def wsgi(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            auth = services.slack_auth
            if auth is not None and auth.probe_due():
                try:  # Slack refused the token earlier: is it accepted again? (one call per probe interval)
                    app.client.auth_test()
                except Exception:  # noqa: BLE001 - SlackApiError: still refused, or Slack unreachable
                    pass
            ok = auth is None or auth.ok
            info = {"ok": ok, "schools": len(services.store.school_ids()), **(auth.health() if auth is not None else {})}
            teams = services.team_clients
            if teams is not None:
                info["workspaces_installed"] = teams.installed_teams()
            body = json.dumps(info).encode()
            # 503 while Slack refuses the token: monitors alert; restarting does not help (fix the token)
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/slack/events" or (oauth_paths and path in oauth_paths and environ.get("REQUEST_METHOD") == "GET"):
            return bolt(environ, start_response)
        if is_calendar_path(path):
            return feeds(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: Slack posts to /slack/events\n"]

    return wsgi


def calendar_wsgi(services):
    """The feeds alone (``/calendar/<token>.ics``; 404 elsewhere), rate-limited per address."""
    from handlers.calendar_http import RateLimit, calendar_app, is_calendar_path

    feeds = calendar_app(services, RateLimit(services.settings.calendar_rate))

    def wsgi(environ, start_response):
        if is_calendar_path(environ.get("PATH_INFO", "")):
            return feeds(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return wsgi


def serve_calendars_command(settings: Settings, host: str, port: int, now_text: str | None = None) -> int:
    """Only the calendar feeds, read-only, on ``host:port`` (Socket Mode deployments have no HTTP
    server of their own). Needs no Slack credentials. With TinyDB it cannot share a data directory
    with a running bot (one process per directory): set SCEP_CALENDAR_PORT for ``socket`` instead."""
    services = build_services(settings, clock=running_clock(now_text))
    from handlers.http_guard import serve

    log.info("scep-bot calendar feeds on %s:%s (GET /calendar/<token>.ics)", host, port)
    try:
        serve(calendar_wsgi(services), host=host, port=port)
    finally:
        services.store.close()
    return 0


def _feeds_in_background(services, port: int) -> None:
    import threading

    from handlers.http_guard import serve

    threading.Thread(target=serve, args=(calendar_wsgi(services),), kwargs={"host": "0.0.0.0", "port": port},
                     name="calendar-feeds", daemon=True).start()
    log.info("calendar feeds on port %s (SCEP_CALENDAR_PORT)", port)


def socket_command(settings: Settings) -> int:
    _require(settings, "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    from bot.root.app import socket_mode_handler

    services = build_services(settings)
    check_files_in_background(services)
    app = build_app(services, token=settings.bot_token, signing_secret=None)
    warm_up()
    clock = start_clock(services, app.client)
    if settings.calendar_port:
        _feeds_in_background(services, settings.calendar_port)
    log.info("scep-bot Socket Mode: connecting")
    try:
        socket_mode_handler(app, settings.app_token).start()
    finally:
        clock.stop()
        services.store.close()
    return 0


def _require(settings: Settings, *names: str) -> None:
    values = {"SLACK_BOT_TOKEN": settings.bot_token, "SLACK_SIGNING_SECRET": settings.signing_secret, "SLACK_APP_TOKEN": settings.app_token}
    missing = [n for n in names if not values[n]]
    if missing:
        raise ConfigError(f"{' and '.join(missing)} must be set for this mode (see the README's Slack set-up)")
