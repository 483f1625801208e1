"""Block Kit batching: nudges due in the same sweep for one channel (and overdue escalations for
one person) go out as one message, each with its own buttons and its own ledger entry; notes
prompts and digests always go alone (a prompt's thread collects the notes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from bot.core.blocks import esc
from schedules.sweep.ledger import Job

BATCHED = ("nudge", "escalation")  # kinds posted together when several are due for one target
MAX_BATCH_BLOCKS = 50
FULL_ITEMS = 10  # nudges in one message that keep their own buttons; the rest are listed


@dataclass
class Message:
    """One Slack message: one job, or several nudges for the same channel (or escalations for the
    same person) due in the same sweep, posted together."""

    target: str
    jobs: list[Job]
    batch: bool


def messages(live: list[Job], person: Callable[[str], dict[str, Any] | None]) -> list[Message]:
    """The messages that carry ``live`` jobs (rendered, in order). A DM recipient who left the
    workspace (``person(uid)["deleted"]``) is counted as sent to: nobody to tell there."""
    groups: dict[tuple, Message] = {}
    for job in live:
        o = job.out
        if o.channel:
            gkey = ("channel", o.channel) if o.kind in BATCHED else ("one", o.key)
            groups.setdefault(gkey, Message(o.channel, [], o.kind in BATCHED)).jobs.append(job)
            continue
        for uid in o.dm_users:
            if uid in job.sent_to:
                continue
            who = person(uid)
            if who is not None and who.get("deleted"):
                job.sent_to.append(uid)  # a DM to someone who left: nobody to tell
                continue
            gkey = ("dm", uid) if o.kind in BATCHED else ("one", o.key, uid)
            groups.setdefault(gkey, Message(uid, [], o.kind in BATCHED)).jobs.append(job)
    return list(groups.values())


def compose(msg: Message, jobs: list[Job]):
    """(text, blocks, jobs) per Slack message: a single job as rendered; a batch as one message
    listing each nudge: the first ``FULL_ITEMS`` with their buttons, the others as lines (a
    district admin with a hundred overdue items gets one DM, not a hundred). Only a batch too big
    for Slack's 50 blocks is split into several messages."""
    if not msg.batch or len(jobs) == 1:
        for j in jobs:
            yield j.rendered[0], j.rendered[1], [j]
        return
    rest = list(jobs)
    while rest:
        full: list[Job] = []
        blocks: list[dict[str, Any]] = [{}]  # the heading, filled in below
        while rest and len(full) < FULL_ITEMS and len(blocks) + len(rest[0].rendered[1]) + 1 <= MAX_BATCH_BLOCKS - 2:
            j = rest.pop(0)
            if full:
                blocks.append({"type": "divider"})
            blocks.extend(j.rendered[1])
            full.append(j)
        brief: list[Job] = []
        lines: list[str] = []
        while rest and len(blocks) < MAX_BATCH_BLOCKS - 1:
            j = rest[0]
            line = "• " + headline(j)
            if lines and sum(len(x) + 1 for x in lines) + len(line) > 2900:
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
                lines = []
                continue
            lines.append(line[:2900])
            brief.append(rest.pop(0))
        if lines:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
        members = full + brief
        dm = members[0].out.kind == "escalation"
        head = f"{len(members)} things overdue in your schools" if dm else f"{len(members)} reminders"
        if brief:
            head += f" (buttons on the first {len(full)}; the others: `/scep next` in each school's channel)"
        blocks[0] = {"type": "section", "text": {"type": "mrkdwn", "text": f"*{head}*"}}
        text = head + ":\n" + "\n".join("• " + j.rendered[0] for j in members)
        yield text[:39000], blocks, members


def headline(job: Job) -> str:
    """The first section's text of a rendered nudge (its sentence)."""
    for b in job.rendered[1]:
        if b.get("type") == "section" and isinstance(b.get("text"), dict):
            return b["text"]["text"]
    return esc(job.rendered[0])
