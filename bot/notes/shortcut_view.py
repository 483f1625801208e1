"""The "Save as SCEP note" form: school, step and commitment for the message the shortcut was
used on. Pure: data in, Block Kit out; ``shortcut_choice`` reads the submitted form back."""

from __future__ import annotations

from typing import Any

from bot.calendar.instances import DatedStep
from bot.core import blocks as bk
from bot.core.command import small_int

SHORTCUT_CALLBACK = "save_scep_note"  # the message shortcut's callback_id
SHORTCUT_VIEW = "scep_save_note"  # its modal
ACTION_SCHOOL = "note_school"  # the modal's school picker (dispatches to refresh steps)


def step_value(dated: DatedStep) -> str:
    """A step as the form's option value: ``"<year>|<cycle>/<step>"``."""
    return f"{dated.year.name}|{dated.key}"


def shortcut_view(metadata: str, entries: list[dict[str, Any]], school_id: str, steps: list[DatedStep], default_step: str | None,
                  commitments: list[str], message_preview: str) -> dict[str, Any]:
    """The modal. ``entries``: the schools to offer (index entries, in order; ``school_id`` among
    them, picked); ``steps``: that school's steps (at least one); ``default_step``: the step
    picked (a ``step_value``) or None for the first; ``commitments``: that school's."""

    def opt(text: str, value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": bk.clip(text, 75)}, "value": value}

    shown = entries[:100]
    if not any(e["school_id"] == school_id for e in shown):
        shown = [next(e for e in entries if e["school_id"] == school_id)] + shown[:99]
    school_opts = [opt(e["name"], e["school_id"]) for e in shown]
    step_opts = [opt(f"{d.step.title} ({d.year})", step_value(d)) for d in steps][:100]
    com_opts = [opt("General note", "0")] + [opt(f"C{i} {c}", str(i)) for i, c in enumerate(commitments, 1)]
    step_el: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": step_opts}
    if default_step:
        step_el["initial_option"] = next((o for o in step_opts if o["value"] == default_step), step_opts[0])
    return {
        "type": "modal", "callback_id": SHORTCUT_VIEW, "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Save as SCEP note"}, "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            bk.context("> " + bk.esc(bk.clip(message_preview.replace("\n", " "), 280))),
            {"type": "input", "block_id": "school", "dispatch_action": True, "label": {"type": "plain_text", "text": "School"},
             "element": {"type": "static_select", "action_id": ACTION_SCHOOL, "options": school_opts,
                         "initial_option": next(o for o in school_opts if o["value"] == school_id)}},
            {"type": "input", "block_id": "step", "label": {"type": "plain_text", "text": "Step"}, "element": step_el},
            {"type": "input", "block_id": "commitment", "label": {"type": "plain_text", "text": "Commitment"},
             "element": {"type": "static_select", "action_id": "value", "options": com_opts, "initial_option": com_opts[0]}},
        ],
    }


def shortcut_choice(values: dict[str, Any]) -> tuple[str, str, int]:
    """(school id, "<year>|<cycle>/<step>", commitment number or 0) from the submitted modal."""

    def sel(bid: str) -> str:
        block = values.get(bid) or {}
        for el in block.values():
            return ((el or {}).get("selected_option") or {}).get("value") or ""
        return ""

    commitment = sel("commitment")
    return sel("school"), sel("step"), small_int(commitment, 1000) or 0
