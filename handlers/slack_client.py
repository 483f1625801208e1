"""The Slack Web API client every listener and the sweep share: ``SLACK_API_URL``, a timeout,
429s waited out, 5xx retried for idempotent methods only, and the guard on a refused token."""

from __future__ import annotations

import http.client
import logging
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable

log = logging.getLogger("scep-bot")


# Slack's answers that mean the token itself is refused: no later call can succeed until someone
# fixes the token, so the bot stops calling Slack instead of failing every call in a loop.
AUTH_ERRORS = ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission_token")
# Methods that may be sent again after a 5xx without doing the thing twice (reads, updates in
# place, reactions: Slack answers already_reacted). chat.postMessage is not among them: a 500 may
# come after the message was posted, so it is never repeated here (the sweep's ledger decides).
IDEMPOTENT = frozenset({
    "auth.test", "users.info", "users.list", "conversations.info", "conversations.replies", "conversations.open",
    "chat.update", "chat.getPermalink", "reactions.add", "views.publish", "views.update",
})


class SlackAuth:
    """Whether Slack accepts the bot token; shared by every Slack call of the process.

    The first auth error (``invalid_auth``, ``token_revoked``...) is logged once, at CRITICAL;
    from then on calls fail at once without reaching Slack (the listeners and the sweep carry on
    and record what people ask for), and every ``probe_after`` seconds one call is let through
    to find out whether the token works again. ``/healthz`` reports the state.
    """

    SINGLE = ("Fix SLACK_BOT_TOKEN (reinstall the app to the workspace, copy the new Bot User OAuth Token) and restart; "
              "until then one call every %ds checks whether it works again")
    INSTALLED = ("The workspace's installation no longer works: a workspace admin installs the app again (/slack/install); "
                 "until then one call every %ds checks whether it works again")

    def __init__(self, probe_after: float = 300.0, fix: str = SINGLE) -> None:
        """``fix``: what the operator is told to do (one workspace's token, or an OAuth installation)."""
        self.probe_after = probe_after
        self.fix = fix
        self.error: str | None = None
        self.method: str | None = None
        self.since: datetime | None = None
        self.refusals = 0  # calls refused by Slack or skipped since the first refusal
        self._next_probe = 0.0
        self._probing = False
        self._lock = threading.Lock()

    @property
    def ok(self) -> bool:
        return self.error is None

    def admit(self, method: str) -> bool:
        """May this call go to Slack? (Always while the token works; one probe now and then after.)"""
        with self._lock:
            if self.error is None:
                return True
            if not self._probing and time.monotonic() >= self._next_probe:
                self._probing = True
                return True
            self.refusals += 1
            return False

    def probe_due(self) -> bool:
        return self.error is not None and not self._probing and time.monotonic() >= self._next_probe

    def refused(self, method: str, error: str) -> None:
        with self._lock:
            first = self.error is None
            self.refusals += 1
            self.error, self.method = error, method
            self.since = self.since or datetime.now(timezone.utc)
            self._next_probe = time.monotonic() + self.probe_after
            self._probing = False
        if first:
            log.critical(
                "SLACK REFUSED THE BOT TOKEN (%s, on %s): scep-bot stops calling Slack with it. Commands and clicks are still "
                "recorded, but nothing can be posted. " + self.fix + ", and /healthz reports it.", error, method, int(self.probe_after))

    def accepted(self) -> None:
        if self.error is None:
            return
        with self._lock:
            if self.error is None:
                return
            error, since = self.error, self.since
            self.error = self.method = self.since = None
            self._probing = False
            self.refusals = 0
        log.warning("Slack accepts the bot token again (it refused it with %s since %s)", error, since.isoformat(timespec="seconds") if since else "?")

    def health(self) -> dict[str, Any]:
        if self.error is None:
            return {"slack_auth": "ok"}
        return {"slack_auth": self.error, "slack_auth_since": self.since.isoformat(timespec="seconds") if self.since else None,
                "slack_calls_refused": self.refusals}


VIEW_METHODS = ("views.open", "views.push", "views.update", "views.publish")


def web_client(token: str, api_url: str, auth: SlackAuth | None = None, timeout: float = 10.0,
               seal: Callable[[dict[str, Any]], dict[str, Any]] | None = None):
    """The Web API client: ``SLACK_API_URL``, a 10 s timeout, 429s waited out (Retry-After),
    5xx retried for idempotent methods only, and the token guard (``SlackAuth``). ``seal``, when
    given, seals the ``private_metadata`` of every view sent (handlers/sealed_views.py)."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
    )
    from slack_sdk.http_retry.handler import RetryHandler
    from slack_sdk.web.slack_response import SlackResponse

    class ServerErrorRetry(RetryHandler):
        def _can_retry(self, *, state, request, response=None, error=None) -> bool:
            method = str(getattr(request, "url", "")).rstrip("/").rsplit("/", 1)[-1]
            return response is not None and 500 <= response.status_code < 600 and method in IDEMPOTENT

    guard = auth or SlackAuth()

    class GuardedWebClient(WebClient):
        def api_call(self, api_method: str, **kwargs):  # noqa: ANN003 - slack_sdk's signature
            body = kwargs.get("json")
            if seal is not None and api_method in VIEW_METHODS and isinstance(body, dict) and isinstance(body.get("view"), dict):
                kwargs["json"] = {**body, "view": seal(body["view"])}
            if not guard.admit(api_method):
                data = {"ok": False, "error": guard.error or "invalid_auth", "scep_bot": "not sent: Slack refused the token earlier"}
                raise SlackApiError(f"{api_method} not sent: the bot token was refused ({guard.error})",
                                    SlackResponse(client=self, http_verb="POST", api_url=self.base_url + api_method, req_args={},
                                                  data=data, headers={}, status_code=200))
            try:
                res = super().api_call(api_method, **kwargs)
            except (TimeoutError, OSError, http.client.HTTPException) as exc:
                # no answer (a timeout, a dropped connection): one kind of error for every caller,
                # which handles SlackApiError; status None = unknown whether Slack acted on it
                err = "timeout" if isinstance(exc, TimeoutError) or "timed out" in str(exc) else "slack_unreachable"
                raise SlackApiError(f"{api_method}: no answer from Slack ({type(exc).__name__}: {exc})",
                                    SlackResponse(client=self, http_verb="POST", api_url=self.base_url + api_method, req_args={},
                                                  data={"ok": False, "error": err}, headers={}, status_code=None)) from exc
            except SlackApiError as exc:
                err = exc.response.get("error") if exc.response is not None else None
                if err in AUTH_ERRORS:
                    guard.refused(api_method, err)
                else:
                    guard.accepted()  # Slack read the token (it refused something else)
                raise
            guard.accepted()
            return res

    return GuardedWebClient(
        token=token,
        base_url=api_url,
        timeout=timeout,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1), RateLimitErrorRetryHandler(max_retry_count=2),
                        ServerErrorRetry(max_retry_count=1)],
    )
