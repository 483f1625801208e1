"""The sweep over many workspaces: one ``Sweeper`` per workspace (its own schools, its pacer, its
directory of people), posting with the bot token of that workspace's installation, looked up on
every sweep. A workspace without an installation (uninstalled, or its token revoked) is idle: its
schools are kept and skipped; the sweep after a reinstall takes them up again (what fell due in
between goes out as after any downtime: stale messages skipped, the latest of a series sent)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from schedules.sweep.report import SweepReport
from schedules.sweep.providers import OUTBOX
from schedules.sweep.sweeper import Sweeper, start_pass

log = logging.getLogger("scep-bot.sweep")


@dataclass
class WorkspaceSweeps:
    """What the sweep over many workspaces keeps between sweeps (one per process)."""

    sweepers: dict[str, Sweeper] = field(default_factory=dict)  # team id -> its Sweeper
    idle: set[str] = field(default_factory=set)  # teams without an installation (schools kept, skipped)
    groups: dict[str, int] = field(default_factory=dict)  # this sweep's number of schools per team
    stopping: threading.Event = field(default_factory=threading.Event)  # SIGTERM: no workspace is started any more

    def stop(self) -> None:
        """Stop every workspace's sweep (the one under way releases its claims; no new one starts)."""
        self.stopping.set()
        for sw in list(self.sweepers.values()):
            sw.stop()

    def wait(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds in all) for the workspace sweeps under way."""
        deadline = time.monotonic() + timeout
        for sw in list(self.sweepers.values()):
            if sw.running.acquire(timeout=max(0.0, deadline - time.monotonic())):
                sw.running.release()


def sweep_workspaces(services, client_for_team: Callable[[str], Any], now: datetime, dry_run: bool = False) -> SweepReport:
    """One sweep as of ``now`` (UTC) of every workspace's schools with that workspace's client
    (``client_for_team(team_id)``, None where the app is not installed)."""
    started = time.perf_counter()
    sweepers: dict[str, Sweeper] = services.workspace_sweeps.sweepers
    report = SweepReport(at=now, dry_run=dry_run)
    idle = services.workspace_sweeps.idle
    groups: dict[str, int] = services.workspace_sweeps.groups  # this sweep's schools per workspace
    groups.clear()
    groups.update({team: n for team, n in services.store.teams().items() if team})  # one query, whatever the schools
    shared = start_pass(services, OUTBOX, now, dry_run)  # settings, the due index, every workspace's due schools: once
    for team, ids in sorted(groups.items()):
        if services.workspace_sweeps.stopping.is_set():
            break  # SIGTERM: what is left stays due for the other replicas or the next start
        client = client_for_team(team)
        if client is None:
            if team not in idle:
                log.info("workspace %s has no installation: its %d schools are idle until the app is installed again", team, ids)
                idle.add(team)
            continue
        if team in idle:
            log.info("workspace %s is installed again: its %d schools are swept again", team, ids)
            idle.discard(team)
        sw = sweepers.get(team)
        if sw is None:
            sw = sweepers[team] = Sweeper(services, team=team)
        try:
            part = sw.run(client, now, dry_run, shared if sw.providers is OUTBOX else None)
        except Exception:  # noqa: BLE001 - one workspace's trouble must not stop the others
            log.exception("the sweep of workspace %s failed", team)
            continue
        report.schools += part.schools
        report.computed += part.computed
        report.deliveries.extend(part.deliveries)
    report.seconds = time.perf_counter() - started
    return report
