"""The sweeper: one pass over every school, asking the providers what is due, claiming it in the
ledger, and handing it to delivery; and its memory between passes.

Fast when nothing is due: the store keeps per school the next instant anything can fall due (the
due index, port.py), unknown again after every change of the school; a sweep reads only the
schools due or unknown (PostgreSQL: one indexed query), computes them with the providers and
records their next instant (due.py says when the index is reset). The workspace providers
(digests to liaisons) read every school's state (in batches), only when a school of the
workspace was read this pass (it changed or something of it fell due: as before, any change of a
school re-asks them), their own next instant comes, or every ``WORKSPACE_RECHECK``. Instants are UTC.

Every replica on one database runs its own sweeper: the ledger's claims decide who sends what
(ledger.py), the store paces each channel for all of them (``Store.reserve_slot``). One pass at
a time per process. ``stop()`` (SIGTERM): the pass under way claims no more schools, posts no
more messages and releases what it had claimed (``retry`` now, for any replica to take).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.calendar import dates
from bot.core.outbox import Providers
from bot.core.schools import SchoolState, iso
from bot.store.schema import LEDGER
from schedules.sweep.batching import messages
from schedules.sweep.delivery import post
from schedules.sweep.directory import Directory
from schedules.sweep.due import check_index, signature_of
from schedules.sweep.ledger import (
    CLAIM_SAFE,
    WORKSPACE,
    Job,
    Ledger,
    split_due,
    target_of,
)
from schedules.sweep.mentions import left_users, unmention
from schedules.sweep.notices import Notices
from schedules.sweep.pacing import Pacer, round_robin
from schedules.sweep.providers import OUTBOX
from schedules.sweep.report import Delivery, SweepReport

log = logging.getLogger("scep-bot.sweep")

FAR = datetime.max.replace(tzinfo=dates.UTC)
BATCH = 500  # schools read in one go (one query on a database)
WORKSPACE_RECHECK = timedelta(hours=12)  # a liaison's new time zone is noticed within this


@dataclass
class PassStart:
    """What a pass reads first, once for every workspace's sweeper: the settings the providers
    read, the due index's signature (reset if stale: ``reset``) and the schools due now."""

    settings: dict[str, Any]
    signature: str
    reset: bool
    due: dict[str, tuple[str, int]]


def start_pass(services, providers: Providers, now: datetime, dry_run: bool, team: str | None = None) -> PassStart:
    """Read the settings, check the due index (due.py) and list the schools due at ``now``
    (of ``team``, or of every workspace): a few queries, whatever the number of schools."""
    store = services.store
    settings = {name: store.get_setting(name, []) or [] for name in providers.settings}
    signature = signature_of(services.library, settings, providers)
    if dry_run:
        return PassStart(settings, signature, False, {})
    reset = check_index(store, signature, now)
    return PassStart(settings, signature, reset, store.due_schools(now, team))


@dataclass
class _Entry:
    """What the sweeper knows of the workspace since it last asked its providers."""

    signature: str
    computed_at: datetime
    next_at: datetime


class Sweeper:
    """The sweep's memory between runs: per-school wake-up times, the pacer, the directory.
    ``providers``: what to ask (the one list, ``schedules/sweep/providers.py``); ``school_ids``:
    the schools to sweep (default every school; many workspaces: one workspace's, ``workspaces``)."""

    def __init__(self, services, pacer: Pacer | None = None, directory: Directory | None = None, providers: Providers = OUTBOX,
                 team: str | None = None) -> None:
        self.services = services
        self.team = team  # None: every school of the store
        self.pacer = pacer or Pacer(reserve=services.store.reserve_slot)
        self.directory = directory or Directory()
        self.providers = providers
        self.ledger = Ledger(services, self._tx, self._wake)
        self.notices = Notices(self._tx, self.pacer)
        self.workspace: _Entry | None = None
        self.running = threading.Lock()  # one pass at a time (the clock's, the admin endpoint's)
        self.stopping = threading.Event()

    def stop(self) -> None:
        """Stop taking work: the pass under way releases what it has not posted yet."""
        self.stopping.set()

    def _tx(self, sid: str):
        """A store transaction of the school (the ledger's claims and records)."""
        return self.services.store.transaction(sid)

    # -- the pass
    def run(self, client, now: datetime, dry_run: bool = False, shared: "PassStart | None" = None) -> SweepReport:
        """One pass as of ``now`` (a UTC instant); ``dry_run`` claims, records and posts nothing.
        ``shared``: what the sweep over many workspaces read once for all of them (``start_pass``)."""
        with self.running:
            return self._run(client, now, dry_run, shared)

    def _run(self, client, now: datetime, dry_run: bool, shared: "PassStart | None" = None) -> SweepReport:
        started = time.perf_counter()
        store = self.services.store
        library = self.services.library
        report = SweepReport(at=now, dry_run=dry_run)
        auth = self.services.slack_auth
        if not dry_run and auth is not None and not auth.ok and not auth.probe_due():
            # Slack refuses the token (logged once, CRITICAL): claim nothing, post nothing, wait
            # for the next probe; what is due stays due
            return report
        start = shared or start_pass(self.services, self.providers, now, dry_run, self.team)
        settings, signature = start.settings, start.signature
        sleep_cap = self.providers.max_sleep()
        jobs: list[Job] = []
        if dry_run:  # every school computed afresh, nothing recorded
            due = {sid: ("", 0) for sid in self._all_ids()}
        else:
            due = {sid: v for sid, v in start.due.items() if self.team is None or v[0] == self.team}
        computed: list[tuple[str, int, datetime]] = []
        batch: dict[str, Any] = {}
        for n, (sid, (_team, rev)) in enumerate(ordered := sorted(due.items())):
            if self.stopping.is_set():
                break
            if sid not in batch:  # read in batches (one query each on a database)
                batch = store.views([s for s, _ in ordered[n:n + BATCH]])
            report.schools += 1
            report.computed += 1
            view = batch[sid]
            state = SchoolState.read(view)
            if state is None:
                computed.append((sid, rev, FAR))
                continue
            self.providers.prepare(state, settings)
            try:
                outs = self.providers.due(state, library, now)
            except Exception:  # noqa: BLE001 - one school's bad data must not stop the others
                log.exception("computing what is due for school %s failed", sid)
                continue
            due_now, next_at = split_due(outs, lambda key, view=view: view.get(LEDGER, key), now, FAR if sleep_cap is None else now + sleep_cap)
            computed.append((sid, rev, next_at))  # a claim below changes the school: it stays unknown till the next sweep
            if due_now:
                try:
                    jobs.extend(self.ledger.claim(sid, state, due_now, now, dry_run, report))
                except Exception:  # noqa: BLE001 - nothing was claimed; the next sweep tries again
                    log.exception("claiming what is due for school %s failed", sid)
        if not dry_run:
            store.record_due(computed)
        # the workspace: digests to liaisons, from every school's state (read only when due)
        ws = self.workspace
        if self.providers.workspace and (dry_run or report.computed or ws is None or ws.signature != signature
                                         or not (ws.computed_at <= now < ws.next_at)):
            jobs.extend(self._workspace(client, self._states(settings), now, dry_run, report, signature))
        self._deliver(client, jobs, now, dry_run, report, started)
        report.seconds = time.perf_counter() - started
        for d in report.deliveries:
            if d.status in ("sent", "failed", "retry"):
                log.info("sweep %s: %s %s -> %s %s", iso(now), d.status, d.key, d.target, d.reason)
        return report

    def _all_ids(self) -> list[str]:
        store = self.services.store
        return store.team_school_ids(self.team) if self.team is not None else store.school_ids()

    def _states(self, settings) -> list[SchoolState]:
        """Every school's state (of this sweeper's workspace), read now, for the workspace providers."""
        store = self.services.store
        states = []
        ids = self._all_ids()
        for n in range(0, len(ids), BATCH):
            for view in store.views(ids[n:n + BATCH]).values():
                state = SchoolState.read(view)
                if state is not None:
                    states.append(self.providers.prepare(state, settings))
        return states

    # -- workspace-level messages
    def _workspace(self, client, states, now, dry_run, report, signature) -> list[Job]:
        """Ask the workspace providers (digests to liaisons) and claim what is due."""
        store, library = self.services.store, self.services.library
        try:
            outs = self.providers.workspace_due(states, library, now, lambda uid: self._person(client, uid))
        except Exception:  # noqa: BLE001
            log.exception("computing workspace messages failed")
            return []
        view = store.view(WORKSPACE)
        due_now, next_at = split_due(outs, lambda key: view.get(LEDGER, key), now, now + WORKSPACE_RECHECK)
        jobs = self.ledger.claim(WORKSPACE, None, due_now, now, dry_run, report) if due_now else []
        if jobs:
            next_at = min(next_at, now + timedelta(minutes=1))
        if not dry_run:
            self.workspace = _Entry(signature, now, next_at)
        return jobs

    # -- posting
    def _deliver(self, client, jobs: list[Job], now: datetime, dry_run: bool, report: SweepReport, started: float) -> None:
        """Render, group, pace and post. Nudges for one channel (and overdue escalations for one
        person) due in the same sweep go out as one message; each keeps its own ledger entry.
        Posting stops (the rest released) when the process is stopping, or ``CLAIM_SAFE``
        seconds after the pass began (before another replica may take the claims over)."""
        live = self._render(client, jobs, now, dry_run, report)
        if dry_run:
            return
        # round-robin over targets so one busy channel's pacing never holds up the others
        order = round_robin(messages(live, lambda uid: self._person(client, uid)), lambda msg: msg.target)
        remaining: dict[int, int] = defaultdict(int)
        for msg in order:
            for job in msg.jobs:
                remaining[id(job)] += 1
        for job in live:
            if remaining[id(job)] == 0:  # nobody left to send it to (every DM recipient left)
                remaining[id(job)] = -1
        self._finish(client, [j for j in live if remaining[id(j)] == -1], now, report)
        halted: str | None = None
        for msg in order:
            if not halted and self.stopping.is_set():
                halted = "this replica is shutting down"
            elif not halted and time.perf_counter() - started > CLAIM_SAFE:
                halted = "the sweep ran out of time: the next sweep sends the rest"
            if halted:
                for job in msg.jobs:
                    if job.error is None:
                        job.error = ("release", halted, now)
            else:
                halted = post(client, self.pacer, msg, now, self.notices.channel_problem)
            done = []
            for job in msg.jobs:
                remaining[id(job)] -= 1
                if remaining[id(job)] == 0:
                    done.append(job)
            self._finish(client, done, now, report)

    def _render(self, client, jobs: list[Job], now: datetime, dry_run: bool, report: SweepReport) -> list[Job]:
        """Render each job at ``now`` (oldest due first), without mentions of people who left;
        returns those to post (a dry run reports them as ``would send`` instead)."""
        jobs = sorted(jobs, key=lambda j: (j.out.due_at, j.out.key))
        live: list[Job] = []
        for job in jobs:
            try:
                job.rendered = job.out.render(now)
            except Exception as exc:  # noqa: BLE001
                log.exception("rendering %s failed", job.out.key)
                if not dry_run:
                    job.error = ("failed", f"could not render: {exc!r}", None)
                    self.ledger.record(job.school_id, [job], now, report)
                continue
            if dry_run:
                o = job.out
                report.deliveries.append(Delivery(o.key, job.state.school.name if job.state else "", o.kind, target_of(o), o.due_at,
                                                  tz=job.state.school.tz if job.state else "UTC", status="would send", text=job.rendered[0]))
                continue
            job.left = left_users(lambda uid: self._person(client, uid), *job.rendered)
            if job.left:
                job.rendered = unmention(*job.rendered, job.left)
            live.append(job)
        return live

    def _finish(self, client, jobs: list[Job], now: datetime, report: SweepReport) -> None:
        """Record what happened to jobs whose every message has been tried (one transaction per
        school), then the follow-ups: people who left, a channel that works again."""
        by_school: dict[str, list[Job]] = defaultdict(list)
        for job in jobs:
            by_school[job.school_id].append(job)
        for sid, group in by_school.items():
            self.ledger.record(sid, group, now, report)
        for job in jobs:
            if job.error is not None:
                continue
            if job.left and job.state is not None:
                self.notices.tell_about_left(client, job, job.left, now)
            if job.out.channel and job.state is not None and job.state.school.extra.get("delivery_problem"):
                self.notices.clear_problem(job, now)

    def _wake(self, sid: str, at: datetime) -> None:
        """Make sure the workspace is looked at again by ``at`` (a retry). A school needs no
        reminder: the ledger's write made its next due instant unknown (the due index)."""
        entry = self.workspace if sid == WORKSPACE else None
        if entry is not None and at < entry.next_at:
            entry.next_at = at

    def _person(self, client, uid: str) -> dict[str, Any] | None:
        """What the directory knows of ``uid`` (None when it cannot tell)."""
        try:
            return self.directory.get(client, uid)
        except Exception:  # noqa: BLE001
            return None
