"""The clock's side of a running bot: the sweep job every minute and the operator's admin endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.calendar import dates
from bot.root.services import Services


@dataclass
class Clock:
    """What ``start_clock`` started: the sweep's scheduler and the admin endpoint."""

    scheduler: Any
    admin: Any

    def stop(self, wait: bool = False) -> None:
        """Stop the clock; ``wait``: until the sweep under way has ended."""
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=wait)
        if self.admin is not None:
            self.admin.stop()


def run_sweep(services: Services, client, at: datetime | None = None, dry_run: bool = False):
    """One sweep as of ``at`` (default: the services' clock); the SweepReport."""
    from schedules.sweep.jobs import sweep

    return sweep(services, client, at or services.clock(), dry_run=dry_run)


def start_admin(services: Services, client):
    """The admin endpoint on 127.0.0.1 that operator commands (``scep-bot sweep``) use while the
    bot runs on this data directory."""
    from bot.root.admin import AdminServer, BadRequest

    def sweep_route(body: dict[str, Any]) -> dict[str, Any]:
        try:
            at = dates.parse_instant(str(body.get("at") or "")) if body.get("at") else services.clock()
        except dates.DateError as exc:
            raise BadRequest(str(exc)) from None
        return run_sweep(services, client, at, bool(body.get("dry_run"))).as_dict()

    from bot.root.settings import port_setting

    port = port_setting("SCEP_ADMIN_PORT", 0)
    return AdminServer(services.settings.data_dir, {"/sweep": sweep_route}, port=port).start()


def start_clock(services: Services, client, *, admin: bool = True) -> Clock:
    """Start the sweep job (every minute) and the admin endpoint. For ``serve`` and ``socket``;
    the console sweeps when asked instead."""
    from schedules.sweep.jobs import start_scheduler

    scheduler = start_scheduler(services, client)
    return Clock(scheduler, start_admin(services, client) if admin else None)
