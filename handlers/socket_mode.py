"""Socket Mode: which WebSocket client, and how soon it notices a dropped connection.

slack_sdk offers four Socket Mode clients. Two need an asyncio Bolt app (aiohttp, websockets);
the bot's app is synchronous, so the choice is between the built-in one and websocket-client's.
The built-in client (Bolt's default, pinging every 10 s) did not notice a connection the far end
had closed: its reader got end-of-file over and over (a busy loop, one core at 100 %) while each
ping failed with BrokenPipeError, logged every 10 s, until the fifth failure closed the session:
about 60 s without Slack, measured. websocket-client's reader sees the close at once, and
slack_sdk's client then opens a new connection (``apps.connections.open``, then the WebSocket):
about 0.5 s. For a connection that dies without a close (a NAT or firewall that forgets it),
it pings every ``PING_INTERVAL`` seconds and, with ``PING_TIMEOUT``, gives a connection up when
no pong has come back in time (slack_sdk's client passes no ping timeout, hence ``_Client``).

What Slack sends while the bot has no connection: events (``events_api``: messages, App Home
opened) are retried by Slack, with ``retry_attempt``/``retry_reason`` on the envelope (the bot
sees them as ``X-Slack-Retry-Num``, and ``handlers/replay.py`` skips what it has seen); slash
commands and interactions (clicks, forms, shortcuts) are not retried: the person sees Slack's
"didn't respond" error and tries again.
"""

from __future__ import annotations

import time
from typing import Any, Callable

# websocket-client gives a connection up when, at one of its checks (at most PING_TIMEOUT apart), the
# last ping is over PING_TIMEOUT old and unanswered; a new ping restarts the clock, so the window
# is [ping + PING_TIMEOUT, next ping): with 4 s and 2 s a silent connection is given up within 8 s.
PING_INTERVAL = 4.0  # seconds between the client's pings
PING_TIMEOUT = 2.0  # seconds a pong may take (Slack's answer in well under one); must be under PING_INTERVAL
CONCURRENCY = 10  # threads that hand envelopes to Bolt (which acknowledges them; listeners run on their own threads)


def socket_mode_handler(app: Any, app_token: str, dispatch: Callable[..., Any]):
    """Bolt's Socket Mode handler on websocket-client, each envelope going through ``dispatch``
    (the composition root's ``safe_dispatch``)."""
    from slack_bolt.adapter.socket_mode.base_handler import BaseSocketModeHandler
    from slack_bolt.adapter.socket_mode.internals import build_headers, send_response
    from slack_sdk import WebClient
    from slack_sdk.socket_mode.websocket_client import SocketModeClient

    class _Client(SocketModeClient):
        def _run_current_session(self) -> None:
            # slack_sdk's own, with a ping timeout: without one a silent connection is kept for ever
            session = self.current_session
            if session is None:
                return
            try:
                self.logger.info("Starting to receive messages from a new connection")
                session.run_forever(ping_interval=self.ping_interval, ping_timeout=PING_TIMEOUT, http_proxy_host=self.http_proxy_host,
                                    http_proxy_port=self.http_proxy_port, http_proxy_auth=self.http_proxy_auth, proxy_type=self.proxy_type)
                self.logger.info("Stopped receiving messages from a connection")
            except Exception as exc:  # noqa: BLE001 - as slack_sdk does: close it, and the monitor reconnects
                self.logger.warning("the Socket Mode connection failed (%s: %s); reconnecting", type(exc).__name__, exc)
                if self.current_session is not None:
                    self.current_session.close()

    def abort_when_silent(ws, error: Exception) -> None:  # noqa: ANN001 - websocket.WebSocketApp
        # the ping timed out: websocket-client would now send a close frame and wait 3 s for an
        # answer that a dead connection never gives; abort it, so the reconnection starts at once
        from websocket import WebSocketTimeoutException

        if isinstance(error, WebSocketTimeoutException) and ws.sock is not None:
            ws.sock.abort()

    class _Handler(BaseSocketModeHandler):
        def __init__(self) -> None:
            self.app = app
            self.app_token = app_token
            # apps.connections.open goes with the app token on a client of its own: the app's client
            # stops calling Slack while the *bot* token is refused, which must not keep Socket Mode down
            opener = WebClient(base_url=app.client.base_url, timeout=app.client.timeout)
            self.client = _Client(app_token=app_token, logger=app.logger, web_client=opener, ping_interval=PING_INTERVAL,
                                  concurrency=CONCURRENCY, on_error_listeners=[abort_when_silent])
            self.client.socket_mode_request_listeners.append(self.handle)

        def handle(self, client, req) -> None:  # noqa: ANN001 - Bolt's signature
            start = time.time()
            send_response(client, req, dispatch(self.app, req.payload, build_headers(req), mode="socket_mode"), start)

    return _Handler()
