"""Clicks on checklists: ticking boxes, "Mark done", "Pick a date", and "Open checklist"
buttons (App Home, nudges: action ``open_checklist`` with value ``<year>:<cycle>/<step>``)."""

from __future__ import annotations

import re
from typing import Any

from bot.checklists.done import mark_done_click
from bot.checklists.modal import open_current, open_from_home, open_modal
from bot.checklists.ticks import toggle
from bot.checklists.view import CURRENT_ACTION, DONE_ACTION
from bot.core.metadata import origin_channel
from bot.core.result import failed
from bot.core.steps import CONFIRM_DONE_ACTION
from bot.scheduling.schedule_form import PICK_ACTION, schedule_form
from handlers.context import make_ctx
from handlers.executor import carry_out, guarded


def _where(body: dict[str, Any]) -> tuple[tuple[str, str] | None, bool, str]:
    """(message (channel, ts) the click came from, from a modal?, origin channel of that modal)."""
    container = body.get("container") or {}
    if container.get("type") == "view" or (body.get("view") and not body.get("message")):
        return None, True, origin_channel((body.get("view") or {}).get("private_metadata"))
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return ((channel, ts) if channel and ts else None), False, channel or ""


def _shown(body: dict[str, Any], block_id: str) -> list[str] | None:
    """The options shown selected in that block before the click (the message or modal as Slack had it)."""
    surface = body.get("message") or body.get("view") or {}
    for b in surface.get("blocks") or []:
        if b.get("block_id") == block_id:
            for el in b.get("elements") or []:
                if el.get("type") == "checkboxes":
                    return [o.get("value") for o in el.get("initial_options") or []]
    return None


def register(app, services) -> None:
    @app.action(re.compile(r"^ck_toggle_\d+$"))
    def toggled(ack, body, client, respond):
        ack()
        action = body["actions"][0]
        message, in_modal, origin = _where(body)
        ctx = make_ctx(services, body, client, channel_id=origin)
        selected = [o.get("value") for o in action.get("selected_options") or []]
        if action.get("type") == "radio_buttons" and action.get("selected_option"):  # a choice
            selected = [action["selected_option"].get("value")]
        block = action.get("block_id", "")
        out = guarded(lambda: toggle(ctx, block, selected, _shown(body, block), message=message,
                                 in_modal=in_modal, origin_channel=origin), "checklist tick")
        carry_out(out, ctx, services, client, body, respond)

    @app.action(DONE_ACTION)
    def done_clicked(ack, body, client, respond):
        ack()
        message, in_modal, origin = _where(body)
        ctx = make_ctx(services, body, client, channel_id=origin)
        value = body["actions"][0].get("value", "")
        out = guarded(lambda: mark_done_click(ctx, value, message=message, in_modal=in_modal, origin_channel=origin), "mark done button")
        carry_out(out, ctx, services, client, body, respond)

    @app.action(CONFIRM_DONE_ACTION)
    def done_anyway_clicked(ack, body, client, respond):
        """ "Mark done anyway" under the question asked when a step is marked done before its data date."""
        ack()
        ctx = make_ctx(services, body, client)
        value = body["actions"][0].get("value", "")
        out = guarded(lambda: mark_done_click(ctx, value, confirmed=True), "mark done anyway button")
        carry_out(out, ctx, services, client, body, respond)

    @app.action(PICK_ACTION)
    def pick_a_date(ack, body, client, respond):
        ack()
        _message, _in_modal, origin = _where(body)
        ctx = make_ctx(services, body, client, channel_id=origin)
        value = body["actions"][0].get("value") or ""
        out = guarded(lambda: schedule_form(ctx, value, origin), "pick a date button")
        if out.open_view and (body.get("view") or {}).get("type") == "modal":  # on top of the modal it came from
            out.push_view, out.open_view = out.open_view, None
        carry_out(out, ctx, services, client, body, respond)

    @app.action("open_checklist")
    def open_from_nudge(ack, body, client, respond):
        """A nudge's button (value ``<year>:<cycle>/<step>``) in the school's channel: the checklist in a modal."""
        ack()
        ctx = make_ctx(services, body, client)
        key = body["actions"][0].get("value", "")
        sid = ctx.school_id
        if not sid:
            out = failed("This channel isn't linked to a school any more: `/scep setup &lt;school name&gt;`.")
        else:
            out = guarded(lambda: open_modal(ctx, sid, key, ctx.channel_id), "open checklist button")
        carry_out(out, ctx, services, client, body, respond)

    @app.action("home_checklist")
    def home_checklist_clicked(ack, body, client, respond):
        ack()
        ctx = make_ctx(services, body, client)
        value = body["actions"][0].get("value") or ""
        out = guarded(lambda: open_from_home(ctx, value), "home checklist button")
        carry_out(out, ctx, services, client, body, respond)

    @app.action(CURRENT_ACTION)
    def current_checklist_clicked(ack, body, client, respond):
        """On a checklist of an ended year: open this year's checklist of the same step."""
        ack()
        ctx = make_ctx(services, body, client)
        value = body["actions"][0].get("value") or ""
        out = guarded(lambda: open_current(ctx, value), "current checklist button")
        carry_out(out, ctx, services, client, body, respond)
