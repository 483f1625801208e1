"""Capture: a reply in a prompt's thread, its edit or its deletion becomes a saved note (or
changes or removes one); the "Save as SCEP note" shortcut saves any message the same way.

Free of Slack: messages come in as plain dicts shaped like Slack's; what the Slack side should do
about a message (react, warn its author, tell them something) goes out in a ``Capture``.
``now`` is a UTC instant, passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from bot.core import blocks as bk
from bot.core.schools import iso
from bot.core.steps import StepRef, audit
from bot.errors import UserError
from bot.notes import privacy
from bot.notes.commitments import parse_tag
from bot.notes.messages import (
    build_permalink,
    files_of,
    is_from_bot,
    message_time,
    text_hash,
)
from bot.notes.threads import find_note, find_prompt, note_key, remember_thread
from bot.store.port import SchoolTx, Store
from bot.store.schema import NOTE_KIND, PROFILE, PROMPT_KIND, STEP_KIND

SAVED_REACTION = "memo"
MAX_NOTE_CHARS = 40_000  # Slack's own limit for a message


@dataclass
class Capture:
    """What became of one Slack message, and what the Slack side should do about it."""

    action: str  # saved | updated | unchanged | removed | ignored
    school_id: str | None = None
    key: str | None = None
    note: dict[str, Any] | None = None
    react: bool = False  # add the saved reaction to the message
    warn: list[str] = field(default_factory=list)  # privacy flags to warn the author about
    notices: list[str] = field(default_factory=list)  # ephemeral lines for the author
    reason: str = ""

    @property
    def channel(self) -> str:
        return (self.note or {}).get("channel", "")

    @property
    def ts(self) -> str:
        return (self.note or {}).get("ts", "")


def _resolve_tag(text: str, commitments: list[str]) -> tuple[int | None, int | None]:
    """(commitment number, unknown tag number)."""
    tag, _ = parse_tag(text)
    if tag is None:
        return None, None
    if 1 <= tag <= len(commitments):
        return tag, None
    return None, tag


def _unknown_tag_notice(tag: int, commitments: list[str], school_name: str) -> str:
    if not commitments:
        return (f"{bk.esc(school_name)} has no commitments yet, so there is no C{tag}: I saved your reply as a general note. "
                'Set them with `/scep commitments "..." "..."`.')
    tags = ", ".join(f"`C{i}`" for i in range(1, len(commitments) + 1))
    return (f"There is no commitment {tag} for {bk.esc(school_name)} (it has {len(commitments)}: {tags}). "
            "I saved your reply as a general note; edit it to start with one of those tags to file it under a commitment.")


def apply_message(
    tx: SchoolTx, school_name: str, msg: dict[str, Any], *, step: str, year: str, prompt_key: str | None,
    commitments: list[str], now: datetime, permalink: str, author_name: str | None, source: str,
    event_id: str | None, chosen_commitment: int | None = None, saved_by: str | None = None, edit: bool = False,
) -> Capture:
    channel, ts = msg["channel"], msg["ts"]
    key = note_key(channel, ts)
    existing = tx.get(NOTE_KIND, key)
    text = str(msg.get("text") or "")
    truncated = len(text) > MAX_NOTE_CHARS
    if truncated:
        text = text[:MAX_NOTE_CHARS]
    files = files_of(msg)
    flags = privacy.scan(text, now)
    redacted = bool(existing and existing.get("redacted"))
    # a redacted note keeps no trace of its original text: not even a digest of it
    digest = text_hash(privacy.mask(text, flags) if redacted else text)
    if existing is not None and chosen_commitment is None and existing.get("hash") == digest and existing.get("files") == files:
        # a re-delivery (retry, backfill): react again unless it is an edit event (already reacted)
        return Capture("unchanged", tx.school_id, key, existing, react=not edit)
    picked = existing.get("picked") if existing else False
    if chosen_commitment is not None:
        commitment, unknown = (chosen_commitment or None), None
        picked = True
    elif picked and existing is not None:
        commitment, unknown = existing.get("commitment"), None
    else:
        commitment, unknown = _resolve_tag(text, commitments)
    kept = bool(existing and existing.get("kept") and existing.get("hash") == digest)
    stored_text = privacy.mask(text, flags) if redacted else text
    note = {
        "channel": channel, "ts": ts, "thread_ts": msg.get("thread_ts"), "step": step, "year": year,
        "prompt": prompt_key, "commitment": commitment,
        "commitment_text": commitments[commitment - 1] if commitment and commitment <= len(commitments) else None,
        "author": msg.get("user") or "", "author_name": author_name or (existing or {}).get("author_name"),
        "at": iso(message_time(ts)), "saved_at": (existing or {}).get("saved_at") or iso(now),
        "edited_at": iso(now) if existing is not None else None,
        "text": stored_text, "text_source": None if redacted else text, "hash": digest, "truncated": truncated, "unknown_tag": unknown,
        "permalink": permalink or (existing or {}).get("permalink") or "", "files": files,
        "flags": privacy.kinds(flags), "flag_spans": [[f.start, f.end, f.kind] for f in flags] if not redacted else [],
        "redacted": redacted, "kept": kept, "picked": picked,
        "source": (existing or {}).get("source") or source, "event_id": event_id or (existing or {}).get("event_id"),
        "broadcast": bool(msg.get("subtype") == "thread_broadcast" or (existing or {}).get("broadcast")),
        "saved_by": saved_by or (existing or {}).get("saved_by"),
    }
    if redacted:
        note["text_source"] = None
    tx.put(NOTE_KIND, key, note)
    recount(tx, step, year)
    out = Capture("updated" if existing is not None else "saved", tx.school_id, key, note, react=existing is None or chosen_commitment is not None)
    if flags and not redacted and not kept:
        before = (existing or {}).get("flags") or []
        if existing is None or sorted(before) != note["flags"] or existing.get("hash") != digest:
            out.warn = note["flags"]
    if redacted and existing is not None and edit:
        out.notices.append("That note was redacted, so it stays redacted: your edit is saved with anything that looks like a student identifier masked.")
    if unknown is not None:
        if existing is None or existing.get("unknown_tag") != unknown:
            out.notices.append(_unknown_tag_notice(unknown, commitments, school_name))
    if truncated:
        out.notices.append(f"Your reply is longer than {MAX_NOTE_CHARS:,} characters: I kept the first {MAX_NOTE_CHARS:,}.")
    return out


def recount(tx: SchoolTx, step: str, year: str) -> dict[str, Any]:
    """Recompute the step's note counts kept on its state (read by the digest)."""
    tags = tx.pluck(NOTE_KIND, "commitment", step=step, year=year)
    by: dict[str, int] = {}
    for c in tags:
        c = str(c or "general")
        by[c] = by.get(c, 0) + 1
    counts = {"count": len(tags), "by_commitment": by}
    skey = f"{year}:{step}"
    st = tx.get(STEP_KIND, skey) or {}
    if st.get("notes") != counts:
        st["notes"] = counts
        tx.put(STEP_KIND, skey, st)
    return counts


def capture(
    store: Store, team_id: str, msg: dict[str, Any], now: datetime, *, base_url: str | None = None,
    permalink: str | None = None, name_of: Callable[[str], str | None] | None = None, bot_user_id: str | None = None,
    event_id: str | None = None, edit: bool = False,
) -> Capture:
    """Save (or update) a message that is a reply in a prompt's thread, or a message already
    saved as a note (edits of shortcut-saved notes). Anything else is ignored."""
    channel, ts, thread_ts = msg.get("channel") or "", msg.get("ts") or "", msg.get("thread_ts")
    if not channel or not ts:
        return Capture("ignored", reason="no channel or ts")
    if is_from_bot(msg, bot_user_id):
        return Capture("ignored", reason="a bot's message")
    if not msg.get("user"):
        return Capture("ignored", reason="no author")
    found = find_note(store, team_id, channel, ts, thread_ts) if edit else None
    if found is None:
        if not thread_ts or thread_ts == ts:
            return Capture("ignored", reason="not a thread reply")
        hit = find_prompt(store, team_id, channel, thread_ts)
        if hit is None:
            return Capture("ignored", reason="not a prompt's thread")
        sid, prompt = hit
        if prompt.get("closed"):
            return Capture("ignored", sid, reason="the prompt is closed (its notes were forgotten)")
        # the prompt's commitments (its tags point there); a prompt posted before any were set: the school's now
        step, year, prompt_key = prompt["step"], prompt["year"], note_key(channel, thread_ts)
        commitments = prompt.get("commitments") or school_commitments(store, sid)
    else:
        sid, note = found
        step, year, prompt_key = note["step"], note["year"], note.get("prompt")
        prompt = store.view(sid).get(PROMPT_KIND, prompt_key) if prompt_key else None
        commitments = (prompt or {}).get("commitments") or school_commitments(store, sid)
    link = permalink or build_permalink(base_url, channel, ts, thread_ts)
    name = school_name(store, sid)
    author_name = None
    if name_of is not None:
        try:
            author_name = name_of(msg["user"])
        except Exception:  # noqa: BLE001 - a name is a nicety; the note is saved without it
            author_name = None
    with store.transaction(sid) as tx:
        out = apply_message(tx, name, msg, step=step, year=year, prompt_key=prompt_key, commitments=commitments, now=now,
                             permalink=link, author_name=author_name, source="thread", event_id=event_id, edit=edit)
        audit_note(tx, out, now)
        return out


def audit_note(tx: SchoolTx, out: Capture, now: datetime, via: str = "thread reply") -> None:
    """The audit entry of a note saved, edited or removed from Slack (never its text: notes may
    name students; the entry says whose note, which step and which message). An edit or a
    deletion purges the transaction: the text replaced or deleted survives in no copy the store
    keeps (``SchoolTx.purge``)."""
    note = out.note or {}
    if out.action in ("updated", "removed"):
        tx.purge()
    what = {"saved": "note saved", "updated": "note edited", "removed": "note deleted"}.get(out.action)
    if what is None:
        return
    detail = {"note": out.key, "step": note.get("step"), "year": note.get("year"), "commitment": note.get("commitment")}
    if out.action == "removed":  # Slack's deletion event does not say who deleted the message
        audit(tx, "slack", now, what, author=note.get("author"), via="message deleted in Slack", **detail)
    else:
        audit(tx, note.get("author") or "?", now, what, via=via, **detail)


def school_name(store: Store, sid: str) -> str:
    return (store.index_entry(sid) or {}).get("name") or "this school"


def school_commitments(store: Store, sid: str) -> list[str]:
    doc = store.view(sid).get(*PROFILE) or {}
    return list(doc.get("commitments") or [])


def remove(store: Store, team_id: str, channel: str, ts: str, thread_ts: str | None, now: datetime) -> Capture:
    """A deleted Slack message: its note goes too (a message never saved: nothing to do)."""
    found = find_note(store, team_id, channel, ts, thread_ts)
    if found is None:
        return Capture("ignored", reason="never saved")
    sid, _ = found
    with store.transaction(sid) as tx:
        note = tx.get(NOTE_KIND, note_key(channel, ts))
        if note is None:
            return Capture("ignored", sid, reason="already removed")
        tx.delete(NOTE_KIND, note_key(channel, ts))
        recount(tx, note["step"], note["year"])
        out = Capture("removed", sid, note_key(channel, ts), note)
        audit_note(tx, out, now)
    return out


def save_message(
    store: Store, school_id: str, ref: StepRef, commitment: int, msg: dict[str, Any], who: str, now: datetime, *,
    permalink: str = "", author_name: str | None = None, team_id: str = "",
) -> Capture:
    """Save any message as a note of ``ref`` (the "Save as SCEP note" shortcut); ``commitment``
    0 means a general note. Saving a note again re-files it."""
    if is_from_bot(msg):
        raise UserError("That is a bot's message: save a person's message as a note.")
    if not msg.get("user"):
        raise UserError("That message has no author I can name: save a person's message as a note.")
    commitments = school_commitments(store, school_id)
    if commitment and not 1 <= commitment <= len(commitments):
        raise UserError(f"Pick one of the school's {len(commitments)} commitments, or General.")
    channel = msg["channel"]
    prompt_key = None
    if msg.get("thread_ts"):
        hit = store.view(school_id).get(PROMPT_KIND, note_key(channel, msg["thread_ts"]))
        if hit and hit["step"] == ref.key and hit["year"] == ref.year.name:
            prompt_key = note_key(channel, msg["thread_ts"])
    with store.transaction(school_id) as tx:
        existing = tx.get(NOTE_KIND, note_key(channel, msg["ts"]))
        if (existing and (existing["step"], existing["year"], existing.get("commitment") or 0) == (ref.key, ref.year.name, commitment or 0)
                and existing.get("hash") == text_hash(str(msg.get("text") or "")[:MAX_NOTE_CHARS]) and existing.get("files") == files_of(msg)):
            return Capture("unchanged", school_id, existing and note_key(channel, msg["ts"]), existing)  # the same form sent twice
        if existing and (existing["step"], existing["year"]) != (ref.key, ref.year.name):
            tx.delete(NOTE_KIND, note_key(channel, msg["ts"]))
            recount(tx, existing["step"], existing["year"])
        out = apply_message(tx, school_name(store, school_id), msg, step=ref.key, year=ref.year.name, prompt_key=prompt_key,
                             commitments=commitments, now=now, permalink=permalink, author_name=author_name, source="shortcut",
                             event_id=None, chosen_commitment=commitment, saved_by=who)
        if existing is not None and out.action == "saved":
            out.action = "updated"  # re-filed under another step
        audit(tx, who, now, "note saved", note=out.key, step=ref.key, year=ref.year.name, commitment=commitment or None)
    if store.school_for_channel(team_id, channel) != school_id:
        remember_thread(store, channel, msg["ts"], school_id)
    return out
