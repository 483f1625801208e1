"""The claim/record engine over the ledger: every message is claimed before it is posted, so it
is never sent twice, and recorded after, so it is never missed.

Each school's ledger (store kind ``ledger``) holds one entry per message ``key``:
``{"state": claimed|sent|skipped|retry|failed, "at", "due_at", "kind", "target", "ts", "reason",
"attempts", "retry_at", "claim", "sent_to"}`` (instants in UTC ISO). A key is claimed in a
transaction with a fresh token; only the sweep holding that token records the outcome.
Workspace-level messages (the weekly digest) use the ledger of the pseudo-school ``workspace``.

Several processes on one store (replicas on one PostgreSQL): a claim is a store transaction on
the school (on PostgreSQL its row is locked ``FOR UPDATE`` first), and inside it the entry is
read again and written only if it is still claimable: a conditional update, so of two replicas
sweeping the same minute exactly one claims each key and the other sees ``claimed``.

A process killed between its claim and its record leaves the entry ``claimed``. The claim is a
lease: after ``CLAIM_LEASE`` (measured from the claim's ``at``, in the sweeps' instants) any
sweep may claim it again. The guarantee is **at least once**: a message claimed by a process
that died before posting goes out once, ``CLAIM_LEASE`` later; one whose post reached Slack but
whose outcome was not yet recorded (the few milliseconds between ``chat.postMessage``
answering and the record's commit) goes out a second time. A sweep posts one message at a time,
so that is at most one Slack message per killed process. A live sweep never posts after
``CLAIM_SAFE`` seconds of delivery (it releases what is left instead), so a slow replica's claims
are not taken over while it still posts.

Downtime: a message whose ``expires_at`` has passed is recorded ``skipped`` (stale). Of several
due messages of one series (``meta["series"]``: the reminders of one window or one deadline)
only the latest is sent; the others are recorded ``skipped`` (superseded).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, ContextManager

from bot.calendar import dates
from bot.core.outbox import Outgoing
from bot.core.schools import SchoolState, iso
from bot.store.schema import LEDGER
from schedules.sweep.report import Delivery, SweepReport

log = logging.getLogger("scep-bot.sweep")

WORKSPACE = "workspace"  # pseudo-school id holding the workspace ledger
CLAIM_LEASE = timedelta(minutes=10)  # a claim not recorded within this may be claimed again
CLAIM_SAFE = 6 * 60.0  # seconds: a sweep stops posting (and releases its claims) after this long


@dataclass
class Job:
    """One claimed message on its way: who it is for, what became of it."""

    school_id: str
    state: SchoolState | None  # None: workspace
    out: Outgoing
    claim: str
    attempts: int
    sent_to: list[str]
    ts: dict[str, str] = field(default_factory=dict)  # target -> ts of the message it went out in
    error: tuple[str, str, datetime | None] | None = None  # (retry|release|failed, reason, retry_at)
    rendered: tuple[str, list[dict[str, Any]]] | None = None
    left: list[dict[str, Any]] = field(default_factory=list)


def claimable(doc: dict[str, Any] | None, now: datetime) -> tuple[bool, datetime | None]:
    """(may this key be claimed now, when it may be retried if later). A ``claimed`` entry whose
    lease has run out (its process died before recording) may be claimed again."""
    if doc is None:
        return True, None
    state = doc.get("state")
    if state == "retry":
        at = dates.parse_instant(doc["retry_at"]) if doc.get("retry_at") else now
    elif state == "claimed" and doc.get("at"):
        at = dates.parse_instant(doc["at"]) + CLAIM_LEASE
    else:
        return False, None
    return (at <= now), (at if at > now else None)


def split_due(outs: list[Outgoing], entry: Callable[[str], dict[str, Any] | None], now: datetime, next_at: datetime) -> tuple[list[Outgoing], datetime]:
    """(the messages that may be claimed at ``now``, the earliest instant something else falls
    due or may be retried, no later than ``next_at``). ``entry(key)``: the ledger entry of a key
    (looked up one by one: a ledger grows with every message ever sent)."""
    due_now = []
    for o in outs:
        if o.due_at > now:
            next_at = min(next_at, o.due_at)
            continue
        entry_doc = entry(o.key)
        ready, retry_at = claimable(entry_doc, now)
        if retry_at is not None:
            next_at = min(next_at, retry_at)
        if ready:
            due_now.append(o)
    return due_now, next_at


def target_of(o: Outgoing) -> str:
    """The channel id, or the DM's user ids joined by commas."""
    return o.channel or ",".join(o.dm_users)


class Ledger:
    """Claims and records in the ledgers. ``transaction(school_id)`` is the sweeper's store
    transaction; ``wake(school_id, at)`` asks the sweeper to look at a school again by ``at``."""

    def __init__(self, services, transaction: Callable[[str], ContextManager[Any]], wake: Callable[[str, datetime], None]) -> None:
        self.services = services
        self.transaction = transaction
        self.wake = wake

    def claim(self, sid: str, state: SchoolState | None, due_now: list[Outgoing], now: datetime, dry_run: bool, report: SweepReport) -> list[Job]:
        """Claim ``due_now`` (all of school ``sid``) in one transaction: the latest of each series
        is claimed, stale and superseded ones are recorded ``skipped``. With ``dry_run`` nothing
        is written. Returns the claimed jobs."""
        name = state.school.name if state else ""
        tz = state.school.tz if state else "UTC"
        store = self.services.store
        decisions: list[tuple[Outgoing, str, str]] = []  # (outgoing, status, reason)

        def decide(ledger: Callable[[str], dict[str, Any] | None]) -> None:
            decisions.clear()
            fresh = []
            for o in due_now:
                ready, _ = claimable(ledger(o.key), now)
                if not ready:
                    continue  # another sweep took it meanwhile
                if o.expires_at is not None and now > o.expires_at:
                    decisions.append((o, "skipped", f"stale: it stopped meaning anything at {dates.fmt_local(o.expires_at, tz)}"))
                else:
                    fresh.append(o)
            groups: dict[str, list[Outgoing]] = defaultdict(list)
            for o in fresh:
                groups[o.meta.get("series") or o.key].append(o)
            for group in groups.values():
                group.sort(key=lambda o: (o.due_at, o.key))
                latest = group[-1]
                for o in group[:-1]:
                    decisions.append((o, "skipped", f"superseded by {latest.meta.get('rule') or latest.key}"))
                decisions.append((latest, "send", ""))

        jobs: list[Job] = []
        if dry_run:
            view = store.view(sid)
            decide(lambda key: view.get(LEDGER, key))
            for o, status, reason in decisions:
                if status == "send":
                    jobs.append(Job(sid, state, o, "", 0, []))
                else:
                    report.deliveries.append(Delivery(o.key, name, o.kind, target_of(o), o.due_at, tz=tz, status="skipped", reason=reason))
            return jobs
        token = uuid.uuid4().hex
        with self.transaction(sid) as tx:
            # read again inside the transaction (the school locked): only what is still claimable
            # is claimed, so two sweeps never both claim one key
            decide(lambda key: tx.get(LEDGER, key))
            for o, status, reason in decisions:
                base = {"due_at": iso(o.due_at), "kind": o.kind, "target": target_of(o), "at": iso(now)}
                if status == "send":
                    prev = tx.get(LEDGER, o.key) or {}
                    attempts = int(prev.get("attempts", 0))
                    tx.put(LEDGER, o.key, {**base, "state": "claimed", "claim": token, "attempts": attempts, "sent_to": prev.get("sent_to", [])})
                    jobs.append(Job(sid, state, o, token, attempts, list(prev.get("sent_to", []))))
                else:
                    tx.put(LEDGER, o.key, {**base, "state": "skipped", "reason": reason})
                    report.deliveries.append(Delivery(o.key, name, o.kind, target_of(o), o.due_at, tz=tz, status="skipped", reason=reason))
        return jobs

    def record(self, sid: str, jobs: list[Job], now: datetime, report: SweepReport) -> None:
        """Write the outcome of ``jobs`` (all of school ``sid``) in one transaction."""
        lines: list[Delivery] = []
        with self.transaction(sid) as tx:
            for job in jobs:
                o = job.out
                doc = tx.get(LEDGER, o.key) or {}
                if doc.get("claim") != job.claim:
                    log.warning("ledger entry %s was taken over by another sweep; not recording it", o.key)
                    continue
                outcome, reason, retry_at = job.error or ("sent", "", None)
                ts = ",".join(job.ts.values())
                base = {"due_at": iso(o.due_at), "kind": o.kind, "target": target_of(o), "sent_to": job.sent_to}
                attempts = job.attempts + (1 if outcome in ("retry", "failed") else 0)
                if outcome == "sent":
                    tx.put(LEDGER, o.key, {**base, "state": "sent", "at": iso(now), "ts": ts, "channel": o.channel or "", "attempts": attempts})
                    if o.on_sent is not None:
                        o.on_sent(tx, ts)
                elif outcome in ("retry", "release"):
                    retry_at = retry_at or now
                    tx.put(LEDGER, o.key, {**base, "state": "retry", "at": iso(now), "retry_at": iso(retry_at), "reason": reason, "attempts": attempts})
                    self.wake(sid, retry_at)
                else:
                    tx.put(LEDGER, o.key, {**base, "state": "failed", "at": iso(now), "reason": reason, "attempts": attempts})
                name = job.state.school.name if job.state else ""
                tz = job.state.school.tz if job.state else "UTC"
                status = "retry" if outcome == "release" else outcome
                lines.append(Delivery(o.key, name, o.kind, target_of(o), o.due_at, tz=tz, status=status,
                                      text=job.rendered[0] if job.rendered and outcome == "sent" else "", ts=ts, reason=reason))
        report.deliveries.extend(lines)
