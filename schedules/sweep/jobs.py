"""The clock: the one APScheduler job that runs the sweep, and the sweep as the CLI, the console
and the tests call it (one ``Sweeper`` per process, kept in ``services.sweeper``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.calendar import dates
from bot.privacy import retention
from bot.store.port import StoreUnavailable
from schedules.sweep.report import SweepReport
from schedules.sweep.sweeper import Sweeper

log = logging.getLogger("scep-bot.sweep")


def sweeper_for(services) -> Sweeper:
    sw = services.sweeper
    if sw is None:
        sw = services.sweeper = Sweeper(services)
    return sw


def sweep(services, client, now: datetime, dry_run: bool = False) -> SweepReport:
    """One sweep over every school as of ``now`` (a UTC instant). With ``dry_run`` nothing is
    claimed, recorded or posted: the report says what would be sent.

    Many workspaces (``services.team_clients``, set by the composition root): each
    workspace's schools with its own bot token (``workspaces``); ``client`` is then unused."""
    if not dry_run:
        try:
            retention.apply_if_due(services.store, now)  # once a UTC day: notes and audit entries past the retention
        except Exception:  # noqa: BLE001 - the sweep goes on; tomorrow's run tries again
            log.exception("the retention sweep failed")
    teams = services.team_clients
    if teams is not None:
        from schedules.sweep.workspaces import sweep_workspaces

        return sweep_workspaces(services, teams.for_team, now, dry_run)
    return sweeper_for(services).run(client, now, dry_run)


def start_scheduler(services, client):
    """The clock: one APScheduler 3 BackgroundScheduler job that sweeps at second 0 of every
    minute. ``coalesce`` folds missed runs into one, ``max_instances=1`` never overlaps two,
    ``misfire_grace_time=None`` runs a late sweep however late (the default drops it)."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    def job() -> None:
        try:
            sweep(services, client, services.clock())
        except StoreUnavailable as exc:  # the database is down: nothing half-done; the next minute tries again
            log.error("the sweep stopped: %s", exc)
        except Exception:  # noqa: BLE001 - the next minute tries again
            log.exception("the sweep failed")

    scheduler = BackgroundScheduler(timezone=dates.UTC)
    scheduler.add_job(job, CronTrigger(second=0, timezone=dates.UTC), id="sweep", name="sweep", coalesce=True, max_instances=1,
                      misfire_grace_time=None, replace_existing=True)
    scheduler.start()
    return scheduler
