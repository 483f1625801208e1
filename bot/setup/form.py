"""The setup form (a modal): how it looks, and the setup fields read back from a submission."""

from __future__ import annotations

from typing import Any, Sequence

from bot.calendar import dates
from bot.calendar.cycles import MODELS, Cycle
from bot.core.metadata import ChannelForm
from bot.core.schools import School
from bot.setup.validate import MAX_NAME

SETUP_CALLBACK = "scep_setup"


def setup_view(channel_id: str, cycles: Sequence[Cycle], school: School | None) -> dict[str, Any]:
    """The setup modal for the channel ``channel_id`` (carried in ``private_metadata``), offering
    ``cycles`` (the first 100); filled in from ``school`` when the channel has one."""

    def opt(text: str, value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": text[:75]}, "value": value}

    models = [opt(m, m) for m in MODELS]
    options = [opt(f"{c.title} ({c.id})", c.id) for c in cycles][:100]
    name_el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": MAX_NAME}
    model_el: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": models}
    cycles_el: dict[str, Any] = {"type": "multi_static_select", "action_id": "value", "options": options}
    tz_el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "initial_value": dates.DEFAULT_TZ}
    year_el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "placeholder": {"type": "plain_text", "text": "e.g. 2026-27 (blank: current year)"}}
    if school:
        name_el["initial_value"] = school.name
        model_el["initial_option"] = opt(school.model, school.model)
        chosen = [o for o in options if o["value"] in school.cycles]
        if chosen:
            cycles_el["initial_options"] = chosen
        tz_el["initial_value"] = school.tz
        if school.min_year:
            year_el["initial_value"] = school.min_year

    def block(bid: str, label: str, element: dict[str, Any], optional: bool = False) -> dict[str, Any]:
        return {"type": "input", "block_id": bid, "label": {"type": "plain_text", "text": label}, "element": element, "optional": optional}

    return {
        "type": "modal",
        "callback_id": SETUP_CALLBACK,
        "private_metadata": ChannelForm(channel_id).encode(),
        "title": {"type": "plain_text", "text": "Set up this school"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            block("name", "School name", name_el),
            block("model", "Support model", model_el),
            block("cycles", "Cycles (blank: the model's defaults)", cycles_el, optional=True),
            block("year", "First school year to track", year_el, optional=True),
            block("tz", "Time zone (IANA)", tz_el),
        ],
    }


def setup_fields_from_view(values: dict[str, Any]) -> dict[str, str]:
    """Setup fields from a submitted setup modal's ``state.values``."""

    def get(bid: str) -> Any:
        el = (values.get(bid) or {}).get("value") or {}
        if "selected_option" in el:
            return (el["selected_option"] or {}).get("value")
        if "selected_options" in el:
            return ",".join(o["value"] for o in el["selected_options"] or [])
        return el.get("value")

    fields = {"name": get("name") or "", "model": get("model") or "TSI", "tz": get("tz") or dates.DEFAULT_TZ}
    if get("cycles"):
        fields["cycles"] = get("cycles")
    if get("year"):
        fields["year"] = get("year")
    return fields
