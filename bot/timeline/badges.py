"""Short status marks shown next to a step in `/scep next`, `/scep timeline` and App Home:
checklist progress ("checklist 4/9") and where a plan's review stands."""

from __future__ import annotations

from bot.checklists.model import progress_text
from bot.core.progress import Item
from bot.core.schools import SchoolState
from bot.review.rules import status_text


def item_badges(state: SchoolState, item: Item, *, checklist_always: bool = False) -> list[str]:
    out = []
    try:
        cl = progress_text(state, item.dated, item.state, always=checklist_always)
    except Exception:  # noqa: BLE001 - a badge never breaks the list it decorates
        cl = None
    if cl:
        out.append(f":ballot_box_with_check: {cl}")
    rv = status_text(item.state, state.school.tz)
    if rv:  # on every item of the step: the FINAL's line says where the DRAFT's review stands
        out.append(rv)
    return out


def suffix(state: SchoolState, item: Item, *, checklist_always: bool = False) -> str:
    """`` · checklist 4/9 · DRAFT in review since Nov 3`` (mrkdwn), or empty."""
    marks = item_badges(state, item, checklist_always=checklist_always)
    return "".join(f" · {m}" for m in marks)
