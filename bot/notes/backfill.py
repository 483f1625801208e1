"""Reading a prompt's thread again: the replies missed while the bot was down (or whose events
were lost) are saved, edited ones updated, deleted ones removed. The Slack side lists the thread
(``conversations.replies``) and hands the messages in; ``now`` is a UTC instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.calendar import dates
from bot.notes.capture import Capture, apply_message, audit_note, recount, school_name
from bot.notes.messages import build_permalink, is_from_bot
from bot.notes.threads import note_key
from bot.store.port import Store
from bot.store.schema import NOTE_KIND, PROFILE, PROMPT_KIND

OPEN_DAYS = 180  # a prompt's thread is read by the backfill this long after it was posted


@dataclass
class SyncNotes:
    """A request to the Slack side: read this school's prompt threads again for missed replies."""

    school_id: str


@dataclass
class SyncResult:
    prompts: int = 0
    saved: list[Capture] = field(default_factory=list)
    updated: int = 0
    removed: int = 0
    failed: list[str] = field(default_factory=list)

    def add(self, other: "SyncResult") -> None:
        self.prompts += other.prompts
        self.saved.extend(other.saved)
        self.updated += other.updated
        self.removed += other.removed
        self.failed.extend(other.failed)

    def summary(self) -> str:
        text = (f"Read {self.prompts} prompt thread{'s' if self.prompts != 1 else ''}: {len(self.saved)} new note"
                f"{'s' if len(self.saved) != 1 else ''} saved, {self.updated} updated, {self.removed} removed.")
        if self.failed:
            text += f" Could not read {len(self.failed)}: " + "; ".join(self.failed[:5])
        return text


def open_prompts(store: Store, now: datetime, school_ids: list[str] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Prompts whose threads may still get replies: not closed, posted in the last OPEN_DAYS."""
    since = now - timedelta(days=OPEN_DAYS)
    out = []
    for sid, _key, prompt in store.documents_of_kind(PROMPT_KIND, school_ids):  # one query on PostgreSQL, not a school read each
        if prompt.get("closed"):
            continue
        if dates.parse_instant(prompt["posted_at"]) < since:
            continue
        out.append((sid, prompt))
    return out


def ingest_thread(
    store: Store, school_id: str, prompt: dict[str, Any], messages: list[dict[str, Any]], now: datetime, *,
    base_url: str | None = None, names: dict[str, str] | None = None, bot_user_id: str | None = None, complete: bool = True,
) -> SyncResult:
    """Save the replies of a prompt's thread that were missed (``messages`` as
    ``conversations.replies`` gives them); update edited ones; when the listing is ``complete``,
    remove the notes whose message is gone. One transaction per thread."""
    channel, thread_ts = prompt["channel"], prompt["ts"]
    pkey = note_key(channel, thread_ts)
    res = SyncResult(prompts=1)
    seen = set()
    name = school_name(store, school_id)
    with store.transaction(school_id) as tx:
        current = tx.get(PROMPT_KIND, pkey)
        if current is None or current.get("closed"):
            return SyncResult()
        for m in messages:
            ts = m.get("ts")
            if not ts or ts == thread_ts or is_from_bot(m, bot_user_id) or not m.get("user"):
                continue
            if m.get("subtype") not in (None, "thread_broadcast", "file_share", "me_message"):
                continue
            seen.add(note_key(channel, ts))
            msg = {**m, "channel": channel, "thread_ts": m.get("thread_ts") or thread_ts}
            out = apply_message(tx, name, msg, step=current["step"], year=current["year"], prompt_key=pkey,
                                 commitments=current.get("commitments") or list((tx.get(*PROFILE) or {}).get("commitments") or []), now=now,
                                 permalink=build_permalink(base_url, channel, ts, thread_ts),
                                 author_name=(names or {}).get(m.get("user", "")), source="backfill", event_id=None)
            if out.action == "saved":
                res.saved.append(out)
            elif out.action == "updated":
                res.updated += 1
            audit_note(tx, out, now, via="read back from the thread")
        # Slack always lists the thread's parent: without it the listing is not to be trusted
        complete = complete and any(m.get("ts") == thread_ts for m in messages)
        if complete:
            for key, note in tx.find(NOTE_KIND, prompt=pkey).items():
                if key not in seen and note.get("source") in ("thread", "backfill"):
                    tx.delete(NOTE_KIND, key)
                    res.removed += 1
                    audit_note(tx, Capture("removed", school_id, key, note), now)
            if res.removed:
                recount(tx, current["step"], current["year"])
    return res
