"""The "Pick a date" form: Slack's date and time pickers, in the school's time zone.

``schedule_form`` authorizes and gathers what the form shows (``PickADate``); ``schedule_view``
turns that into the modal (pure); ``schedule_submitted`` reads the pickers and schedules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from bot.calendar import dates, nlp_dates
from bot.checklists.model import SCHOOL_GONE
from bot.core import blocks as bk
from bot.core.context import Ctx
from bot.core.metadata import StepButton, StepForm
from bot.core.result import Post, Result, failed
from bot.core.steps import ref_for_key, schedulable, tracked_school
from bot.errors import UserError
from bot.scheduling.schedule import acted_step, do_schedule, no_schedule_reason, window_text

SCHEDULE_CALLBACK = "scep_schedule"
PICK_ACTION = "sched_open"  # "Pick a date": value StepButton


@dataclass(frozen=True)
class PickADate:
    """What the form shows. ``scheduled``: the current date in words (local), or None;
    ``initial_day``/``initial_time``: the pickers' local day and ``HH:MM``."""

    form: StepForm
    step_title: str
    school_name: str
    tz: str
    window: str
    scheduled: str | None
    initial_day: date | None
    initial_time: str


def schedule_form(ctx: Ctx, value: str, origin_channel: str) -> Result:
    """"Pick a date" (value ``StepButton``): the form, for who may schedule the school's steps."""
    button = StepButton.decode(value)
    if button is None:
        return failed("I can't read that button: type `/scep schedule &lt;step&gt;` instead.")
    try:
        state, ref = acted_step(ctx, button.school_id, button.key, SCHOOL_GONE)
        if not schedulable(ref.dated):
            raise UserError(no_schedule_reason(ref.dated, state.school.tz))
    except UserError as exc:
        return failed(str(exc))
    tz = state.school.tz
    dated = ref.dated
    doc = state.step_state(ref.year, ref.key)
    today = dates.local_today(ctx.now, tz)
    initial_day, initial_time = None, "10:00"
    if doc.get("scheduled_at"):
        local = dates.to_local(dates.parse_instant(doc["scheduled_at"]), tz)
        initial_day, initial_time = local.date(), f"{local:%H:%M}"
    elif dated.opens_at:
        initial_day = max(today, dates.local_today(dated.opens_at, tz))
        if dated.closes_at and initial_day > dates.local_today(dated.closes_at, tz):
            initial_day = None
    scheduled = dates.fmt_local(dates.parse_instant(doc["scheduled_at"]), tz) if doc.get("scheduled_at") else None
    data = PickADate(StepForm(button.school_id, ref.state_key, origin_channel), dated.step.title, state.school.name, tz,
                     window_text(dated, tz), scheduled, initial_day, initial_time)
    return Result(open_view=schedule_view(data))


def schedule_view(data: PickADate) -> dict[str, Any]:
    """The "Pick a date" modal."""
    date_el: dict[str, Any] = {"type": "datepicker", "action_id": "value"}
    if data.initial_day:
        date_el["initial_date"] = data.initial_day.isoformat()
    blocks: list[dict[str, Any]] = [
        bk.section(f"*{bk.esc(data.step_title)}* · {bk.esc(data.school_name)}\nWindow: {data.window}"
                   + (f"\nNow scheduled for {data.scheduled}" if data.scheduled else "")),
        {"type": "input", "block_id": "date", "label": {"type": "plain_text", "text": "Date"}, "element": date_el},
        {"type": "input", "block_id": "time", "label": {"type": "plain_text", "text": f"Time ({data.tz})"},
         "element": {"type": "timepicker", "action_id": "value", "initial_time": data.initial_time}},
    ]
    if data.scheduled:
        blocks.append({"type": "input", "block_id": "cancel", "optional": True, "label": {"type": "plain_text", "text": "Or"},
                       "element": {"type": "checkboxes", "action_id": "value",
                                   "options": [{"text": {"type": "plain_text", "text": "Cancel the scheduled date"}, "value": "cancel"}]}})
    return {
        "type": "modal",
        "callback_id": SCHEDULE_CALLBACK,
        "private_metadata": data.form.encode(),
        "title": {"type": "plain_text", "text": "Pick a date"},
        "submit": {"type": "plain_text", "text": "Schedule"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def schedule_submitted(ctx: Ctx, meta: str, values: dict[str, Any], *, dry: bool = False) -> tuple[dict[str, str] | None, Result]:
    """The "Pick a date" modal sent: (field errors, or None; what to post)."""
    form = StepForm.decode(meta)
    if form is None:
        return {"date": "This form is out of date: close it and try again."}, Result()

    def get(bid: str) -> dict[str, Any]:
        return (values.get(bid) or {}).get("value") or {}

    cancel = bool(get("cancel").get("selected_options"))
    day_s, time_s = get("date").get("selected_date"), get("time").get("selected_time")
    try:
        state = tracked_school(ctx, form.school_id, SCHOOL_GONE)
        ref = ref_for_key(state, ctx.library, form.key)
        if cancel:
            result = do_schedule(ctx, state, ref, None, dry=dry)
        else:
            if not day_s:
                return {"date": "Pick a day."}, Result()
            if not time_s:
                return {"time": "Pick a time."}, Result()
            try:
                day = date.fromisoformat(day_s)
                hh, mm = (int(x) for x in time_s.split(":")[:2])
                when = nlp_dates.at_local(day, time(hh, mm), state.school.tz, ctx.now)
            except (ValueError, TypeError):
                return {"date": "Pick a day and a time with the pickers."}, Result()
            result = do_schedule(ctx, state, ref, when, dry=dry)
    except UserError as exc:
        field_ = "cancel" if cancel else "date"
        return {field_: bk.clip(str(exc), 150)}, Result()
    if dry:
        return None, Result()
    if not result.changed:
        return None, Result(text=result.text, refresh_home=[ctx.user_id])
    post_channel = state.school.channel_id
    return None, Result(posts=[Post(channel=post_channel, text=result.text, blocks=[bk.section(result.text)])],
                         changed=result.steps, refresh_home=[ctx.user_id])
