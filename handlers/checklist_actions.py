"""Clicks on checklists: ticking boxes, "Mark done", "Pick a date", and "Open checklist"
buttons (App Home, nudges: action ``open_checklist`` with value ``<year>:<cycle>/<step>``)."""

from __future__ import annotations

import re
from typing import Any

from bot.checklists import checklists
from bot.core.result import failed
from bot.core.steps import resolve
from bot.scheduling.commands import schedule_view
from handlers.context import make_ctx
from handlers.executor import carry_out, guarded


def _where(body: dict[str, Any]) -> tuple[tuple[str, str] | None, bool, str]:
    """(message (channel, ts) the click came from, from a modal?, origin channel of that modal)."""
    container = body.get("container") or {}
    if container.get("type") == "view" or (body.get("view") and not body.get("message")):
        meta = ((body.get("view") or {}).get("private_metadata") or "").split("|")
        return None, True, meta[2] if len(meta) > 2 else ""
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
        block = action.get("block_id", "")
        out = guarded(lambda: checklists.toggle(ctx, block, selected, _shown(body, block), message=message,
                                            in_modal=in_modal, origin_channel=origin), "checklist tick")
        carry_out(out, ctx, services, client, body, respond)

    @app.action(checklists.DONE_ACTION)
    def done_clicked(ack, body, client, respond):
        ack()
        message, in_modal, origin = _where(body)
        ctx = make_ctx(services, body, client, channel_id=origin)
        value = body["actions"][0].get("value", "")
        out = guarded(lambda: checklists.mark_done_click(ctx, value, message=message, in_modal=in_modal, origin_channel=origin), "mark done button")
        carry_out(out, ctx, services, client, body, respond)

    @app.action("sched_open")
    def pick_a_date(ack, body, client, respond):
        ack()
        _message, _in_modal, origin = _where(body)
        ctx = make_ctx(services, body, client, channel_id=origin)
        parts = (body["actions"][0].get("value") or "").split("|")
        out = guarded(lambda: schedule_view(ctx, parts[0], parts[1] if len(parts) > 1 else "", origin), "pick a date button")
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
            out = guarded(lambda: checklists.open_modal(ctx, sid, key, ctx.channel_id), "open checklist button")
        carry_out(out, ctx, services, client, body, respond)

    @app.action("home_checklist")
    def open_from_home(ack, body, client, respond):
        ack()
        ctx = make_ctx(services, body, client)
        parts = (body["actions"][0].get("value") or "").split("|")
        out = guarded(lambda: checklists.open_modal(ctx, parts[0], parts[1] if len(parts) > 1 else "", ""), "home checklist button")
        carry_out(out, ctx, services, client, body, respond)

    @app.action("ck_current")
    def open_current(ack, body, client, respond):
        """On a checklist of an ended year: open this year's checklist of the same step."""
        ack()
        ctx = make_ctx(services, body, client)
        sid, _, step = (body["actions"][0].get("value") or "").partition("|")

        def go():
            state = checklists._state(ctx, sid)
            ref = resolve(state, ctx.library, ctx.now, step)
            return checklists.open_modal(ctx, sid, ref.state_key, ctx.channel_id if ctx.channel_id == state.school.channel_id else "")

        out = guarded(go, "current checklist button")
        carry_out(out, ctx, services, client, body, respond)
