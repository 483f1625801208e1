"""Slack delivery: posting a message with chat.postMessage, the classes of Web API errors and
what each means for the ledger, and when to try again.

- 429 (``ratelimited``): slack_sdk's ``RateLimitErrorRetryHandler`` already waited
  ``Retry-After`` and retried; if Slack still refuses, this sweep stops posting and the claims
  are released for a later sweep (``retry`` at ``Retry-After``).
- A refused token (``AUTH_ERRORS``): nothing is lost, everything waits for the token.
- 5xx or no answer: ``retry``, backing off 1, 2, 4... up to ``RETRY_MAX`` minutes.
- ``channel_not_found``/``not_in_channel``/``is_archived``: ``failed`` (not retried), and the
  channel problem is reported (``notices``). A DM to a user who left: nobody to tell there.
- Any other 4xx error: ``failed``.

Files a lone message carries (``Outgoing.files``: the district picture with the weekly digest)
are uploaded after it, in the conversation Slack answered with (a DM's ``D…`` id); a failed
upload is logged and does not undo the message.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable

from handlers.slack_client import AUTH_ERRORS
from schedules.sweep.batching import Message, compose
from schedules.sweep.ledger import Job
from schedules.sweep.pacing import Pacer

CHANNEL_PROBLEMS = ("channel_not_found", "not_in_channel", "is_archived")
GONE_USERS = ("user_not_found", "user_disabled", "account_inactive", "cannot_dm_bot", "messages_tab_disabled")
SERVER_ERRORS = ("internal_error", "fatal_error", "service_unavailable", "request_timeout")  # Slack's own trouble: retried
RETRY_MAX = timedelta(minutes=30)

log = logging.getLogger("scep-bot.sweep")


def backoff(attempts: int, now: datetime) -> datetime:
    """When to try again after the ``attempts``-th failed attempt (1, 2, 4... minutes, at most
    ``RETRY_MAX``)."""
    return now + min(RETRY_MAX, timedelta(minutes=2 ** max(0, min(attempts - 1, 5))))


def post(client, pacer: Pacer, msg: Message, now: datetime, channel_problem: Callable[[object, Job, str, datetime], None]) -> str | None:
    """Post one message; note the outcome on its jobs. ``channel_problem(client, job, err, now)``
    reports a channel the bot cannot post in. Returns a reason to stop posting in this sweep
    (Slack keeps rate limiting, or refuses the token), else None."""
    pending = [j for j in msg.jobs if j.error is None]
    if not pending:
        return None
    for text, blocks, members in compose(msg, pending):
        pacer.wait(msg.target)
        extra = {"metadata": members[0].out.slack_metadata} if len(members) == 1 and members[0].out.slack_metadata else {}
        try:
            res = client.chat_postMessage(channel=msg.target, text=text[:39000], blocks=blocks, unfurl_links=False, unfurl_media=False, **extra)
        except Exception as exc:  # noqa: BLE001 - classified below
            err, status, retry_after = slack_error(exc)
            if err in AUTH_ERRORS:  # the token is refused: nothing is lost, everything waits for it
                for j in members:
                    j.error = ("release", f"Slack refused the bot token ({err})", now)
                return f"Slack refused the bot token ({err})"
            if status == 429 or err == "ratelimited":
                wait = timedelta(seconds=max(1, retry_after or 60))
                for j in members:
                    j.error = ("retry", f"rate limited by Slack (Retry-After {int(wait.total_seconds())}s)", now + wait)
                return "rate limited by Slack"
            is_channel = not msg.target.startswith(("U", "W"))
            if is_channel and err in CHANNEL_PROBLEMS:
                for j in members:
                    j.error = ("failed", err, None)
                problem_job = next((j for j in members if j.state is not None), None)
                if problem_job is not None:
                    channel_problem(client, problem_job, err, now)
                continue
            if not is_channel and err in GONE_USERS:
                for j in members:
                    j.sent_to.append(msg.target)  # nobody to tell there
                continue
            if err is not None and status is not None and status < 500 and err not in SERVER_ERRORS:
                for j in members:
                    j.error = ("failed", err, None)
                continue
            for j in members:
                j.error = ("retry", err or f"{type(exc).__name__}: {exc}"[:200], backoff(j.attempts + 1, now))
            continue
        for j in members:
            j.ts[msg.target] = res.get("ts", "")
            if msg.target not in j.sent_to:
                j.sent_to.append(msg.target)
        if len(members) == 1 and members[0].out.files is not None:
            upload_files(client, members[0], res.get("channel") or msg.target, now)
    return None


def upload_files(client, job: Job, channel: str, now: datetime) -> None:
    """Upload the files of ``job`` (rendered at ``now``) to ``channel``; failures are logged."""
    try:
        files = job.out.files(now)
    except Exception:  # noqa: BLE001 - a picture that cannot be drawn must not stop the sweep
        log.exception("drawing the files of %s failed", job.out.key)
        return
    for filename, content, title in files:
        try:
            client.files_upload_v2(channel=channel, filename=filename, content=content, title=title or filename)
        except Exception as exc:  # noqa: BLE001
            err, _, _ = slack_error(exc)
            log.warning("upload of %s with %s failed: %s", filename, job.out.key, err or repr(exc)[:200])


def slack_error(exc: Exception) -> tuple[str | None, int | None, int | None]:
    """(Slack error code, HTTP status, Retry-After seconds) of an exception from the Web API."""
    resp = getattr(exc, "response", None)
    if resp is None:
        return None, None, None
    err = None
    try:
        err = resp.get("error")
    except Exception:  # noqa: BLE001
        pass
    status = getattr(resp, "status_code", None)
    retry_after = None
    headers = getattr(resp, "headers", None) or {}
    for k, v in headers.items():
        if k.lower() == "retry-after":
            try:
                retry_after = int(v[0] if isinstance(v, list) else v)
            except (TypeError, ValueError):
                retry_after = None
    return err, status, retry_after
