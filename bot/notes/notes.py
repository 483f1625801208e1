"""Post-visit notes: commitments, the notes prompt, and notes captured from thread replies.

Free of Slack: messages come in as plain dicts shaped like Slack's, what to send goes out as
data (an ``Outcome`` says whether to react, warn or tell the author). ``now`` is passed in.

Store layout (per school):

- ``prompts``, key ``"<channel>:<ts>"``: a notes prompt the bot posted (step, year, title, the
  commitments as they were then, posted_at, by, source, closed);
- ``notes``, key ``"<channel>:<ts>"`` of the Slack message: step, year, prompt, commitment
  (1-based number or None for a general note), author, author_name, at, text, permalink, files
  (links), flags, redacted, kept, source, edited_at;
- the step's state (``steps``, ``"<year>:<cycle>/<step>"``) gets ``prompt`` (the latest prompt:
  channel, ts, at) and ``notes`` (counts), so the clock's providers, which see a ``SchoolState``,
  know a prompt was posted and how many notes there are.

Finding a reply's school: the channel is bound to one school (an in-memory map in the store),
then the prompt is a keyed look-up in that school: no scan of notes or schools. Prompts and notes
in a channel that is not (or no longer) the school's own are found through the small
``notes_threads`` setting (``"<channel>:<ts>" -> school id``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from bot.calendar import dates
from bot.calendar.cycles import DatedStep
from bot.core import blocks as bk
from bot.core.outbox import Outgoing
from bot.core.schools import School, SchoolState, iso, step_key
from bot.core.steps import StepRef, audit
from bot.errors import UserError
from bot.notes import privacy
from bot.store.port import SchoolTx, SchoolView, Store
from bot.store.schema import NOTE_KIND, PROFILE, PROMPT_KIND, STEP_KIND, THREADS_SETTING

PROMPT_KINDS = ("visit", "session")  # steps whose holding brings the notes prompt
SAVED_REACTION = "memo"
MAX_COMMITMENTS = 10
MAX_COMMITMENT_CHARS = 300
MAX_NOTE_CHARS = 40_000  # Slack's own limit for a message
OPEN_DAYS = 180  # a prompt's thread is read by the backfill this long after it was posted
PROMPT_EXPIRES = timedelta(days=14)  # a prompt not sent by then (bot down) is skipped
DEFAULT_VISIT_MINUTES = 60

TAG_RE = re.compile(r"^\s*[*_~>]*\s*(?:commitment|c)\s*#?\s*(\d{1,3})(?!\d)[*_~]*(?:\s*[:.)\]\-–—]+\s*|\s+|$)", re.I)


# ---------------------------------------------------------------- small helpers


def note_key(channel: str, ts: str) -> str:
    return f"{channel}:{ts}"


def parse_tag(text: str) -> tuple[int | None, str]:
    """``"C2: more time"`` -> ``(2, "more time")``; untagged text -> ``(None, text)``."""
    m = TAG_RE.match(text or "")
    if not m:
        return None, text or ""
    return int(m.group(1)), text[m.end():]


def step_title(dated: DatedStep) -> str:
    return dated.step.title


def visit_minutes(dated: DatedStep) -> int:
    """How long the visit or session lasts: the longest duration of each required event."""
    total = 0
    for ev in dated.step.events:
        if ev.optional:
            continue
        m = ev.minutes
        total += (m[1] if isinstance(m, tuple) else m) or 0
    return min(total or DEFAULT_VISIT_MINUTES, 8 * 60)


def held_at(dated: DatedStep, state: dict[str, Any]) -> datetime | None:
    """When the visit or session was held: the end of its scheduled time if that has passed
    by the time it is looked at, else when it was marked done; None while neither is known."""
    ends = []
    if state.get("scheduled_at"):
        ends.append(dates.parse_instant(state["scheduled_at"]) + timedelta(minutes=visit_minutes(dated)))
    done = state.get("done") or {}
    if done:
        ends.append(min(dates.parse_instant(v["at"]) for v in done.values() if v.get("at")))
    return min(ends) if ends else None


def held_day(state: dict[str, Any], now: datetime) -> datetime | None:
    """The instant to name as the day it was held: the scheduled time when it has come, else
    the time it was marked done."""
    sched = dates.parse_instant(state["scheduled_at"]) if state.get("scheduled_at") else None
    done = state.get("done") or {}
    done_at = min((dates.parse_instant(v["at"]) for v in done.values() if v.get("at")), default=None)
    if sched and sched <= (done_at or now):
        return sched
    return done_at


# ---------------------------------------------------------------- commitments


def clean_commitments(items: list[str]) -> list[str]:
    out = [" ".join(str(i).split()) for i in items]
    out = [i for i in out if i]
    if not out:
        raise UserError('Give each commitment in quotes: `/scep commitments "Every student reads daily" "Family partnership"`')
    if len(out) > MAX_COMMITMENTS:
        raise UserError(f"That is {len(out)} commitments; a SCEP has a few: at most {MAX_COMMITMENTS}.")
    for i, c in enumerate(out, 1):
        if len(c) > MAX_COMMITMENT_CHARS:
            raise UserError(f"Commitment {i} is {len(c)} characters long; keep each under {MAX_COMMITMENT_CHARS} (a short name is enough).")
    return out


def set_commitments(tx: SchoolTx, items: list[str], who: str, now: datetime) -> School:
    doc = tx.get(*PROFILE)
    if doc is None:
        raise UserError("This channel isn't linked to a school yet: `/scep setup &lt;school name&gt;`")
    school = School.from_doc(doc)
    before = list(school.commitments)
    school.commitments = list(items)
    tx.put(*PROFILE, school.to_doc())
    audit(tx, who, now, "commitments", before=before, after=school.commitments)
    return school


def commitments_text(commitments: list[str]) -> str:
    return "\n".join(f"`C{i}` {bk.esc(c)}" for i, c in enumerate(commitments, 1))


# ---------------------------------------------------------------- the prompt


def prompt_message(school: School, dated: DatedStep, commitments: list[str], now: datetime, when: datetime | None = None) -> tuple[str, list[dict[str, Any]]]:
    """The notes prompt: the step, its guiding questions, the commitments, how to reply."""
    step = dated.step
    tz = school.tz
    head = f":memo: *Notes for {bk.esc(step.title)}* · {bk.esc(school.name)} · {dated.year}"
    if when:
        head += f"\nHeld {dates.fmt_local(when, tz, with_time=False)}."
    blocks: list[dict[str, Any]] = [bk.section(head)]
    lines = [head]
    if step.purpose:
        blocks.append(bk.context(bk.esc(step.purpose)))
        lines.append(step.purpose)
    if step.guiding_questions:
        qs = "\n".join(f"• {bk.esc(q)}" for q in step.guiding_questions)
        blocks.append(bk.section(f"*Guiding questions*\n{qs}"))
        lines.append("Guiding questions:\n" + qs)
    if commitments:
        ct = commitments_text(commitments)
        blocks.append(bk.section(f"*Commitments*\n{ct}"))
        lines.append("Commitments:\n" + ct)
        how = (
            "Reply *in this thread*, one reply per commitment, starting with its tag: `C1: ...`, "
            "`C2: ...` (or `Commitment 2: ...`). A reply without a tag is a general note."
        )
    else:
        how = (
            "Reply *in this thread*. This school has no commitments yet "
            '(`/scep commitments "..." "..."`), so every reply is a general note.'
        )
    how += f" I react with :{SAVED_REACTION}: when a note is saved; edits and deletions are followed. Leave out students' names, IDs and dates of birth."
    if not step.reporting:
        how += " (This step has no reporting requirement: notes are optional.)"
    blocks.append(bk.context(how))
    lines.append(how)
    return "\n".join(lines)[:3900], blocks


def record_prompt(tx: SchoolTx, channel: str, ts: str, step_key_: str, year: str, title: str, commitments: list[str], who: str, now: datetime, source: str) -> dict[str, Any]:
    """Remember a posted prompt (and mark its step as prompted) inside a transaction."""
    doc = {
        "channel": channel, "ts": ts, "step": step_key_, "year": year, "title": title,
        "commitments": list(commitments), "posted_at": iso(now), "by": who, "source": source, "closed": False,
    }
    tx.put(PROMPT_KIND, note_key(channel, ts), doc)
    skey = f"{year}:{step_key_}"
    st = tx.get(STEP_KIND, skey) or {}
    st["prompt"] = {"channel": channel, "ts": ts, "at": iso(now)}
    tx.put(STEP_KIND, skey, st)
    audit(tx, who, now, "notes prompt", step=step_key_, year=year, channel=channel, ts=ts, source=source)
    return doc


PROMPT_EVENT = "scep_notes_prompt"  # Slack message metadata event type carried by every prompt the bot posts


def prompt_metadata(school_id: str, step_key_: str, year: str, title: str, commitments: list[str], who: str) -> dict[str, Any]:
    """What a prompt carries in Slack (message metadata), so that a prompt posted but never
    recorded (the bot was killed, or Slack's answer to the post was lost) is recognised when its
    first reply comes in (``recover_prompt``)."""
    return {"event_type": PROMPT_EVENT, "event_payload": {
        "school_id": school_id, "step": step_key_, "year": year, "title": title[:200], "commitments": list(commitments), "by": who}}


def recover_prompt(store: Store, team_id: str, channel: str, parent: dict[str, Any], now: datetime, *, bot_user_id: str | None,
                   bot_id: str | None = None) -> tuple[str, dict[str, Any]] | None:
    """Record a prompt the bot posted but did not record, from its message in Slack (``parent``,
    as ``conversations.replies`` lists it with its metadata). Only the bot's own message in the
    school's own channel counts. Returns (school id, prompt) or None."""
    meta = parent.get("metadata") or {}
    payload = meta.get("event_payload") or {}
    ts = parent.get("ts") or ""
    if meta.get("event_type") != PROMPT_EVENT or not ts:
        return None
    if not (parent.get("user") and parent.get("user") == bot_user_id) and not (bot_id and parent.get("bot_id") == bot_id):
        return None
    sid = payload.get("school_id")
    if not sid or store.school_for_channel(team_id, channel) != sid:
        return None
    step, year = str(payload.get("step") or ""), str(payload.get("year") or "")
    if not step or not year:
        return None
    with store.transaction(sid) as tx:
        existing = tx.get(PROMPT_KIND, note_key(channel, ts))
        if existing is not None:
            return sid, existing
        posted = message_time(ts)
        doc = record_prompt(tx, channel, ts, step, year, str(payload.get("title") or step), [str(c) for c in payload.get("commitments") or []],
                            str(payload.get("by") or "bot"), posted, "recovered")
    return sid, doc


def prompt_outgoing(state: SchoolState, dated: DatedStep, due: datetime, now: datetime) -> Outgoing:
    """The notes prompt of ``dated`` as a message for the sweep; posting it registers its thread.
    When it is due is the nudge calendar's business (``bot.nudges``: the day after the visit is
    held, at the school's nudge hour on a school day)."""
    school = state.school
    commitments = list(school.commitments)
    st = state.step_state(dated.year, dated.key)
    day = held_day(st, now)

    def render(at: datetime):
        return prompt_message(school, dated, commitments, at, day)

    def on_sent(tx: SchoolTx, ts: str) -> None:
        record_prompt(tx, school.channel_id, ts, dated.key, dated.year.name, dated.step.title, commitments, "bot", due, "auto")

    return Outgoing(
        key=f"{school.school_id}|notes-prompt|{dated.year.name}:{dated.key}",
        school_id=school.school_id,
        due_at=due,
        render=render,
        channel=school.channel_id,
        expires_at=due + PROMPT_EXPIRES,
        kind="notes-prompt",
        on_sent=on_sent,
        meta={"step": dated.key, "year": dated.year.name},
        # a crash between the post and the ledger's record leaves the prompt unrecorded: its
        # first reply brings it back from this (handlers.notes_events.recover_prompt)
        slack_metadata=prompt_metadata(school.school_id, dated.key, dated.year.name, dated.step.title, commitments, "bot"),
    )


# ---------------------------------------------------------------- finding threads and notes


def _threads_index(store: Store) -> dict[str, str]:
    return store.get_setting(THREADS_SETTING, {}) or {}


def remember_thread(store: Store, channel: str, ts: str, school_id: str) -> None:
    """Index ``channel:ts`` -> school for a prompt or note outside the school's own channel
    (an atomic update of the setting: threads remembered at once are all kept)."""
    key = note_key(channel, ts)

    def add(index: dict[str, str] | None) -> dict[str, str]:
        index = index or {}
        index[key] = school_id
        return index

    store.update_setting(THREADS_SETTING, add, {})


def _candidates(store: Store, team_id: str, channel: str, *ts_values: str | None) -> list[str]:
    sids = []
    sid = store.school_for_channel(team_id, channel)
    if sid:
        sids.append(sid)
    wanted = [note_key(channel, t) for t in ts_values if t]
    if wanted:
        index = _threads_index(store)
        for w in wanted:
            other = index.get(w)
            if other and other not in sids:
                sids.append(other)
    return sids


def find_prompt(store: Store, team_id: str, channel: str, thread_ts: str) -> tuple[str, dict[str, Any]] | None:
    """The school and prompt whose thread is ``channel``/``thread_ts``, or None."""
    for sid in _candidates(store, team_id, channel, thread_ts):
        prompt = store.view(sid).get(PROMPT_KIND, note_key(channel, thread_ts))
        if prompt is not None:
            return sid, prompt
    return None


def find_note(store: Store, team_id: str, channel: str, ts: str, thread_ts: str | None = None) -> tuple[str, dict[str, Any]] | None:
    for sid in _candidates(store, team_id, channel, ts, thread_ts):
        note = store.view(sid).get(NOTE_KIND, note_key(channel, ts))
        if note is not None:
            return sid, note
    return None


# ---------------------------------------------------------------- capture


@dataclass
class SyncNotes:
    """A request to the Slack side: read this school's prompt threads again for missed replies."""

    school_id: str


@dataclass
class Outcome:
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


def is_from_bot(msg: dict[str, Any], bot_user_id: str | None = None) -> bool:
    return bool(msg.get("bot_id") or msg.get("subtype") == "bot_message" or (bot_user_id and msg.get("user") == bot_user_id))


def files_of(msg: dict[str, Any]) -> list[dict[str, str]]:
    """Attached files kept as links (never downloaded)."""
    out = []
    for f in msg.get("files") or []:
        if not isinstance(f, dict) or f.get("mode") == "tombstone":
            continue
        link = f.get("permalink") or f.get("url_private") or ""
        out.append({"id": str(f.get("id", "")), "name": str(f.get("name") or f.get("title") or "file")[:200], "link": str(link)[:1000]})
    return out


def message_time(ts: str) -> datetime:
    try:
        # the part after the dot is a sequence number, not a fraction of a second
        return datetime.fromtimestamp(int(str(ts).split(".")[0]), dates.UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.fromtimestamp(0, dates.UTC)


def build_permalink(base_url: str | None, channel: str, ts: str, thread_ts: str | None = None) -> str:
    """Slack's permalink shape, built without a call: ``<workspace>/archives/<C>/p<ts digits>``."""
    if not base_url:
        return ""
    link = f"{base_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel}"
    return link


def text_hash(text: str) -> str:
    """A digest of a message's text: tells an edit from a re-delivery, even once redacted."""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


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


def _apply_message(
    tx: SchoolTx, school_name: str, msg: dict[str, Any], *, step: str, year: str, prompt_key: str | None,
    commitments: list[str], now: datetime, permalink: str, author_name: str | None, source: str,
    event_id: str | None, chosen_commitment: int | None = None, saved_by: str | None = None, edit: bool = False,
) -> Outcome:
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
        return Outcome("unchanged", tx.school_id, key, existing, react=not edit)
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
    out = Outcome("updated" if existing is not None else "saved", tx.school_id, key, note, react=existing is None or chosen_commitment is not None)
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
) -> Outcome:
    """Save (or update) a message that is a reply in a prompt's thread, or a message already
    saved as a note (edits of shortcut-saved notes). Anything else is ignored."""
    channel, ts, thread_ts = msg.get("channel") or "", msg.get("ts") or "", msg.get("thread_ts")
    if not channel or not ts:
        return Outcome("ignored", reason="no channel or ts")
    if is_from_bot(msg, bot_user_id):
        return Outcome("ignored", reason="a bot's message")
    if not msg.get("user"):
        return Outcome("ignored", reason="no author")
    found = find_note(store, team_id, channel, ts, thread_ts) if edit else None
    if found is None:
        if not thread_ts or thread_ts == ts:
            return Outcome("ignored", reason="not a thread reply")
        hit = find_prompt(store, team_id, channel, thread_ts)
        if hit is None:
            return Outcome("ignored", reason="not a prompt's thread")
        sid, prompt = hit
        if prompt.get("closed"):
            return Outcome("ignored", sid, reason="the prompt is closed (its notes were forgotten)")
        step, year, prompt_key, commitments = prompt["step"], prompt["year"], note_key(channel, thread_ts), prompt.get("commitments") or []
    else:
        sid, note = found
        step, year, prompt_key = note["step"], note["year"], note.get("prompt")
        prompt = store.view(sid).get(PROMPT_KIND, prompt_key) if prompt_key else None
        commitments = (prompt or {}).get("commitments") or _school_commitments(store, sid)
    link = permalink or build_permalink(base_url, channel, ts, thread_ts)
    name = _school_name(store, sid)
    author_name = None
    if name_of is not None:
        try:
            author_name = name_of(msg["user"])
        except Exception:  # noqa: BLE001 - a name is a nicety; the note is saved without it
            author_name = None
    with store.transaction(sid) as tx:
        out = _apply_message(tx, name, msg, step=step, year=year, prompt_key=prompt_key, commitments=commitments, now=now,
                             permalink=link, author_name=author_name, source="thread", event_id=event_id, edit=edit)
        audit_note(tx, out, now)
        return out


def audit_note(tx: SchoolTx, out: Outcome, now: datetime, via: str = "thread reply") -> None:
    """The audit entry of a note saved, edited or removed from Slack (never its text: notes may
    name students; the entry says whose note, which step and which message)."""
    note = out.note or {}
    what = {"saved": "note saved", "updated": "note edited", "removed": "note deleted"}.get(out.action)
    if what is None:
        return
    detail = {"note": out.key, "step": note.get("step"), "year": note.get("year"), "commitment": note.get("commitment")}
    if out.action == "removed":  # Slack's deletion event does not say who deleted the message
        audit(tx, "slack", now, what, author=note.get("author"), via="message deleted in Slack", **detail)
    else:
        audit(tx, note.get("author") or "?", now, what, via=via, **detail)


def _school_name(store: Store, sid: str) -> str:
    return (store.index_entry(sid) or {}).get("name") or "this school"


def _school_commitments(store: Store, sid: str) -> list[str]:
    doc = store.view(sid).get(*PROFILE) or {}
    return list(doc.get("commitments") or [])


def remove(store: Store, team_id: str, channel: str, ts: str, thread_ts: str | None, now: datetime) -> Outcome:
    """A deleted Slack message: its note goes too (a message never saved: nothing to do)."""
    found = find_note(store, team_id, channel, ts, thread_ts)
    if found is None:
        return Outcome("ignored", reason="never saved")
    sid, _ = found
    with store.transaction(sid) as tx:
        note = tx.get(NOTE_KIND, note_key(channel, ts))
        if note is None:
            return Outcome("ignored", sid, reason="already removed")
        tx.delete(NOTE_KIND, note_key(channel, ts))
        recount(tx, note["step"], note["year"])
        out = Outcome("removed", sid, note_key(channel, ts), note)
        audit_note(tx, out, now)
    return out


def redact(store: Store, school_id: str, key: str, who: str, now: datetime, *, may: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """Mask the identifiers flagged in a note and drop its original text, for good."""
    with store.transaction(school_id) as tx:
        note = tx.get(NOTE_KIND, key)
        if note is None:
            raise UserError("That note is gone (deleted or forgotten): nothing to redact.")
        if may is not None and not may(note):
            raise UserError("Only the note's author, the school's liaison or a workspace admin can redact it.")
        if note.get("redacted"):
            return note
        source = note.get("text_source") if note.get("text_source") is not None else note.get("text", "")
        flags = privacy.scan(source, now)
        note["text"] = privacy.mask(source, flags)
        note["hash"] = text_hash(note["text"])
        note["text_source"] = None
        note["flag_spans"] = []
        note["redacted"] = True
        note["kept"] = False
        tx.put(NOTE_KIND, key, note)
        audit(tx, who, now, "note redacted", note=key, step=note.get("step"), year=note.get("year"), flags=note.get("flags"))
    return note


def keep(store: Store, school_id: str, key: str, who: str, now: datetime, *, may: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """The author says the flagged text is not a student identifier: exports show it as is."""
    with store.transaction(school_id) as tx:
        note = tx.get(NOTE_KIND, key)
        if note is None:
            raise UserError("That note is gone (deleted or forgotten).")
        if may is not None and not may(note):
            raise UserError("Only the note's author, the school's liaison or a workspace admin can decide that.")
        if note.get("redacted"):
            raise UserError("That note is already redacted.")
        note["kept"] = True
        tx.put(NOTE_KIND, key, note)
        audit(tx, who, now, "note flag dismissed", note=key, flags=note.get("flags"))
    return note


def save_message(
    store: Store, school_id: str, ref: StepRef, commitment: int, msg: dict[str, Any], who: str, now: datetime, *,
    permalink: str = "", author_name: str | None = None, team_id: str = "",
) -> Outcome:
    """Save any message as a note of ``ref`` (the "Save as SCEP note" shortcut); ``commitment``
    0 means a general note. Saving a note again re-files it."""
    if is_from_bot(msg):
        raise UserError("That is a bot's message: save a person's message as a note.")
    if not msg.get("user"):
        raise UserError("That message has no author I can name: save a person's message as a note.")
    commitments = _school_commitments(store, school_id)
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
            return Outcome("unchanged", school_id, existing and note_key(channel, msg["ts"]), existing)  # the same form sent twice
        if existing and (existing["step"], existing["year"]) != (ref.key, ref.year.name):
            tx.delete(NOTE_KIND, note_key(channel, msg["ts"]))
            recount(tx, existing["step"], existing["year"])
        out = _apply_message(tx, _school_name(store, school_id), msg, step=ref.key, year=ref.year.name, prompt_key=prompt_key,
                             commitments=commitments, now=now, permalink=permalink, author_name=author_name, source="shortcut",
                             event_id=None, chosen_commitment=commitment, saved_by=who)
        if existing is not None and out.action == "saved":
            out.action = "updated"  # re-filed under another step
        audit(tx, who, now, "note saved", note=out.key, step=ref.key, year=ref.year.name, commitment=commitment or None)
    if store.school_for_channel(team_id, channel) != school_id:
        remember_thread(store, channel, msg["ts"], school_id)
    return out


# ---------------------------------------------------------------- backfill


@dataclass
class SyncResult:
    prompts: int = 0
    saved: list[Outcome] = field(default_factory=list)
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
    for sid in school_ids if school_ids is not None else store.school_ids():
        for prompt in store.view(sid).all(PROMPT_KIND).values():
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
    name = _school_name(store, school_id)
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
            out = _apply_message(tx, name, msg, step=current["step"], year=current["year"], prompt_key=pkey,
                                 commitments=current.get("commitments") or [], now=now,
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
                    audit_note(tx, Outcome("removed", school_id, key, note), now)
            if res.removed:
                recount(tx, current["step"], current["year"])
    return res


# ---------------------------------------------------------------- forget


def forget(store: Store, school_id: str, ref: StepRef, who: str, now: datetime) -> tuple[int, int]:
    """Delete every note of a step's year and close its prompts (their threads are no longer
    read, so the notes do not come back). Returns (notes deleted, prompts closed)."""
    with store.transaction(school_id) as tx:
        notes = tx.find(NOTE_KIND, step=ref.key, year=ref.year.name)
        for key in notes:
            tx.delete(NOTE_KIND, key)
        prompts = tx.find(PROMPT_KIND, step=ref.key, year=ref.year.name)
        closed = 0
        for key, p in prompts.items():
            if not p.get("closed"):
                p["closed"] = True
                p["closed_at"] = iso(now)
                tx.put(PROMPT_KIND, key, p)
                closed += 1
        recount(tx, ref.key, ref.year.name)
        audit(tx, who, now, "notes forgotten", step=ref.key, year=ref.year.name, notes=len(notes), prompts_closed=closed)
    return len(notes), closed


# ---------------------------------------------------------------- reading notes


def notes_of(view: SchoolView, step: str, year: str) -> list[dict[str, Any]]:
    """A step's notes in the order they were written."""
    return sorted(view.find(NOTE_KIND, step=step, year=year).values(), key=lambda n: (n.get("at") or "", n.get("ts") or ""))


def prompts_of(view: SchoolView, step: str, year: str) -> list[dict[str, Any]]:
    return sorted(view.find(PROMPT_KIND, step=step, year=year).values(), key=lambda p: p.get("posted_at") or "")


def commitments_for(view: SchoolView, school: School, step: str, year: str) -> list[str]:
    """The commitments a step's notes were taken against: the latest prompt's, else today's."""
    prompts = prompts_of(view, step, year)
    for p in reversed(prompts):
        if p.get("commitments"):
            return list(p["commitments"])
    return list(school.commitments)


def grouped(notes: list[dict[str, Any]], commitments: list[str]) -> list[tuple[int | None, str, list[dict[str, Any]]]]:
    """[(number, commitment text, notes)] for every commitment (even without notes), then the
    general notes (number None) when there are any."""
    groups: list[tuple[int | None, str, list[dict[str, Any]]]] = []
    for i, c in enumerate(commitments, 1):
        groups.append((i, c, [n for n in notes if n.get("commitment") == i]))
    general = [n for n in notes if not n.get("commitment") or n["commitment"] > len(commitments)]
    if general:
        groups.append((None, "General notes", general))
    return groups


def export_text(note: dict[str, Any]) -> str:
    """A note's text as an export may show it: redacted text stays masked; flagged text the
    author has not cleared ("Keep as is") is masked too. The ``C1:`` tag is dropped."""
    text = note.get("text") or ""
    if not note.get("redacted") and note.get("flags") and not note.get("kept"):
        spans = [privacy.Flag(k, s, e) for s, e, k in note.get("flag_spans") or []]
        text = privacy.mask(text, spans)
    tag, body = parse_tag(text)
    return body if tag is not None else text


def slack_plain(text: str, names: dict[str, str] | None = None) -> str:
    """Slack's mrkdwn source as plain text: mentions as @name, links as ``label (url)``,
    ``<!channel>`` as @channel, entities decoded."""
    names = names or {}

    def special(m: re.Match) -> str:
        body = m.group(1)
        if body.startswith("@"):
            uid, _, label = body[1:].partition("|")
            return "@" + (label or names.get(uid) or uid)
        if body.startswith("#"):
            cid, _, label = body[1:].partition("|")
            return "#" + (label or cid)
        if body.startswith("!"):
            inner, _, label = body[1:].partition("|")
            if label:
                return label
            return "@" + inner.split("^")[0]
        url, _, label = body.partition("|")
        return f"{label} ({url})" if label and label != url else url

    text = re.sub(r"<([^<>]*)>", special, text or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def step_refs_with_notes(view: SchoolView) -> list[tuple[str, str]]:
    """(step, year) pairs that have notes or prompts, latest prompt first."""
    seen: dict[tuple[str, str], str] = {}
    for p in view.all(PROMPT_KIND).values():
        k = (p["step"], p["year"])
        seen[k] = max(seen.get(k, ""), p.get("posted_at") or "")
    for n in view.all(NOTE_KIND).values():
        k = (n["step"], n["year"])
        seen[k] = max(seen.get(k, ""), n.get("at") or "")
    return sorted(seen, key=lambda k: seen[k], reverse=True)


def step_key_of(year: str, step: str) -> str:
    return f"{year}:{step}"


__all__ = [
    "NOTE_KIND", "PROMPT_KIND", "Outcome", "SyncResult", "capture", "remove", "redact", "keep", "save_message",
    "ingest_thread", "open_prompts", "forget", "notes_of", "grouped", "export_text", "slack_plain", "prompt_message",
    "record_prompt", "parse_tag", "step_key", "held_at",
]
