"""Review in Block Kit, pure: the reviewer's direct message and the "Request changes" form."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.calendar import dates
from bot.core import blocks as bk
from bot.core.metadata import FeedbackForm, ReviewButton
from bot.core.schools import SchoolState
from bot.core.steps import StepRef
from bot.review.rules import (
    APPROVE_ACTION,
    CHANGES_ACTION,
    FEEDBACK_CALLBACK,
    MAX_FEEDBACK,
    history_lines,
    submitter,
    what,
)
from bot.store.schema import REVIEW_KEY


def dm(state: SchoolState, ref: StepRef, rv: dict[str, Any], now: datetime, *, buttons: bool, outcome: str = "") -> tuple[str, list[dict[str, Any]]]:
    """The reviewer's message: what, from whom, the history, and the two buttons (or the outcome)."""
    school = state.school
    dated = ref.dated
    label = rv.get("label") or ""
    thing = what(dated, label)
    rnd = rv.get("round", 1)
    head = (
        f":inbox_tray: *{bk.esc(thing)}* from *{bk.esc(school.name)}* (<#{school.channel_id}>) is ready for your review"
        f" (round {rnd}, submitted by <@{rv.get('by') if rv.get('status') == 'submitted' else submitter(rv)}>)."
    )
    deadline = next((d for d in dated.deadlines if d.label == label), None)
    bits = [f"{bk.esc(dated.cycle.title)} {dated.year}"]
    if deadline:
        bits.append(f"due {dates.fmt_local(deadline.at, school.tz)}")
    blocks: list[dict[str, Any]] = [bk.section(head), bk.context(" · ".join(bits))]
    hist = history_lines({REVIEW_KEY: rv}, school.tz)
    if len(hist) > 1:
        blocks.append(bk.section("*History*\n" + "\n".join(hist[-8:])))
    if buttons:
        button = ReviewButton(school.school_id, ref.state_key, rnd)
        blocks.append(bk.actions(
            bk.button("Approve", APPROVE_ACTION, button.encode(), style="primary"),
            bk.button("Request changes", CHANGES_ACTION, button.encode()),
            block_id=button.block_id,
        ))
    if outcome:
        blocks.append(bk.section(outcome))
    return f"{bk.esc(thing)} from {bk.esc(school.name)} is ready for review (round {rnd})", blocks


def feedback_view(form: FeedbackForm, thing: str, school_name: str) -> dict[str, Any]:
    """The "Request changes" modal for one round (``thing``: what was submitted, in words)."""
    return {
        "type": "modal",
        "callback_id": FEEDBACK_CALLBACK,
        "private_metadata": form.encode(),
        "title": {"type": "plain_text", "text": "Request changes"},
        "submit": {"type": "plain_text", "text": "Send feedback"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            bk.section(f"*{bk.esc(thing)}* · {bk.esc(school_name)} · round {form.button.round}"),
            {
                "type": "input",
                "block_id": "feedback",
                "label": {"type": "plain_text", "text": "What should change?"},
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": MAX_FEEDBACK,
                            "placeholder": {"type": "plain_text", "text": "Posted in the submission's thread on the school's channel"}},
            },
        ],
    }
