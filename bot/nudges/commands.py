"""The nudge buttons' core: Mark done and Snooze on a nudge message (their Slack listeners are in
``handlers/nudge_actions.py``). ``/scep remind`` is in ``bot/nudges/remind.py``.
"""

from __future__ import annotations

from typing import Any

from bot.calendar import dates
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.context import Ctx
from bot.core.metadata import NudgeButton
from bot.core.result import Result
from bot.core.school_calendar import read_school
from bot.core.steps import StepRef, may_mark_done
from bot.errors import UserError
from bot.nudges import nudges


def _plain(text: str) -> str:
    return text.replace("*", "")


def _button_target(ctx: Ctx, value: str):
    """(school state, step, label, rule) of a nudge's button (value ``NudgeButton``)."""
    button = NudgeButton.decode(value)
    if button is None:
        raise UserError("That button is from an older message I can't read any more: use `/scep next` in the school's channel.")
    state = read_school(ctx.store, button.school_id) if button.school_id in ctx.store.school_ids() else None
    if state is None:
        raise UserError("That school is no longer tracked here.")
    dated = nudges.find_dated(state, ctx.library, button.year, button.cycle_id, button.step_id)
    if dated is None:
        raise UserError("That step is no longer in the school's cycles (`/scep timeline` shows them).")
    return state, StepRef(dated), button.label, button.rule


def _without_buttons(blocks: list[dict[str, Any]] | None, drop: tuple[str, ...], value: str) -> list[dict[str, Any]]:
    """The message's blocks without the ``drop`` buttons of the nudge whose button value is
    ``value`` (other nudges in the same message keep theirs)."""
    about = NudgeButton.decode(value)
    out = []
    for b in blocks or []:
        # a nudge message has sections, context lines and buttons: anything else in what the click
        # sent back is not the bot's, and is not sent to Slack again
        if not isinstance(b, dict) or b.get("type") not in ("section", "context", "divider", "header", "actions"):
            continue
        if b.get("type") == "actions":
            kept = [e for e in b.get("elements") or [] if isinstance(e, dict) and e.get("type") == "button"
                    and not (e.get("action_id") in drop and about is not None and about.same_nudge(NudgeButton.decode(e.get("value"))))]
            if not kept:
                continue
            b = {**b, "elements": kept}
        out.append(b)
    return out


def button_done(ctx: Ctx, value: str, message: dict[str, Any] | None) -> Result:
    """Mark done from a nudge: the step (or its DRAFT/FINAL/due deadline) is marked done through
    the one "mark done" use case, and the message loses its Mark done and Snooze buttons."""
    state, ref, label, _ = _button_target(ctx, value)
    marker = may_mark_done(ctx, state)
    title = bk.esc(ref.dated.step.title + (f" ({label.upper()})" if label in ("draft", "final") else ""))
    done = marker.mark(ref, label, unless_done=True)
    if done.label is None:  # it was done already: nothing written
        by = next((v for k, v in done.before.items() if label in (None, k) or (label == "draft" and k == "final")), {})
        who = f" by <@{by['by']}>" if str(by.get("by", "")).startswith(("U", "W")) else ""
        when = f" on {dates.fmt_local(dates.parse_instant(by['at']), state.school.tz, with_time=False)}" if by.get("at") else ""
        raise UserError(f"*{title}* is already marked done{who}{when}.")
    note = f":white_check_mark: *{title}* marked done by <@{ctx.user_id}> · {dates.fmt_local(ctx.now, state.school.tz)}. Its remaining nudges are cancelled."
    blocks = _without_buttons((message or {}).get("blocks"), ("nudge_done", "nudge_snooze"), value) + [bk.context(note)]
    return Result(text=_plain(note), blocks=blocks, public=True)


def button_snooze(ctx: Ctx, value: str, message: dict[str, Any] | None) -> Result:
    """Snooze from a nudge: its reminders wait two days and come back once, at the nudge hour."""
    state, ref, label, rule = _button_target(ctx, value)
    R.require(ctx, state.school, "act")
    title = bk.esc(ref.dated.step.title + (f" ({label.upper()})" if label in ("draft", "final") else ""))
    if nudges.is_done(state, ref.dated, label):
        raise UserError(f"*{title}* is already marked done: there is nothing to snooze.")
    with ctx.store.transaction(state.school.school_id) as tx:
        until = nudges.snooze(tx, ref.dated, label, rule, state.school, ctx.user_id, ctx.now)
    note = f":zzz: Snoozed by <@{ctx.user_id}>: I'll remind you again {dates.fmt_local(until, state.school.tz)}."
    blocks = _without_buttons((message or {}).get("blocks"), ("nudge_snooze",), value) + [bk.context(note)]
    return Result(text=_plain(note), blocks=blocks, public=True)
