"""The buttons on nudges: Mark done and Snooze 2 days.

Their third button, ``open_checklist`` (value ``<year>:<cycle>/<step>``), is the checklist
feature's own action (``handlers/checklist_actions.py``).
"""

from __future__ import annotations

from bot.nudges.commands import button_done, button_snooze
from bot.core.command import UserError, error_reply
from handlers.common import log, make_ctx, safely


def _value(body) -> str:
    actions = body.get("actions") or [{}]
    return actions[0].get("value") or ""


def _run(fn):
    def call():
        try:
            return fn()
        except UserError as exc:
            return error_reply(str(exc))

    return call


def _answer(respond, reply) -> None:
    try:
        if reply.error or not reply.public:
            respond(text=reply.text[:3000], blocks=reply.blocks, response_type="ephemeral", replace_original=False)
        else:
            respond(text=reply.text[:3000], blocks=reply.blocks, replace_original=True)
    except Exception as exc:  # noqa: BLE001 - the change is saved; only the answer failed
        log.warning("answering a nudge button failed: %s", exc)


def register(app, services) -> None:
    @app.action("nudge_done")
    def mark_done(ack, body, client, respond):
        ack()  # before the store write
        ctx = make_ctx(services, body, client)
        reply = safely(_run(lambda: button_done(ctx, _value(body), body.get("message"))), "nudge_done")
        _answer(respond, reply)

    @app.action("nudge_snooze")
    def snooze(ack, body, client, respond):
        ack()
        ctx = make_ctx(services, body, client)
        reply = safely(_run(lambda: button_snooze(ctx, _value(body), body.get("message"))), "nudge_snooze")
        _answer(respond, reply)
