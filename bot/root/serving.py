"""Running the bot: HTTP mode (waitress, POST /slack/events, GET /healthz, GET /calendar/<token>.ics),
Socket Mode, and the calendar feeds' own read-only listener (``scep-bot serve-calendars``)."""

from __future__ import annotations

import logging
import os
import time

from bot.calendar import dates
from bot.root.app import build_app
from bot.root.clock import start_clock
from bot.root.health import HealthServer, SlackUnreachable, check_tokens, health_body
from bot.root.services import (
    build_services,
    check_files_in_background,
    real_clock,
    warm_up,
)
from bot.root.settings import ConfigError, Settings, port_setting

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
    _check_tokens(settings, services)  # a token Slack refuses: one line and exit 2, not a healthy-looking /healthz
    check_files_in_background(services)
    app = build_app(services, token=settings.bot_token, signing_secret=settings.signing_secret)
    warm_up()
    wsgi = make_wsgi(app, services)
    from handlers.http_guard import serve

    clock = start_clock(services, app.client)
    stop = on_sigterm(services)
    paths = "POST /slack/events, GET /healthz" + (", GET /slack/install and /slack/oauth_redirect (many workspaces)" if settings.oauth else "")
    log.info("scep-bot HTTP mode on %s:%s (%s), ready in %.2fs", host, port, paths, time.monotonic() - started)
    try:
        serve(wsgi, host=host, port=port, stop=stop)  # waitress, as handlers/http_guard.py sets it up
    finally:
        clock.stop(wait=True)  # the sweep under way releases what it has not posted, then ends
        _wait_for_sweeps(services)
        _finish_listeners(app)
        services.store.close()
    log.info("scep-bot stopped")
    return 0


def on_sigterm(services):
    """A graceful stop on SIGTERM (what docker, systemd and Kubernetes send): the sweep under way
    stops claiming and posting and releases its claims; the HTTP server stops accepting and
    finishes the requests it has. Returns the event that SIGTERM sets."""
    import signal
    import threading

    from schedules.sweep.jobs import sweeper_for

    stop = threading.Event()
    sweeper = sweeper_for(services)

    def handler(signum, frame):  # noqa: ARG001 - signal's signature
        log.info("SIGTERM: stopping (finishing the requests and the sweep under way)")
        sweeper.stop()
        if services.workspace_sweeps is not None:
            services.workspace_sweeps.stop()  # many workspaces: every workspace's sweep
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    return stop


def _wait_for_sweeps(services, timeout: float = 30.0) -> None:
    """Wait for a sweep the admin endpoint started (it releases its claims once stopping)."""
    from schedules.sweep.jobs import sweeper_for

    running = sweeper_for(services).running
    if running.acquire(timeout=timeout):
        running.release()
    if services.workspace_sweeps is not None:
        services.workspace_sweeps.wait(timeout)


def _finish_listeners(app) -> None:
    """Wait for Bolt's listeners still running (work after ``ack()``)."""
    runner = getattr(app, "_listener_runner", None)
    executor = getattr(runner, "listener_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)


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
            status, body = health_body(app, services)
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
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
    """Socket Mode; GET /healthz on SCEP_HEALTH_PORT (HOST's address) when it is set."""
    _require(settings, "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    from bot.root.app import socket_mode_handler

    health_port = port_setting("SCEP_HEALTH_PORT", None)
    services = build_services(settings)
    _check_tokens(settings, services, app_token=True)
    check_files_in_background(services)
    app = build_app(services, token=settings.bot_token, signing_secret=None)
    warm_up()
    watch = None
    try:
        if health_port is not None:
            watch = HealthServer(app, services, (os.environ.get("HOST") or "").strip() or "0.0.0.0", health_port).start()
        clock = start_clock(services, app.client)
        if settings.calendar_port:
            _feeds_in_background(services, settings.calendar_port)
    except BaseException:
        services.store.close()
        raise
    log.info("scep-bot Socket Mode: connecting")
    try:
        socket_mode_handler(app, settings.app_token).start()
    except Exception as exc:  # noqa: BLE001 - Slack unreachable after the check: one line, exit 3
        raise SlackUnreachable(f"Socket Mode stopped: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}") from None
    finally:
        clock.stop()
        if watch is not None:
            watch.stop()
        services.store.close()
    return 0


def _check_tokens(settings: Settings, services, *, app_token: bool = False) -> None:
    """``check_tokens`` after the store opened (its problems are named first); the store is
    closed when Slack refuses."""
    try:
        check_tokens(settings, app_token=app_token)
    except BaseException:
        services.store.close()
        raise


def _require(settings: Settings, *names: str) -> None:
    values = {"SLACK_BOT_TOKEN": settings.bot_token, "SLACK_SIGNING_SECRET": settings.signing_secret, "SLACK_APP_TOKEN": settings.app_token}
    missing = [n for n in names if not values[n]]
    if missing:
        raise ConfigError(f"{' and '.join(missing)} must be set for this mode (see the README's Slack set-up)")
