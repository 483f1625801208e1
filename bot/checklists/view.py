"""The checklist in Block Kit, pure: a channel message or a modal, from the school's state,
the checklist and the step's document (data in, dict out; no store, no Slack).

Boxes are grouped by phase, 10 to a checkboxes element; the block of each element is a
``ChecklistBlock`` (``bot.core.metadata``) naming the school, the step and the checklist's
version, so a click can be checked against what was shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.calendar import dates
from bot.calendar.instances import DatedStep
from bot.checklists.model import (
    PHASES,
    Checklist,
    Item,
    chosen,
    counts,
    minutes,
    next_label,
    optional_done,
    ticks_of,
)
from bot.core import blocks as bk
from bot.core import progress
from bot.core.metadata import (
    ChecklistBlock,
    CurrentChecklistButton,
    LabelButton,
    StepButton,
    StepButtonsBlock,
    StepForm,
)
from bot.core.schools import SchoolState
from bot.core.steps import schedulable, submittable
from bot.review.rules import SUBMIT_ACTION, next_submission, status_text

OPTION_TEXT = 75  # Slack: an option's text and description are at most 75 characters
TOGGLE_PREFIX = "ck_toggle_"
DONE_ACTION = "ck_done"
CURRENT_ACTION = "ck_current"
MODAL_CALLBACK = "scep_checklist"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _header_line(state: SchoolState, cl: Checklist, doc: dict[str, Any], now: datetime) -> str:
    tz = state.school.tz
    dated = cl.dated
    bits = [f"*{bk.esc(state.school.name)}*", f"{bk.esc(dated.cycle.title)} {dated.year}"]
    items = progress._step_items(dated, doc, now)
    if items:
        bits.append(bk.when_phrase(items[0], now, tz))
    if doc.get("scheduled_at"):
        bits.append(f":calendar: scheduled {dates.fmt_local(dates.parse_instant(doc['scheduled_at']), tz)}")
    done_marks = doc.get("done") or {}
    for label, mark in done_marks.items():
        what = "done" if label in ("held", "due") else f"{label.upper()} done"
        bits.append(f":white_check_mark: {what} {dates.fmt_local(dates.parse_instant(mark['at']), tz, with_time=False)} by <@{mark.get('by', '?')}>")
    rv = status_text(doc, tz)
    if rv:
        bits.append(rv)
    return " · ".join(bits)


def render(state: SchoolState, cl: Checklist, doc: dict[str, Any], now: datetime, *, readonly: bool = False,
           banner: str | None = None, modal: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The checklist as (fallback text, blocks): boxes grouped by phase, 10 to an element."""
    step = cl.dated.step
    sid = state.school.school_id
    ticks = ticks_of(doc)
    done, total = counts(cl, doc)
    tz = state.school.tz
    blocks: list[dict[str, Any]] = []
    if not modal:
        blocks.append(bk.header(f"Checklist · {step.title}"))
    if banner:
        blocks.append(bk.section(banner))
    progress_line = f"*{done}/{total} done*" if total else "nothing to tick"
    opt_done, opt_total = optional_done(cl, doc)
    if opt_total:
        progress_line += f" (optional: {opt_done}/{opt_total}, not counted)"
    blocks.append(bk.context(_header_line(state, cl, doc, now) + f" · {progress_line}"))
    if step.purpose:
        blocks.append(bk.section(bk.esc(step.purpose)))
    guidance = guidance_lines(step)
    if guidance:
        blocks.append(bk.context(*guidance))
    number = 0
    groups = cl.groups()
    for phase, title in PHASES:
        phase_groups = [(n, g) for n, (p, g) in enumerate(groups) if p == phase]
        lines = list(cl.info.get(phase, ()))
        if not phase_groups and not lines:
            continue
        head = f"*{title}*"
        if phase == "during" and cl.dated.step.events and minutes(cl.dated.step.events):
            head += f" · about {minutes(cl.dated.step.events)}"
        blocks.append(bk.section("\n".join([head, *lines])))
        for n, group in phase_groups:
            if group[0].is_choice:
                number += 1
                blocks.extend(_choice_blocks(sid, cl, n, number, group[0], ticks.get(group[0].id), tz, readonly))
                continue
            options, initial, long_texts = [], [], []
            for item in group:
                number += 1
                label = f"{number}. {_optional(item)}"
                text = _short(bk.esc(label), OPTION_TEXT)
                if len(bk.esc(label)) > OPTION_TEXT:
                    long_texts.append(f"{number}. {bk.esc(_optional(item))}")
                opt: dict[str, Any] = {"text": {"type": "mrkdwn", "text": text}, "value": item.id}
                tick = ticks.get(item.id)
                if tick:
                    when = dates.to_local(dates.parse_instant(tick["at"]), tz)
                    opt["description"] = {"type": "mrkdwn", "text": f"✓ <@{tick.get('by', '?')}> · {when:%b} {when.day}"}
                options.append(opt)
                if tick:
                    initial.append(opt)
            if readonly:
                rows = [(":white_check_mark: " if o in initial else ":white_square: ") + o["text"]["text"] for o in options]
                blocks.append(bk.section("\n".join(rows)))
            else:
                element: dict[str, Any] = {"type": "checkboxes", "action_id": f"{TOGGLE_PREFIX}{n}", "options": options}
                if initial:
                    element["initial_options"] = initial
                blocks.append({"type": "actions", "block_id": ChecklistBlock(sid, cl.key, cl.version, n).encode(), "elements": [element]})
            if long_texts:
                blocks.append(bk.context(bk.clip("\n".join(long_texts), 2000)))
    if not cl.items and not any(cl.info.values()):
        blocks.append(bk.section("Nothing to tick for this step in its cycle file."))
    if not readonly:
        buttons = step_buttons(state, cl.dated, doc)
        if buttons:
            blocks.append(bk.actions(*buttons, block_id=StepButtonsBlock(sid, cl.key).encode()))
    text = f"Checklist for {step.title} ({state.school.name}): {done}/{total} done"
    limit = 100 if modal else bk.MAX_BLOCKS
    if len(blocks) > limit:
        blocks = blocks[: limit - 1] + [bk.context("…more boxes than Slack can show at once: `/scep checklist` in the channel")]
    return bk.esc(text), blocks


def guidance_lines(step) -> list[str]:
    """The document's words on when to hold a step (``scheduling``) and its ``notes``, as mrkdwn
    lines (escaped): shown with the checklist and by ``/scep step``."""
    out = []
    if step.scheduling:
        out.append(f":calendar: *When:* {bk.esc(step.scheduling)}")
    if step.notes:
        out.append(f":memo: *Notes:* {bk.esc(step.notes)}")
    return out


def _optional(item: Item) -> str:
    """The box's text, saying "Optional:" when it is optional (participants and events say it already)."""
    return item.text if not item.optional or item.text.startswith("Optional") else f"Optional: {item.text}"


def _choice_blocks(sid: str, cl: Checklist, n: int, number: int, item: Item, tick: dict[str, Any] | None, tz: str,
                   readonly: bool) -> list[dict[str, Any]]:
    """A choice: its title, then one radio button per option (value ``<item id>:<index>``);
    the option picked shows who picked it and when."""
    k = chosen(item, tick)
    title = f"{number}. {_optional(item)} _(choose one)_"
    if readonly:
        rows = [(":radio_button: " if i == k else ":white_circle: ") + bk.esc(o) for i, o in enumerate(item.options)]
        return [bk.section(bk.esc(title) + "\n" + "\n".join(rows))]
    options, initial, long_texts = [], None, []
    for i, o in enumerate(item.options):
        opt: dict[str, Any] = {"text": {"type": "mrkdwn", "text": _short(bk.esc(o), OPTION_TEXT)}, "value": f"{item.id}:{i}"}
        if len(bk.esc(o)) > OPTION_TEXT:
            long_texts.append(bk.esc(o))
        if i == k and tick:
            when = dates.to_local(dates.parse_instant(tick["at"]), tz)
            opt["description"] = {"type": "mrkdwn", "text": f"✓ <@{tick.get('by', '?')}> · {when:%b} {when.day}"}
            initial = opt
        options.append(opt)
    element: dict[str, Any] = {"type": "radio_buttons", "action_id": f"{TOGGLE_PREFIX}{n}", "options": options}
    if initial:
        element["initial_option"] = initial
    out = [bk.section(bk.esc(title)),
           {"type": "actions", "block_id": ChecklistBlock(sid, cl.key, cl.version, n).encode(), "elements": [element]}]
    if long_texts:
        out.append(bk.context(bk.clip("\n".join(long_texts), 2000)))
    return out


def step_buttons(state: SchoolState, dated: DatedStep, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Buttons that act on the step: pick a date, mark done, submit for review."""
    sid = state.school.school_id
    key = f"{dated.year.name}:{dated.key}"
    done = doc.get("done") or {}
    out = []
    if schedulable(dated) and not done:
        # "sched_open": the action of the Pick-a-date form (bot.scheduling.schedule_form.PICK_ACTION)
        out.append(bk.button("Pick a date" if not doc.get("scheduled_at") else "Reschedule", "sched_open", StepButton(sid, key).encode()))
    label = next_label(dated, doc)
    if label is not None:
        text = "Mark done" if label in ("held", "due") else f"Mark {label.upper()} done"
        out.append(bk.button(text, DONE_ACTION, LabelButton(sid, key, label).encode(), style="primary"))
    if submittable(dated):
        sub = next_submission(dated, doc)
        if sub is not None:
            out.append(bk.button(sub[1], SUBMIT_ACTION, LabelButton(sid, key, sub[0]).encode()))
    return out


def modal_view(state: SchoolState, cl: Checklist, doc: dict[str, Any], now: datetime, origin_channel: str, banner: str | None = None) -> dict[str, Any]:
    """The checklist in a modal (from App Home or a nudge's button); ticks work the same."""
    _, blocks = render(state, cl, doc, now, modal=True, banner=banner)
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "private_metadata": StepForm(state.school.school_id, cl.key, origin_channel).encode(),
        "title": {"type": "plain_text", "text": f"{cl.dated.step.label}: checklist"[:24]},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


def stale_blocks(reason: str, state: SchoolState | None = None, dated: DatedStep | None = None) -> list[dict[str, Any]]:
    """What an outdated checklist message becomes: why, and a button to this year's checklist."""
    blocks = [bk.section(f":no_entry: {reason}")]
    if state is not None and dated is not None:
        value = CurrentChecklistButton(state.school.school_id, dated.key).encode()
        blocks.append(bk.actions(bk.button("Open the current checklist", CURRENT_ACTION, value)))
    return blocks
