"""The buttons on nudges: Mark done and Snooze 2 days.

Their third button, ``open_checklist`` (value ``<year>:<cycle>/<step>``), is the checklist
feature's own action (``handlers/checklist_actions.py``).
"""

from __future__ import annotations

from bot.nudges.commands import button_done, button_snooze
from handlers.context import make_ctx
from handlers.executor import answer_in_place, carry_out, guarded


def _value(body) -> str:
    actions = body.get("actions") or [{}]
    return actions[0].get("value") or ""


def register(app, services) -> None:
    @app.action("nudge_done")
    def mark_done(ack, body, client, respond):
        ack()  # before the store write
        ctx = make_ctx(services, body, client)
        result = guarded(lambda: button_done(ctx, _value(body), body.get("message")), "nudge_done")
        carry_out(result, ctx, services, client, body, respond, answer=answer_in_place(body, client, respond))

    @app.action("nudge_snooze")
    def snooze(ack, body, client, respond):
        ack()
        ctx = make_ctx(services, body, client)
        result = guarded(lambda: button_snooze(ctx, _value(body), body.get("message")), "nudge_snooze")
        carry_out(result, ctx, services, client, body, respond, answer=answer_in_place(body, client, respond))
