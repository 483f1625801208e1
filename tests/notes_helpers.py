"""Helpers for the notes tests: Slack-shaped message events, and the sweep's steps
(claim, post through the fake Web API, record the ts with ``on_sent``) until the nudges
branch's sweep is on main."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import dates, outbox
from bot.schools import SchoolState, iso
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


def sweep(bot: Bot, now: datetime | None = None) -> list[outbox.Outgoing]:
    """What the sweep does with the outbox: every due message is claimed in its school's ledger,
    posted (a channel, or a DM via conversations.open), and its ts recorded with on_sent."""
    store, library = bot.services.store, bot.services.library
    now = now or bot.now
    client = bot.app.client
    due: list[outbox.Outgoing] = []
    for sid in store.school_ids():
        state = SchoolState.read(store.view(sid))
        if state is not None:
            due.extend(outbox.due(state, library, now))
    due.extend(outbox.due_workspace(store, library, now))
    sent = []
    for o in due:
        if o.due_at > now or (o.expires_at and now > o.expires_at):
            continue
        with store.transaction(o.school_id) as tx:
            if tx.get(LEDGER, o.key):
                continue
            tx.put(LEDGER, o.key, {"claimed_at": iso(now)})
        text, blocks = o.render(now)
        channel = o.channel or client.conversations_open(users=",".join(o.dm_users))["channel"]["id"]
        res = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        with store.transaction(o.school_id) as tx:
            tx.put(LEDGER, o.key, {"claimed_at": iso(now), "ts": res["ts"], "channel": channel})
            if o.on_sent:
                o.on_sent(tx, res["ts"])
        sent.append(o)
    return sent
