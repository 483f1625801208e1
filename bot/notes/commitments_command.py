"""``/scep commitments``: show or set the school's SCEP commitments, by arguments or in a form."""

from __future__ import annotations

from typing import Any

from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import small_int, subcommand
from bot.core.context import Ctx
from bot.core.metadata import ChannelForm
from bot.core.result import Result
from bot.core.schools import School
from bot.notes.commitments import (
    MAX_COMMITMENT_CHARS,
    MAX_COMMITMENTS,
    clean_commitments,
    commitments_text,
    set_commitments,
)
from bot.store.schema import PROFILE

COMMITMENTS_CALLBACK = "scep_commitments"
MODAL_SLOTS = 6


@subcommand(
    "commitments",
    usage='/scep commitments ["first" "second" ...|clear]',
    summary="show or set the school's SCEP commitments (no arguments: a form)",
    examples=['/scep commitments "Every student reads daily" "Family partnership" "Data-driven instruction"'],
    writes=True,
)
def cmd_commitments(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    school = state.school
    if not args:
        if ctx.trigger_id and R.allowed(ctx, school, "commitments"):
            return Result(text="Opening the commitments form…", open_view=commitments_view(ctx.channel_id, school))
        return Result(text=_commitments_shown(school))
    R.require(ctx, school, "commitments")
    items = [] if [a.lower() for a in args] in (["clear"], ["none"]) else clean_commitments(args)
    return apply_commitments(ctx, school.school_id, items)


def apply_commitments(ctx: Ctx, school_id: str, items: list[str]) -> Result:
    with ctx.store.transaction(school_id) as tx:
        current = School.from_doc(tx.get(*PROFILE) or {"school_id": school_id, "name": "", "team_id": "", "channel_id": ""})
        if current.name and list(current.commitments) == list(items):  # the same again (a form sent twice): no change
            text = f"The commitments of *{bk.esc(current.name)}* are already so: nothing changed."
            return Result(text=text, blocks=[bk.section(text)])
        school = set_commitments(tx, items, ctx.user_id, ctx.now)
    text = f":dart: Commitments of *{bk.esc(school.name)}* set by <@{ctx.user_id}>:\n{commitments_text(items)}" if items else f"Commitments of *{bk.esc(school.name)}* cleared by <@{ctx.user_id}>."
    text += "\nNotes prompts posted from now on list them; prompts already posted keep the ones they had."
    return Result(text=text, blocks=[bk.section(text)], public=True)


def submit_commitments(ctx: Ctx, items: list[str]) -> Result:
    """The commitments form sent (``items`` already cleaned): set them for this channel's school."""
    state = ctx.state()
    R.require(ctx, state.school, "commitments")
    return apply_commitments(ctx, state.school.school_id, items)


def _commitments_shown(school: School) -> str:
    if not school.commitments:
        return f'*{bk.esc(school.name)}* has no commitments yet. Set them: `/scep commitments "Every student reads daily" "Family partnership"`'
    return f"Commitments of *{bk.esc(school.name)}*:\n{commitments_text(school.commitments)}\nChange them: `/scep commitments \"...\" \"...\"`"


def commitments_view(channel: str, school: School) -> dict[str, Any]:
    slots = max(MODAL_SLOTS, min(MAX_COMMITMENTS, len(school.commitments) + 2))
    blocks = []
    for i in range(slots):
        el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": MAX_COMMITMENT_CHARS}
        if i < len(school.commitments):
            el["initial_value"] = school.commitments[i]
        blocks.append({"type": "input", "block_id": f"c{i + 1}", "optional": i > 0, "label": {"type": "plain_text", "text": f"Commitment {i + 1}"}, "element": el})
    return {
        "type": "modal", "callback_id": COMMITMENTS_CALLBACK, "private_metadata": ChannelForm(channel).encode(),
        "title": {"type": "plain_text", "text": "SCEP commitments"}, "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"}, "blocks": blocks,
    }


def commitments_from_view(values: dict[str, Any]) -> list[str]:
    items = []
    for bid in sorted(values, key=lambda b: small_int(b[1:], 99) or 99):
        v = ((values.get(bid) or {}).get("value") or {}).get("value")
        if v and v.strip():
            items.append(v)
    return items
