"""Fail fast and be watchable: the tokens checked at start, and the health answer (GET /healthz).

``check_tokens`` asks Slack (``auth.test`` with the bot token; ``apps.connections.open`` with the
app token in Socket Mode) before the bot starts: a refused token or an unreachable Slack is one
line and a non-zero exit (2: a token Slack refuses, fix the setting; 3: Slack did not answer,
try again), never a healthy-looking process that cannot post.

``health`` is the JSON both modes serve: ``{"ok", "schools", "slack_auth", ...}`` with 200, or
503 while Slack refuses the token. HTTP mode serves it at ``GET /healthz`` on its own port;
Socket Mode on ``SCEP_HEALTH_PORT`` (``HealthServer``), when set.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bot.root.settings import ConfigError, Settings
from bot.store.port import StoreError

log = logging.getLogger("scep-bot")

AUTH_ERRORS = ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission_token",
               "not_allowed_token_type", "invalid_token")


class SlackUnreachable(RuntimeError):
    """Slack did not answer the start-up check (exit 3: a restart later may work)."""


def check_tokens(settings: Settings, *, app_token: bool = False) -> dict[str, Any]:
    """``auth.test`` with SLACK_BOT_TOKEN (and, with ``app_token``, ``apps.connections.open`` with
    SLACK_APP_TOKEN); Slack's answer to auth.test. ``ConfigError`` naming the setting when Slack
    refuses a token; ``SlackUnreachable`` when it does not answer within SLACK_API_TIMEOUT."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    checks = [("SLACK_BOT_TOKEN", settings.bot_token, "auth_test",
               "reinstall the app to the workspace and copy its Bot User OAuth Token (xoxb-...)")]
    if app_token:
        checks.append(("SLACK_APP_TOKEN", settings.app_token, "apps_connections_open",
                       "copy an App-Level Token with the connections:write scope (xapp-...) from Basic Information"))
    answer: dict[str, Any] = {}
    for name, token, method, fix in checks:
        client = WebClient(token=token, base_url=settings.api_url, timeout=settings.slack_timeout)
        try:
            res = client.auth_test() if method == "auth_test" else client.apps_connections_open(app_token=token)
        except SlackApiError as exc:
            error = (exc.response or {}).get("error") if exc.response is not None else None
            if error in AUTH_ERRORS:
                raise ConfigError(f"Slack refused {name} ({error}): {fix}") from None
            raise SlackUnreachable(f"Slack answered {method.replace('_', '.')} with an error ({error}) at {settings.api_url}: try again later") from None
        except Exception as exc:  # noqa: BLE001 - timeouts, DNS, refused connections: one line, not a traceback
            raise SlackUnreachable(f"Slack did not answer at {settings.api_url} ({type(exc).__name__}: {' '.join(str(exc).split())[:160]}); "
                                   "check the network (or SLACK_API_URL) and start again") from None
        if method == "auth_test":
            answer = dict(res.data) if isinstance(res.data, dict) else {}
    log.info("Slack accepts the bot token (workspace %s, bot user %s)", answer.get("team") or "?", answer.get("user_id") or "?")
    return answer


def health(app: Any, services: Any) -> tuple[bool, dict[str, Any]]:
    """Whether the bot can work, and the JSON to say so (the same in both modes)."""
    auth = services.slack_auth
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
        except StoreError as exc:  # the database went away between the two questions
            info.update(ok=False, store=str(exc))
    ok = info["ok"]
    if services.team_clients is not None:
        info["workspaces_installed"] = services.team_clients.installed_teams()
    return ok, info


def health_body(app: Any, services: Any) -> tuple[str, bytes]:
    """The HTTP status line and body of GET /healthz (503 while Slack refuses the token or the
    database does not answer: monitors alert, a load balancer sends requests elsewhere;
    restarting does not help, fixing the token or the database does)."""
    ok, info = health(app, services)
    return ("200 OK" if ok else "503 Service Unavailable"), json.dumps(info).encode()


class HealthServer:
    """GET /healthz on ``host:port`` in a thread of its own (Socket Mode has no HTTP server)."""

    def __init__(self, app: Any, services: Any, host: str, port: int) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: monitors poll often
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path.split("?")[0] != "/healthz":
                    status, body = "404 Not Found", b'{"error": "GET /healthz"}'
                else:
                    status, body = health_body(outer.app, outer.services)
                self.send_response(int(status.split()[0]))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.app, self.services = app, services
        try:
            self.server = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:
            raise ConfigError(f"SCEP_HEALTH_PORT {port}: cannot listen on {host}:{port} ({exc.strerror})") from None
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def start(self) -> "HealthServer":
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, name="scep-health", daemon=True).start()
        log.info("health endpoint: GET http://%s:%s/healthz", self.server.server_address[0], self.port)
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
