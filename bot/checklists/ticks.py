"""Ticking a checklist's boxes: a click on a checkboxes element, in a channel post or a modal.

Only the boxes a click changed are written (who, when: UTC), so two people ticking at once never
undo each other; a click on an outdated checklist (another year, an older cycle file) saves
nothing and says so.
"""

from __future__ import annotations

from datetime import datetime

from bot.checklists.messages import refresh, require_own_channel
from bot.checklists.model import SCHOOL_GONE, for_ref, ticks_of
from bot.checklists.view import modal_view, stale_blocks
from bot.core import permissions as R
from bot.core import progress
from bot.core.context import Ctx
from bot.core.metadata import ChecklistBlock
from bot.core.result import MessageUpdate, Result, failed
from bot.core.schools import SchoolState, iso
from bot.core.steps import (
    StaleStep,
    StepRef,
    audit,
    get_step_state,
    is_current,
    ref_for_key,
    tracked_school,
)
from bot.errors import UserError
from bot.store.schema import CHECKLIST_KEY, STEP_KIND


def apply_ticks(tx, ref: StepRef, changes: dict[str, bool | int], who: str, now: datetime, labels: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """Tick (True) or untick (False) boxes at ``now`` (UTC), or pick option ``k`` (an int) of a
    choice; returns (ticked, unticked) ids that really changed. ``labels`` (item id -> text)
    puts the items' words in the audit entry."""
    doc = get_step_state(tx, ref)
    ck = dict(doc.get(CHECKLIST_KEY) or {})
    ticks = dict(ck.get("ticks") or {})
    ticked, unticked = [], []
    for item_id, on in changes.items():
        if isinstance(on, int) and not isinstance(on, bool):
            if (ticks.get(item_id) or {}).get("choice") != on:
                ticks[item_id] = {"at": iso(now), "by": who, "choice": on}
                ticked.append(item_id)
            continue
        if on and item_id not in ticks:
            ticks[item_id] = {"at": iso(now), "by": who}
            ticked.append(item_id)
        elif not on and item_id in ticks:
            ticks.pop(item_id)
            unticked.append(item_id)
    if ticked or unticked:
        ck["ticks"] = ticks
        doc[CHECKLIST_KEY] = ck
        tx.put(STEP_KIND, ref.state_key, doc)
        names = labels or {}
        audit(tx, who, now, "checklist", step=ref.key, year=ref.year.name, ticked=ticked, unticked=unticked,
              ticked_items=[names.get(i, i)[:120] for i in ticked], unticked_items=[names.get(i, i)[:120] for i in unticked])
    return ticked, unticked


def _stale_outcome(reason: str, message: tuple[str, str] | None, state: SchoolState | None = None,
                   ref: StepRef | None = None) -> Result:
    """A click on an outdated checklist: say so, and close (or refresh) the old message."""
    out = failed(reason)
    if message:
        out.updates.append(MessageUpdate(message[0], message[1], reason, stale_blocks(reason, state, ref.dated if ref else None)))
    return out


def toggle(ctx: Ctx, block: str, selected: list[str], shown: list[str] | None, *,
           message: tuple[str, str] | None = None, in_modal: bool = False, origin_channel: str = "") -> Result:
    """A click on checkboxes: record what changed (who, when) and re-render everywhere.

    ``selected``: the element's options selected after the click; ``shown``: those shown
    selected before it (from the message or modal the click came from; None if unknown: the
    store is compared instead). Only the boxes this click changed are written, so two people
    ticking at once never undo each other.
    """
    parsed = ChecklistBlock.decode(block)
    if parsed is None:
        return failed("I can't read that checklist: type `/scep checklist &lt;step&gt;` for a fresh one.")
    school_id, key, version, n = parsed.school_id, parsed.key, parsed.version, parsed.group
    try:
        state = tracked_school(ctx, school_id, SCHOOL_GONE)
        R.require(ctx, state.school, "act")
        require_own_channel(state, message)
        ref = ref_for_key(state, ctx.library, key)
    except StaleStep as exc:
        return _stale_outcome(f"This checklist is out of date: {exc}", message)
    except UserError as exc:
        return failed(str(exc))
    if not is_current(state, ctx.library, ctx.now, ref):
        current = progress.current_year(ref.dated.cycle, state, ctx.now)
        return _stale_outcome(
            f"This checklist is for {ref.year}, which has ended for this school (now {current}): nothing was saved. "
            f"Type `/scep checklist {ref.dated.step.label}` for the current one.",
            message, state, ref,
        )
    cl = for_ref(state, ref)
    groups = cl.groups()
    if version != cl.version or n >= len(groups):
        out = failed(f"The {ref.dated.step.label} checklist changed since this was shown (its cycle file or the school's commitments), so your click was not saved. I've refreshed it: tick again.")
        if in_modal:
            out.update_view = modal_view(state, cl, state.step_state(ref.year, ref.key), ctx.now, origin_channel)
        out.updates = refresh(ctx, state, ref, also=message)
        return out
    if groups[n][1][0].is_choice:
        return _choose(ctx, state, ref, groups[n][1][0], selected, message=message, in_modal=in_modal, origin_channel=origin_channel)
    ids = [i.id for i in groups[n][1]]
    chosen = {v for v in selected if v in ids}
    with ctx.store.transaction(school_id) as tx:
        current = ticks_of(tx.get(STEP_KIND, ref.state_key) or {})
        before = {v for v in shown if v in ids} if shown is not None else {i for i in ids if i in current}
        changes = {i: (i in chosen) for i in ids if (i in chosen) != (i in before)}
        apply_ticks(tx, ref, changes, ctx.user_id, ctx.now, {i.id: i.text for i in groups[n][1]})
    state = tracked_school(ctx, school_id, SCHOOL_GONE)
    out = Result(updates=refresh(ctx, state, ref, also=message), refresh_home=[ctx.user_id] if in_modal else [])
    if in_modal:
        out.update_view = modal_view(state, cl, state.step_state(ref.year, ref.key), ctx.now, origin_channel)
    return out


def _choose(ctx: Ctx, state: SchoolState, ref: StepRef, item, selected: list[str], *, message: tuple[str, str] | None,
            in_modal: bool, origin_channel: str) -> Result:
    """A pick on a choice's radio buttons (option value ``<item id>:<index>``): record which."""
    picks = [v.rpartition(":")[2] for v in selected if v.rpartition(":")[0] == item.id]
    if not picks or not picks[0].isdigit() or int(picks[0]) >= len(item.options):
        return failed("I can't read that choice: type `/scep checklist &lt;step&gt;` for a fresh checklist.")
    k = int(picks[0])
    with ctx.store.transaction(state.school.school_id) as tx:
        apply_ticks(tx, ref, {item.id: k}, ctx.user_id, ctx.now, {item.id: f"{item.text}: {item.options[k]}"})
    state = tracked_school(ctx, state.school.school_id, SCHOOL_GONE)
    out = Result(updates=refresh(ctx, state, ref, also=message), refresh_home=[ctx.user_id] if in_modal else [])
    if in_modal:
        out.update_view = modal_view(state, for_ref(state, ref), state.step_state(ref.year, ref.key), ctx.now, origin_channel)
    return out
