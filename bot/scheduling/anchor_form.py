"""The "Report the dates" form of an event-anchored step (planning sessions 1 and 2 wait for data
and a team meeting; visit 5 needs year-end data): one date picker per event, opened from the
nudge that asks for them before the step's typical window. Days are local days of the school.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.calendar import dates
from bot.checklists.model import SCHOOL_GONE
from bot.core import blocks as bk
from bot.core.context import Ctx
from bot.core.metadata import StepButton, StepForm
from bot.core.result import Post, Result, StepChanged, failed
from bot.core.school_calendar import read_school
from bot.core.steps import set_anchor
from bot.errors import UserError
from bot.scheduling.anchors import anchor_effects, plausible
from bot.scheduling.schedule import acted_step, window_text

ANCHOR_CALLBACK = "scep_anchor_dates"


def anchor_form(ctx: Ctx, value: str, origin_channel: str) -> Result:
    """"Report the dates" (value ``StepButton``): the form, for who may act on the school's steps."""
    button = StepButton.decode(value)
    if button is None:
        return failed("I can't read that button: type `/scep data milestones ready &lt;date&gt;` instead.")
    try:
        state, ref = acted_step(ctx, button.school_id, button.key, SCHOOL_GONE)
        names = list(ref.dated.events)
        if not names:
            raise UserError(f"{ref.dated.step.title} waits for no reported dates.")
    except UserError as exc:
        return failed(str(exc))
    dated = ref.dated
    reported = state.anchor_dates(ref.year)
    blocks: list[dict[str, Any]] = [bk.section(
        f"*{bk.esc(dated.step.title)}* ({ref.year}) · {bk.esc(state.school.name)}\n"
        f"Window: {window_text(dated, state.school.tz)}. Leave a date empty if it is not known yet.")]
    for name in names:
        ad = dated.cycle.anchors.get(name)
        el: dict[str, Any] = {"type": "datepicker", "action_id": "value"}
        if name in reported:
            el["initial_date"] = reported[name].isoformat()
        label = (ad.title if ad else name)[:1].upper() + (ad.title if ad else name)[1:]
        blocks.append({"type": "input", "block_id": f"a:{name}", "optional": True,
                       "label": {"type": "plain_text", "text": bk.clip(label, 2000)}, "element": el})
    return Result(open_view={
        "type": "modal",
        "callback_id": ANCHOR_CALLBACK,
        "private_metadata": StepForm(button.school_id, ref.state_key, origin_channel).encode(),
        "title": {"type": "plain_text", "text": "Report the dates"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    })


def anchor_submitted(ctx: Ctx, meta: str, values: dict[str, Any], *, dry: bool = False) -> tuple[dict[str, str] | None, Result]:
    """The form sent: (field errors, or None; the announcement in the school's channel). A date
    in another school year is a question on its field, nothing saved."""
    form = StepForm.decode(meta)
    if form is None:
        return {"x": "This form is out of date: close it and try again."}, Result()
    try:
        state, ref = acted_step(ctx, form.school_id, form.key, SCHOOL_GONE)
    except UserError as exc:
        return {"x": bk.clip(str(exc), 150)}, Result()
    dated = ref.dated
    names = list(dated.events)
    picked: dict[str, date] = {}
    errors: dict[str, str] = {}
    for name in names:
        raw = ((values.get(f"a:{name}") or {}).get("value") or {}).get("selected_date")
        if not raw:
            continue
        ad = dated.cycle.anchors.get(name)
        try:
            day = date.fromisoformat(raw)
            plausible(day, ref.year, ad.title if ad else name, ad.hint.split(" <")[0] if ad and ad.hint else "/scep data")
        except UserError as exc:  # before ValueError: a UserError is one
            errors[f"a:{name}"] = bk.clip(str(exc).replace("&lt;", "<").replace("&gt;", ">"), 300)
            continue
        except ValueError:
            errors[f"a:{name}"] = "Pick a day with the date picker."
            continue
        picked[name] = day
    if not errors and not picked:
        errors[f"a:{names[0]}"] = "Pick at least one date (or Cancel)."
    if errors:
        return errors, Result()
    if dry:
        return None, Result()
    before = state.anchor_dates(ref.year)
    changed = {n: d for n, d in picked.items() if before.get(n) != d}
    if not changed:
        return None, Result(text="Those dates were already recorded: nothing changed.")
    with ctx.store.transaction(state.school.school_id) as tx:
        for name, day in changed.items():
            set_anchor(tx, ref.year, name, day, ctx.user_id, ctx.now)
    new_state = read_school(ctx.store, state.school.school_id)
    lines = [f":pushpin: <@{ctx.user_id}> recorded for {bk.esc(dated.step.title)} ({ref.year}):"]
    for name, day in changed.items():
        ad = dated.cycle.anchors.get(name)
        was = f", was {dates.fmt_day(before[name])}" if name in before else ""
        lines.append(f"• {bk.esc(ad.title if ad else name)}: *{dates.fmt_day(day)}*{was}")
    effects: list[str] = []
    for name in changed:
        effects += [e for e in anchor_effects(new_state, dated.cycle, ref.year, name) if e not in effects]
    text = "\n".join(lines + effects)
    return None, Result(posts=[Post(channel=state.school.channel_id, text=text, blocks=[bk.section(text)])],
                        changed=[StepChanged(state.school.school_id, ref.state_key)], refresh_home=[ctx.user_id])
