"""A small admin endpoint on 127.0.0.1 so operator commands can reach a running bot.

The store allows one process per data directory. While ``scep-bot serve``/``socket`` runs, an
operator command such as ``scep-bot sweep --at ...`` cannot open the store, so it hands the work
to the running bot instead: the bot listens on 127.0.0.1 (a free port, or ``SCEP_ADMIN_PORT``)
and writes ``DATA_DIR/admin.json`` (mode 0600) with the port and a random token; a request must
carry ``Authorization: Bearer <token>``. Whoever can read the data directory can run the bot's
operator commands anyway; nobody else can.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from bot.store.files import atomic_write

log = logging.getLogger("scep-bot.admin")

ADMIN_FILE = "admin.json"
Route = Callable[[dict[str, Any]], dict[str, Any]]


class AdminUnavailable(RuntimeError):
    """No running bot answers on this data directory's admin endpoint."""


class BadRequest(ValueError):
    """The request's body is wrong; the message says how."""


class AdminServer:
    def __init__(self, data_dir: Path, routes: dict[str, Route], port: int = 0) -> None:
        self.data_dir = Path(data_dir)
        self.routes = routes
        self.port = port
        self.token = secrets.token_urlsafe(32)
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> "AdminServer":
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                given = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
                if not hmac.compare_digest(given.encode(), outer.token.encode()):
                    self._send(401, {"error": "not authorized: read the token from the data directory's admin.json"})
                    return
                route = outer.routes.get(self.path)
                if route is None:
                    self._send(404, {"error": f"no such admin command: {self.path}"})
                    return
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                    body = json.loads(self.rfile.read(length) or b"{}") if length > 0 else {}
                    if not isinstance(body, dict):  # a list or a string would reach the route and fail there (500)
                        raise BadRequest(f"the body must be a JSON object like {{\"at\": \"2021-11-02T09:00-04:00\"}}, not {json.dumps(body)[:40]}")
                    self._send(200, route(body))
                except (BadRequest, ValueError) as exc:
                    self._send(400, {"error": str(exc)})
                except Exception as exc:  # noqa: BLE001 - the operator sees it; the bot lives on
                    log.exception("admin %s failed", self.path)
                    self._send(500, {"error": f"{type(exc).__name__}: {exc}"})

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="scep-admin", daemon=True).start()
        port = self.server.server_address[1]
        path = self.data_dir / ADMIN_FILE
        self.data_dir.mkdir(parents=True, exist_ok=True)  # with PostgreSQL nothing else creates it
        atomic_write(path, json.dumps({"port": port, "token": self.token, "pid": os.getpid()}))
        os.chmod(path, 0o600)
        log.info("admin endpoint on 127.0.0.1:%s (token in %s)", port, path)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        try:
            path = self.data_dir / ADMIN_FILE
            if json.loads(path.read_text()).get("pid") == os.getpid():
                path.unlink()
        except (OSError, ValueError):
            pass


def call(data_dir: Path, path: str, body: dict[str, Any], timeout: float = 900.0) -> dict[str, Any]:
    """POST ``body`` to the running bot's admin ``path``; AdminUnavailable if none answers."""
    info_path = Path(data_dir) / ADMIN_FILE
    try:
        info = json.loads(info_path.read_text())
        port, token = int(info["port"]), str(info["token"])
    except (OSError, ValueError, KeyError, TypeError):
        raise AdminUnavailable(f"no admin endpoint is recorded in {info_path}") from None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            msg = json.loads(exc.read() or b"{}").get("error") or str(exc)
        except ValueError:
            msg = str(exc)
        if exc.code == 400:
            raise BadRequest(msg) from None
        raise AdminUnavailable(f"the running bot answered {exc.code}: {msg}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise AdminUnavailable(f"the running bot's admin endpoint (127.0.0.1:{port}) does not answer ({getattr(exc, 'reason', exc)})") from None
