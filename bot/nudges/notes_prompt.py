"""The bridge from the nudge calendar to the notes feature: the day after a visit is held, the
nudge calendar says *when* a notes prompt goes out; ``bot.notes`` says *what* it says (guiding
questions, commitments, one reply each). The prompt carries the nudge's mentions and buttons.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.core import blocks as bk
from bot.core.outbox import Outgoing
from bot.core.schools import SchoolState
from bot.notes.prompts import prompt_outgoing
from bot.nudges.planning import Nudge
from bot.nudges.view import render


def notes_prompt(n: Nudge, state: SchoolState, now: datetime) -> Outgoing | None:
    """The notes prompt (``bot.notes``: guiding questions, commitments, one reply each) at the
    nudge's time; its thread is registered when posted. None once a prompt was posted (by hand
    with ``/scep notes start``, or earlier)."""
    if state.step_state(n.dated.year, n.dated.key).get("prompt") or not state.school.channel_id:
        return None
    out = prompt_outgoing(state, n.dated, n.due_at, now)
    out.key, out.expires_at = n.key, n.expires_at
    prompt_render = out.render

    def render_with_buttons(at: datetime):
        """The prompt, tagged as this nudge, with its buttons (Mark done while not done)."""
        text, blocks = prompt_render(at)
        nudge_text, nudge_blocks = render(n, state, at)
        blocks = [dict(b) for b in blocks]
        if blocks:
            blocks[0]["block_id"] = f"nudge|{n.item}|{n.rule}"
        mentions = " ".join(dict.fromkeys(re.findall(r"<@[UW][A-Z0-9]+>", nudge_text)))
        if mentions:  # the step's owners, as on every nudge, so they are notified
            blocks.append(bk.context(f"For {mentions}"))
            text += f"\nFor {mentions}"
        blocks.extend(b for b in nudge_blocks if str(b.get("block_id", "")).startswith("act|"))
        return text, blocks

    out.render = render_with_buttons
    out.meta.update({"series": f"{n.item}#{n.series}", "item": n.item, "rule": n.rule})
    return out
