"""The composition root: settings, the store, the cycles, the Bolt app and the clock, wired.

This is the only module that imports ``handlers`` and ``schedules``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import psycopg
from psycopg.conninfo import conninfo_to_dict

from bot.calendar import dates
from bot.calendar.cycles import CycleLibrary
from bot.core.command import load_features
from bot.root.store import open_store
from bot.store.port import Store
from handlers.slack_client import SlackAuth, web_client

log = logging.getLogger("scep-bot")

DEFAULT_API_URL = "https://slack.com/api/"


class ConfigError(ValueError):
    """A missing or malformed setting; the message names the environment variable."""


@dataclass
class Settings:
    # secrets stay out of repr(): a Settings printed or logged shows no token
    bot_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    data_dir: Path = field(default_factory=lambda: default_data_dir())
    slack_timeout: float = 10.0  # seconds to wait for a Web API answer (SLACK_API_TIMEOUT)
    # SCEP_DATABASE_URL: the PostgreSQL store instead of TinyDB in data_dir (it may hold a password)
    database_url: str | None = field(default=None, repr=False)
    database_pool_size: int = 10  # connections per process at most (SCEP_DATABASE_POOL_SIZE)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)

        def get(name: str) -> str | None:
            value = (env.get(name) or "").strip()
            return value or None

        s = cls(
            bot_token=get("SLACK_BOT_TOKEN"),
            signing_secret=get("SLACK_SIGNING_SECRET"),
            app_token=get("SLACK_APP_TOKEN"),
            api_url=get("SLACK_API_URL") or DEFAULT_API_URL,
            data_dir=Path(get("SCEP_DATA_DIR") or default_data_dir()).expanduser(),
            database_url=get("SCEP_DATABASE_URL"),
        )
        pool = get("SCEP_DATABASE_POOL_SIZE")
        if pool is not None:
            if not pool.isdigit() or not 1 <= int(pool) <= 1000:
                raise ConfigError(f"SCEP_DATABASE_POOL_SIZE '{pool}' is not a number of connections between 1 and 1000 (default 10)")
            s.database_pool_size = int(pool)
        timeout = get("SLACK_API_TIMEOUT")
        if timeout is not None:
            try:
                s.slack_timeout = float(timeout)
            except ValueError:
                raise ConfigError(f"SLACK_API_TIMEOUT '{timeout}' is not a number of seconds (default 10)") from None
            if not 0.1 <= s.slack_timeout <= 120:
                raise ConfigError("SLACK_API_TIMEOUT must be between 0.1 and 120 seconds (default 10)")
        s.validate()
        return s

    def validate(self) -> None:
        if self.bot_token and not re.match(r"^xox[bp]-[A-Za-z0-9-]+$", self.bot_token):
            raise ConfigError("SLACK_BOT_TOKEN does not look like a bot token: it starts with xoxb- (OAuth & Permissions page of your Slack app)")
        if self.app_token and not re.match(r"^xapp-[A-Za-z0-9-]+$", self.app_token):
            raise ConfigError("SLACK_APP_TOKEN does not look like an app-level token: it starts with xapp- (Basic Information > App-Level Tokens, scope connections:write)")
        if self.signing_secret and not re.match(r"^[A-Za-z0-9]{16,}$", self.signing_secret):
            raise ConfigError("SLACK_SIGNING_SECRET is malformed: copy the Signing Secret from Basic Information > App Credentials")
        if not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", self.api_url):
            raise ConfigError(f"SLACK_API_URL '{self.api_url}' is not an http(s) URL: leave it unset for https://slack.com/api/")
        if not self.api_url.endswith("/"):
            self.api_url += "/"
        if self.database_url:
            check_database_url(self.database_url)

    def mode(self) -> str:
        """Which way to run with these credentials: socket, http or console."""
        if self.bot_token and self.app_token:
            return "socket"
        if self.bot_token and self.signing_secret:
            return "http"
        if self.bot_token:
            # a bot token alone would answer unverified requests in HTTP mode: never guess
            raise ConfigError("SLACK_BOT_TOKEN is set, but neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN "
                              "(Socket Mode): set one of them, or unset SLACK_BOT_TOKEN for the local console")
        return "console"


DATABASE_URL_FORM = "postgresql://user:pass@host:5432/dbname"


def check_database_url(url: str) -> None:
    """``ConfigError`` naming SCEP_DATABASE_URL and the expected form unless ``url`` is a libpq
    URL with a database name. The message never repeats the URL (it may hold a password)."""
    why = None
    if not re.match(r"^postgres(ql)?://", url):
        why = "it does not start with postgresql://"
    else:
        try:
            info = conninfo_to_dict(url)
        except psycopg.Error as exc:
            # libpq quotes what it trips on, which may be part of the password: never shown
            why = re.sub(r'"[^"]*"', "...", str(exc).strip().splitlines()[0])[:200]
        else:
            if not info.get("dbname"):
                why = "it names no database"
            elif not re.match(r"^\d+(,\d+)*$", info.get("port") or "5432"):
                why = "its port is not a number"
    if why:
        raise ConfigError(f"SCEP_DATABASE_URL is malformed ({why}): expected the form {DATABASE_URL_FORM}")


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "scep-bot"


@dataclass
class Services:
    """What listeners and jobs share. ``clock()`` returns the current UTC instant."""

    store: Store
    library: CycleLibrary
    clock: Callable[[], datetime]
    settings: Settings
    extras: dict[str, Any] = field(default_factory=dict)


def real_clock() -> datetime:
    return datetime.now(dates.UTC)


def build_services(settings: Settings, clock: Callable[[], datetime] = real_clock) -> Services:
    load_features()
    library = CycleLibrary.load(settings.data_dir / "cycles")
    for err in library.errors:
        log.error("cycle file skipped: %s", err)
    store = open_store(settings)
    return Services(store=store, library=library, clock=clock, settings=settings)


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
        client=web_client(token, services.settings.api_url, auth, services.settings.slack_timeout),
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener"),
        signing_secret=signing_secret,
        token_verification_enabled=False,
        process_before_response=process_before_response,
        request_verification_enabled=signing_secret is not None,
    )
    from handlers.shape import ShapeGuard

    app.use(ShapeGuard())  # first: nothing else reads a body Slack would never send
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

    return app


def safe_dispatch(app, body: str | dict, headers: dict | None = None, *, query: str | None = None, mode: str = "http"):
    """Bolt's ``dispatch`` for one request, as every entry point (HTTP, Socket Mode, the console,
    the tests) calls it. A body Slack would never send (Bolt's ``BoltRequest`` and its built-in
    middleware raise on some shapes, before any listener runs: ``"user": false``,
    ``"event": null``) is not dispatched: an unsigned one gets 401 as usual, a signed one (or one
    over Socket Mode) an empty 200 and a warning in the log, never a traceback."""
    from slack_bolt.request import BoltRequest
    from slack_bolt.response import BoltResponse

    from handlers.shape import problem

    def refuse(why: str) -> BoltResponse:
        verifier = getattr(app, "scep_verifier", None)
        if mode != "socket_mode" and verifier is not None:
            flat = {str(k).lower(): (v[0] if isinstance(v, (list, tuple)) and v else v) for k, v in (headers or {}).items()}
            raw = body if isinstance(body, str) else json.dumps(body)
            if not verifier.is_valid(raw, str(flat.get("x-slack-request-timestamp") or "0"), str(flat.get("x-slack-signature") or "")):
                return BoltResponse(status=401, body='{"error": "invalid request"}')
        log.warning("ignored a request not shaped as Slack sends it (%s)", why[:200])
        return BoltResponse(status=200, body="")

    try:
        req = BoltRequest(body=body, query=query, headers=headers, mode=mode)
    except Exception as exc:  # noqa: BLE001 - whatever Bolt trips on, the request is refused
        return refuse(f"{type(exc).__name__}: {str(exc)[:120]}")
    why = problem(req.body)
    if why is not None:
        return refuse(why)
    return app.dispatch(req)


def socket_mode_handler(app, app_token: str):
    """Socket Mode's handler, with every envelope going through ``safe_dispatch``; the client is
    chosen in ``handlers/socket_mode.py`` (back within a second after a dropped connection)."""
    from handlers.socket_mode import socket_mode_handler as handler

    return handler(app, app_token, safe_dispatch)


def warm_up() -> None:
    """Import and exercise slow libraries before the first request (Slack gives up at 3 s)."""
    try:
        from bot.calendar import nlp_dates  # noqa: F401 - present once natural-language dates exist

        nlp_dates.warm()
    except ImportError:
        import dateparser

        dateparser.parse("tomorrow 3pm", languages=["en"])


def check_files_in_background(services: Services, delay: float = 5.0) -> None:
    """Check every data file once, ``delay`` seconds after start (so that reading thousands of
    files does not hold up the first requests), off the request path; log each damaged one
    loudly. A request that meets a damaged file is told so at once either way."""

    def run() -> None:
        time.sleep(delay)
        for problem in services.store.check_files():
            log.error("DAMAGED DATA FILE: %s", problem)

    threading.Thread(target=run, name="check-files", daemon=True).start()


@dataclass
class Clock:
    """What ``start_clock`` started: the sweep's scheduler and the admin endpoint."""

    scheduler: Any
    admin: Any

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        if self.admin is not None:
            self.admin.stop()


def run_sweep(services: Services, client, at: datetime | None = None, dry_run: bool = False):
    """One sweep as of ``at`` (default: the services' clock); the SweepReport."""
    from schedules.sweep.jobs import sweep

    return sweep(services, client, at or services.clock(), dry_run=dry_run)


def start_admin(services: Services, client):
    """The admin endpoint on 127.0.0.1 that operator commands (``scep-bot sweep``) use while the
    bot runs on this data directory."""
    from bot.root.admin import AdminServer, BadRequest

    def sweep_route(body: dict[str, Any]) -> dict[str, Any]:
        try:
            at = dates.parse_instant(str(body.get("at") or "")) if body.get("at") else services.clock()
        except dates.DateError as exc:
            raise BadRequest(str(exc)) from None
        return run_sweep(services, client, at, bool(body.get("dry_run"))).as_dict()

    port = int(os.environ.get("SCEP_ADMIN_PORT", "0") or 0)
    return AdminServer(services.settings.data_dir, {"/sweep": sweep_route}, port=port).start()


def start_clock(services: Services, client, *, admin: bool = True) -> Clock:
    """Start the sweep job (every minute) and the admin endpoint. For ``serve`` and ``socket``;
    the console sweeps when asked instead."""
    from schedules.sweep.jobs import start_scheduler

    scheduler = start_scheduler(services, client)
    return Clock(scheduler, start_admin(services, client) if admin else None)
