"""Driving the sweep through time for tests: the real Bolt app, the real sweep, the fake Slack.

Time is a parameter: ``Driver.run`` calls ``sweep(services, client, t)`` at every step of
simulated time and records which Slack posts each sweep made. Nothing sleeps: the sweep's pacer
gets a virtual clock (its waits are recorded, not slept).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable
from zoneinfo import ZoneInfo

from bot.calendar import dates
from bot.root.emulator import TEAM_ID, Call
from schedules.sweep.jobs import sweep
from schedules.sweep.pacing import Pacer
from schedules.sweep.report import SweepReport
from schedules.sweep.sweeper import Sweeper
from tests.harness import Bot

NY = ZoneInfo("America/New_York")
LIAISON, PRINCIPAL, TEAM, DISTRICT = "U0LIAISON", "U0PRINCIP", "U0TEAMONE", "U0DISTRCT"


def utc(text: str) -> datetime:
    return dates.parse_instant(text)


class VirtualTime:
    """A monotonic clock that only moves when told (sweeps) or slept on (the pacer)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@dataclass
class Post:
    at: datetime  # the sweep's instant
    call: Call

    @property
    def channel(self) -> str:
        return self.call.args.get("channel", "")

    @property
    def text(self) -> str:
        return self.call.args.get("text", "")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        b = self.call.args.get("blocks") or []
        return json.loads(b) if isinstance(b, str) else b

    @property
    def nudges(self) -> list[tuple[str, str]]:
        """(item, rule) of every nudge in the message, from block ids ``nudge|<item>|<rule>``."""
        out = []
        for b in self.blocks:
            bid = b.get("block_id") or ""
            if bid.startswith("nudge|"):
                _, item, rule = bid.split("|")
                out.append((item, rule))
        return out

    @property
    def nudge(self) -> tuple[str, str] | None:
        return self.nudges[0] if self.nudges else None

    def button(self, action_id: str, item: str | None = None) -> dict[str, Any] | None:
        """The button ``action_id`` (of the nudge about ``item`` in a message with several)."""
        for b in self.blocks:
            if item is not None and not str(b.get("block_id", "")).startswith(f"act|{item}|"):
                continue
            for e in b.get("elements", []) or []:
                if e.get("action_id") == action_id:
                    return {**e, "block_id": b.get("block_id")}
        return None

    def local(self, tz=NY) -> datetime:
        return self.at.astimezone(tz)


class Driver:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.vt = VirtualTime()
        self.sweeper = Sweeper(bot.services, pacer=Pacer(sleep=self.vt.sleep, clock=self.vt.clock))
        bot.services.sweeper = self.sweeper
        self.posts: list[Post] = []
        self.reports: list[SweepReport] = []
        self.last_at: datetime | None = None

    @property
    def client(self):
        return self.bot.app.client

    def sweep(self, at: datetime, *, dry_run: bool = False) -> SweepReport:
        fake = self.bot.fake
        if self.last_at is not None and at > self.last_at:
            self.vt.t += (at - self.last_at).total_seconds()  # the pacer's clock follows simulated time
        self.last_at = at
        before = len(fake.calls)
        report = sweep(self.bot.services, self.client, at, dry_run=dry_run)
        for call in fake.calls[before:]:
            if call.method == "chat.postMessage":
                self.posts.append(Post(at, call))
        self.reports.append(report)
        return report

    def run(self, start: datetime, end: datetime, step: timedelta = timedelta(hours=1),
            events: dict[datetime, Callable[[], None]] | None = None) -> None:
        """Sweep at ``start``, ``start + step``, ... up to ``end``; an event runs (with the bot's
        clock set to its instant) just before the first sweep at or after it."""
        pending = sorted((events or {}).items())
        t = start
        while t <= end:
            while pending and pending[0][0] <= t:
                at, fn = pending.pop(0)
                self.bot.now = at
                fn()
            self.bot.now = t
            self.sweep(t)
            t += step

    # -- views of what was posted
    def channel_posts(self, channel: str) -> list[Post]:
        return [p for p in self.posts if p.channel == channel]

    def dms(self, user: str) -> list[Post]:
        return [p for p in self.posts if p.channel == user]

    def find(self, item: str, rule: str) -> Post:
        """The message that carried nudge (item, rule)."""
        found = [p for p in self.posts if (item, rule) in p.nudges]
        assert len(found) == 1, f"{len(found)} messages carried {item} {rule}"
        return found[0]

    def click(self, post: Post, action_id: str, user: str, at: datetime, item: str | None = None) -> Any:
        """Press a button of a posted message, as Slack sends it (a signed block_actions)."""
        button = post.button(action_id, item)
        assert button is not None, f"no {action_id} button on {post.text!r}"
        self.bot.now = at
        payload = {
            "type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": user, "team_id": TEAM_ID},
            "api_app_id": "A0TEST", "token": "legacy", "trigger_id": "1.t",
            "channel": {"id": post.channel}, "container": {"type": "message", "channel_id": post.channel},
            "message": {"type": "message", "text": post.text, "blocks": post.blocks, "ts": "1.1"},
            "response_url": self.bot.fake.response_url(f"btn-{len(self.bot.fake.calls)}"),
            "actions": [{"type": "button", "action_id": action_id, "block_id": button["block_id"], "value": button.get("value", ""),
                         "action_ts": "1.2"}],
        }
        return self.bot.interactive(payload)


def add_people(fake) -> None:
    fake.add_user(LIAISON, "lia.liaison")
    fake.add_user(PRINCIPAL, "pat.principal")
    fake.add_user(TEAM, "tom.team")
    fake.add_user(DISTRICT, "dee.district")


def give_roles(bot: Bot, **kw: Any) -> None:
    roles = {"liaison": LIAISON, "principal": PRINCIPAL, "team": TEAM, "district": DISTRICT}
    text = " ".join(f"{r}:<@{u}>" for r, u in roles.items())
    bot.command(f"roles {text}", **kw)
    assert "updated" in bot.last_response_text(), bot.last_response_text()


def nine(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """A local wall-clock time in New York as a UTC instant."""
    return datetime(y, m, d, hh, mm, tzinfo=NY).astimezone(dates.UTC)


def mondays(first: date, last: date) -> list[date]:
    d = first + timedelta(days=(7 - first.weekday()) % 7)
    out = []
    while d <= last:
        out.append(d)
        d += timedelta(days=7)
    return out
