"""Slack listeners, grouped by what Slack sends; each group has ``register(app, services)``.

Listeners are thin: ``ack()`` first (or ack with the answer for reads), build a ``Ctx``, call
the core in ``bot/``, and carry out the ``Reply``.
"""

from __future__ import annotations

from importlib import import_module

GROUPS = ["handlers.replay", "handlers.commands", "handlers.views", "handlers.notes_messages", "handlers.notes_shortcut", "handlers.notes_forms", "handlers.notes_actions", "handlers.checklist_actions", "handlers.home", "handlers.review", "handlers.modals", "handlers.nudge_actions", "handlers.installs", "handlers.timeline_actions", "handlers.roster_import"]


def register_all(app, services) -> None:
    for name in GROUPS:
        import_module(name).register(app, services)
