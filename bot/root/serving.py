"""Running the bot: HTTP mode (waitress, POST /slack/events, GET /healthz) and Socket Mode."""

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
from bot.store.port import StoreError

log = logging.getLogger("scep-bot")


def running_clock(start_text: str | None):
    """The real clock, or (``--now``) one that starts at that instant and runs at the real pace."""
    if not start_text:
        return real_clock
    from datetime import timedelta

    start, t0 = dates.parse_instant(start_text), time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - t0)


def serve_command(settings: Settings, host: str, port: int, now_text: str | None = None) -> int:
    _require(settings, "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    started = time.monotonic()
    services = build_services(settings, clock=running_clock(now_text))
    check_files_in_background(services)
    app = build_app(services, token=settings.bot_token, signing_secret=settings.signing_secret)
    warm_up()
    wsgi = make_wsgi(app, services)
    from handlers.http_guard import serve

    clock = start_clock(services, app.client)
    stop = on_sigterm(services)
    log.info("scep-bot HTTP mode on %s:%s (POST /slack/events, GET /healthz), ready in %.2fs", host, port, time.monotonic() - started)
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
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    return stop


def _wait_for_sweeps(services, timeout: float = 30.0) -> None:
    """Wait for a sweep the admin endpoint started (it releases its claims once stopping)."""
    from schedules.sweep.jobs import sweeper_for

    running = sweeper_for(services).running
    if running.acquire(timeout=timeout):
        running.release()


def _finish_listeners(app) -> None:
    """Wait for Bolt's listeners still running (work after ``ack()``)."""
    runner = getattr(app, "_listener_runner", None)
    executor = getattr(runner, "listener_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)


def make_wsgi(app, services):
    """POST /slack/events to Bolt; GET /healthz; everything else 404.

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

    def wsgi(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            auth = services.extras.get("slack_auth")
            if auth is not None and auth.probe_due():
                try:  # Slack refused the token earlier: is it accepted again? (one call per probe interval)
                    app.client.auth_test()
                except Exception:  # noqa: BLE001 - SlackApiError: still refused, or Slack unreachable
                    pass
            ok = auth is None or auth.ok
            store_problem = services.store.health()
            info = {"ok": ok and store_problem is None, "store": store_problem or "ok", **(auth.health() if auth is not None else {})}
            if store_problem is None:
                try:
                    info["schools"] = len(services.store.school_ids())
                except StoreError as exc:
                    info.update(ok=False, store=str(exc))
            ok = info["ok"]
            body = json.dumps(info).encode()
            # 503 while Slack refuses the token or the database does not answer: monitors alert
            # (a load balancer sends requests elsewhere); restarting does not help
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/slack/events":
            return bolt(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: Slack posts to /slack/events\n"]

    return wsgi


def socket_command(settings: Settings) -> int:
    _require(settings, "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    from bot.root.app import socket_mode_handler

    services = build_services(settings)
    check_files_in_background(services)
    app = build_app(services, token=settings.bot_token, signing_secret=None)
    warm_up()
    clock = start_clock(services, app.client)
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
