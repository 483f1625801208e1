"""Every request's way into Bolt, whatever carried it (HTTP, Socket Mode, the console, the tests)."""

from __future__ import annotations

import json
import logging

log = logging.getLogger("scep-bot")


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
        form_without_payload(req)
    except Exception as exc:  # noqa: BLE001 - whatever Bolt trips on, the request is refused
        return refuse(f"{type(exc).__name__}: {str(exc)[:120]}")
    why = problem(req.body)
    if why is not None:
        return refuse(why)
    return app.dispatch(req)


def form_without_payload(req) -> None:
    """Bolt's ``parse_body`` takes any form body with the word "payload" anywhere in it (a slash
    command's ``text=notes payload``) for an interactive payload and, finding no ``payload``
    field, parses it as ``{}``: the command is lost. Such a body is parsed again here as the plain
    form it is (the raw bytes, which the signature covers, are unchanged)."""
    from urllib.parse import parse_qsl

    from slack_bolt.context import BoltContext
    from slack_bolt.request.internals import build_context

    raw = req.raw_body if isinstance(req.raw_body, str) else ""
    if req.body or "payload" not in raw or raw.startswith("{") or req.content_type == "application/json":
        return
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" not in fields:
        req.body = fields
        req.context = build_context(BoltContext({}), req.body)
