"""Helpers for the notes tests: Slack-shaped message events, and the sweep's steps
(claim, post through the fake Web API, record the ts with ``on_sent``) until the nudges
branch's sweep is on main."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.calendar import dates
from tests.harness import CHANNEL, Bot

TEACHER = "U0TEACH01"
PRINCIPAL = "U0PRINC01"
LIAISON = "U0LIAIS01"
LEDGER = "test_ledger"


def ts_at(instant: str, seq: int = 0) -> str:
    """A Slack ts for an ISO instant (``seq`` makes it unique within the second)."""
    return f"{int(dates.parse_instant(instant).timestamp())}.{seq:06d}"


def school(bot: Bot, commitments: tuple[str, ...] = ("Every student reads daily", "Family partnership", "Data-driven instruction")) -> str:
    bot.setup("Lincoln Elementary model:TSI")
    if commitments:
        bot.command("commitments " + " ".join(f'"{c}"' for c in commitments))
    return bot.services.store.school_for_channel("T0DEMO001", CHANNEL)


def start_prompt(bot: Bot, step: str = "visit 1") -> str:
    before = set(bot.fake.posted)
    bot.command(f"notes start {step}")
    new = [k for k in bot.fake.posted if k not in before]
    assert new, bot.last_response_text()
    return new[-1][1]


def reply(bot: Bot, text: str, *, thread_ts: str, ts: str, user: str = TEACHER, channel: str = CHANNEL,
          event_id: str | None = None, retry: int | None = None, in_slack: bool = True, **extra: Any):
    """A reply posted in a thread: Slack keeps it (``conversations.replies`` lists it) and sends the event."""
    msg = {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "thread_ts": thread_ts,
           "channel_type": "channel", "event_ts": ts, **extra}
    if in_slack and not any(m.get("ts") == ts for m in bot.fake.replies.get((channel, thread_ts), [])):
        bot.fake.replies.setdefault((channel, thread_ts), []).append({k: v for k, v in msg.items() if k != "channel"})
    return bot.event(msg, event_id=event_id, retry=retry)


def edit(bot: Bot, text: str, *, thread_ts: str, ts: str, user: str = TEACHER, channel: str = CHANNEL, event_id: str | None = None):
    for m in bot.fake.replies.get((channel, thread_ts), []):
        if m.get("ts") == ts:
            m["text"] = text
    return bot.event({
        "type": "message", "subtype": "message_changed", "hidden": True, "channel": channel, "ts": f"{ts[:-3]}999",
        "message": {"type": "message", "user": user, "text": text, "ts": ts, "thread_ts": thread_ts, "edited": {"user": user, "ts": ts}},
        "previous_message": {"type": "message", "user": user, "text": "before", "ts": ts, "thread_ts": thread_ts},
    }, event_id=event_id)


def delete(bot: Bot, *, thread_ts: str | None, ts: str, channel: str = CHANNEL, user: str = TEACHER):
    if thread_ts:
        msgs = bot.fake.replies.get((channel, thread_ts), [])
        msgs[:] = [m for m in msgs if m.get("ts") != ts]
    prev = {"type": "message", "user": user, "text": "gone", "ts": ts}
    if thread_ts:
        prev["thread_ts"] = thread_ts
    return bot.event({"type": "message", "subtype": "message_deleted", "hidden": True, "channel": channel,
                      "ts": f"{ts[:-3]}998", "deleted_ts": ts, "previous_message": prev})


def notes_in_store(bot: Bot, sid: str) -> dict[str, dict[str, Any]]:
    return bot.services.store.view(sid).all("notes")


def sweep(bot: Bot, now: datetime | None = None):
    """One real sweep (schedules.sweep) at ``now``; the deliveries it sent."""
    from schedules.sweep.jobs import sweep as run_sweep

    report = run_sweep(bot.services, bot.app.client, now or bot.now)
    return report.of("sent")


