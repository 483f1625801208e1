"""The notes prompt: the message the bot posts after a visit or session (its guiding questions,
the school's commitments, how to reply), recording it once posted, and recovering a prompt that
was posted but never recorded from the metadata it carries in Slack.

``now`` and every instant here are UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.calendar import dates
from bot.calendar.instances import DatedStep
from bot.core import blocks as bk
from bot.core.outbox import Outgoing
from bot.core.schools import School, SchoolState, iso
from bot.core.steps import audit
from bot.notes.capture import SAVED_REACTION
from bot.notes.commitments import commitments_text
from bot.notes.held import held_day
from bot.notes.messages import message_time
from bot.notes.threads import note_key
from bot.store.port import SchoolTx, SchoolView, Store
from bot.store.schema import PROMPT_KIND, STEP_KIND

PROMPT_KINDS = ("visit", "session")  # steps whose holding brings the notes prompt
PROMPT_EXPIRES = timedelta(days=14)  # a prompt not sent by then (bot down) is skipped
PROMPT_EVENT = "scep_notes_prompt"  # Slack message metadata event type carried by every prompt the bot posts


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
        # first reply brings it back from this (handlers.notes_backfill.recover_prompt)
        slack_metadata=prompt_metadata(school.school_id, dated.key, dated.year.name, dated.step.title, commitments, "bot"),
    )


def prompts_of(view: SchoolView, step: str, year: str) -> list[dict[str, Any]]:
    return sorted(view.find(PROMPT_KIND, step=step, year=year).values(), key=lambda p: p.get("posted_at") or "")
