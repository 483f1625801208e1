"""The sweep: one pass over every school, sending what the outbox says is due, exactly once.

``sweep(services, client, now)`` is the only thing the clock runs (one APScheduler job, every
minute, see ``start_scheduler``). For each school it asks ``bot.outbox.due`` what is due, claims
each message's key in the school's ledger (store kind ``ledger``) inside a transaction, posts it,
and records the Slack ``ts``. Nothing is scheduled per message: change the data and the next
sweep sees the change.

- **Fast when nothing is due.** Per school the sweep keeps the store revision it last read (its
  own ledger writes discounted) and the next instant anything can fall due; a school nobody has
  changed is skipped until that instant.
- **One message per channel.** Nudges due in the same sweep for one channel (and overdue
  escalations for one person) go out as one message, each with its own buttons and its own
  ledger entry; notes prompts always go alone (their thread collects the notes).
- **Downtime.** A message whose ``expires_at`` has passed is recorded ``skipped`` (stale). Of
  several due messages of one series (``meta["series"]``: the reminders of one window or one
  deadline) only the latest is sent; the others are recorded ``skipped`` (superseded). Messages
  render at send time, so the text gives the true time left.
- **Slack faults.** 429: slack_sdk's ``RateLimitErrorRetryHandler`` waits ``Retry-After`` and
  retries; if Slack still refuses, the claims are released for a later sweep. Posts are paced to
  one a second per channel. 5xx or a network error: the entry becomes ``retry`` and the next
  sweep tries again (backing off up to 30 minutes). ``channel_not_found``/``not_in_channel``/
  ``is_archived``: ``failed`` (not retried), recorded on the school
  (``School.extra["delivery_problem"]``, shown by ``/scep schools``) and told to the liaison once.
- **People who left.** A mention of a user who left the workspace is replaced by their name
  (no ping), and the liaison is told once.

Ledger entries: ``{"state": claimed|sent|skipped|retry|failed, "at", "due_at", "kind",
"target", "ts", "reason", "attempts", "retry_at"}``. Workspace-level messages (the weekly digest)
use the ledger of the pseudo-school ``workspace`` (``schools/workspace.json``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from bot.calendar import dates
from bot.core import outbox
from bot.core.blocks import esc
from bot.core.outbox import Outgoing
from bot.core.schools import School, SchoolState, iso
from bot.digests import monthly, weekly  # noqa: F401 - importing registers the digests' providers
from bot.nudges import nudges
from bot.store.schema import DISTRICT_HOLIDAYS_SETTING, LEDGER, PROFILE
from handlers.slack_client import AUTH_ERRORS

log = logging.getLogger("scep-bot.sweep")

WORKSPACE = "workspace"  # pseudo-school id holding the workspace ledger
CHANNEL_PROBLEMS = ("channel_not_found", "not_in_channel", "is_archived")
BATCHED = ("nudge", "escalation")  # kinds posted together when several are due for one target
MAX_BATCH_BLOCKS = 50
FULL_ITEMS = 10  # nudges in one message that keep their own buttons; the rest are listed
GONE_USERS = ("user_not_found", "user_disabled", "account_inactive", "cannot_dm_bot", "messages_tab_disabled")
RETRY_MAX = timedelta(minutes=30)
FAR = datetime.max.replace(tzinfo=dates.UTC)
DIRECTORY_TTL = 3600.0
LIST_RETRY = 60.0  # after users.list fails, ask again no sooner than this
WORKSPACE_RECHECK = timedelta(hours=12)  # a liaison's new time zone is noticed within this
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


# ---------------------------------------------------------------- results


@dataclass
class Delivery:
    """What the sweep did with one message."""

    key: str
    school: str  # school name ("" for the workspace)
    kind: str
    target: str  # channel id, or user ids for a DM
    due_at: datetime
    status: str  # sent | would send | skipped | retry | failed
    text: str = ""
    ts: str = ""
    reason: str = ""
    tz: str = "UTC"  # the school's zone, for showing ``due_at``

    def line(self) -> str:
        when = dates.fmt_local(self.due_at, self.tz)
        what = self.text.replace("\n", " ")[:140]
        extra = f" ({self.reason})" if self.reason else ""
        return f"{self.status:<10} {when:<32} {self.school[:28]:<28} {self.target:<12} {self.kind:<12} {what}{extra}"

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "school": self.school, "kind": self.kind, "target": self.target, "due_at": iso(self.due_at),
                "due_local": dates.fmt_local(self.due_at, self.tz), "status": self.status, "text": self.text, "ts": self.ts, "reason": self.reason}


@dataclass
class SweepReport:
    at: datetime
    dry_run: bool = False
    deliveries: list[Delivery] = field(default_factory=list)
    schools: int = 0
    computed: int = 0
    seconds: float = 0.0

    def of(self, status: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == status]

    def lines(self) -> list[str]:
        head = f"sweep at {iso(self.at)}{' (dry run: nothing claimed or posted)' if self.dry_run else ''}: {self.schools} schools, {self.computed} computed, {len(self.of('sent'))} sent, {len(self.of('would send'))} would send, {len(self.of('skipped'))} skipped, {len(self.of('retry'))} to retry, {len(self.of('failed'))} failed, {self.seconds:.3f}s"
        return [head, *(d.line() for d in self.deliveries)]

    def as_dict(self) -> dict[str, Any]:
        return {"at": iso(self.at), "dry_run": self.dry_run, "schools": self.schools, "computed": self.computed,
                "seconds": self.seconds, "deliveries": [d.as_dict() for d in self.deliveries]}


# ---------------------------------------------------------------- pacing and people


class Pacer:
    """At most one post per ``interval`` seconds to each channel (Slack's chat.postMessage limit).
    ``sleep`` and ``clock`` are parameters so tests can keep time themselves."""

    def __init__(self, interval: float = 1.0, sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.sleep = sleep
        self.clock = clock
        self.last: dict[str, float] = {}
        self.lock = threading.Lock()
        self.waited = 0.0

    def wait(self, target: str) -> None:
        """Sleep until ``target`` may be posted to, and reserve that moment."""
        with self.lock:
            now = self.clock()
            last = self.last.get(target)
            ready = now if last is None else max(now, last + self.interval)
            self.last[target] = ready
        pause = ready - now
        if pause > 0:
            self.waited += pause
            self.sleep(pause)


class Directory:
    """Who is in the workspace: ``users.list`` (paged) at most once an hour, ``users.info`` for
    anyone not listed. Answers ``{"id", "name", "tz", "deleted"}`` or None."""

    def __init__(self, ttl: float = DIRECTORY_TTL) -> None:
        self.ttl = ttl
        self.users: dict[str, dict[str, Any] | None] = {}
        self.loaded_at: float | None = None
        self.failed_at: float | None = None
        self.lock = threading.Lock()

    def _load(self, client) -> None:
        users: dict[str, dict[str, Any] | None] = {}
        cursor = None
        for _ in range(200):
            res = client.users_list(limit=200, cursor=cursor) if cursor else client.users_list(limit=200)
            for m in res.get("members") or []:
                users[m["id"]] = _person(m)
            cursor = (res.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        self.users = users
        self.loaded_at = time.monotonic()

    def get(self, client, user_id: str) -> dict[str, Any] | None:
        with self.lock:
            now = time.monotonic()
            fresh = self.loaded_at is not None and now - self.loaded_at < self.ttl
            if not fresh and (self.failed_at is None or now - self.failed_at >= LIST_RETRY):
                try:
                    self._load(client)
                    self.failed_at = None
                except Exception as exc:  # noqa: BLE001 - without the list nobody is known to have left
                    log.warning("users.list failed (%s): mentions are kept as they are for now", exc)
                    self.failed_at = now
                    return None
            if self.loaded_at is None:
                return None
            if user_id in self.users:
                return self.users[user_id]
        try:  # not in the list (another workspace of an org?): ask about this one
            res = client.users_info(user=user_id)
            person = _person(res.get("user") or {})
        except Exception as exc:  # noqa: BLE001
            err = _slack_error(exc)[0]
            if err not in ("user_not_found", "users_not_found"):
                return None  # unknown for now: do not remember a passing failure
            person = {"id": user_id, "name": user_id, "tz": None, "deleted": True}
        with self.lock:
            self.users[user_id] = person
        return person


def _person(m: dict[str, Any]) -> dict[str, Any]:
    profile = m.get("profile") or {}
    name = profile.get("display_name") or m.get("real_name") or m.get("name") or m.get("id", "")
    return {"id": m.get("id"), "name": name, "tz": m.get("tz"), "deleted": bool(m.get("deleted"))}


# ---------------------------------------------------------------- the sweeper


@dataclass
class _Entry:
    revision: int
    signature: tuple
    computed_at: datetime
    next_at: datetime
    state: SchoolState | None


@dataclass
class _Job:
    school_id: str
    state: SchoolState | None  # None: workspace
    out: Outgoing
    claim: str
    attempts: int
    sent_to: list[str]
    ts: dict[str, str] = field(default_factory=dict)  # target -> ts of the message it went out in
    error: tuple[str, str, datetime | None] | None = None  # (retry|failed, reason, retry_at)
    rendered: tuple[str, list[dict[str, Any]]] | None = None
    left: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Message:
    """One Slack message: one job, or several nudges for the same channel (or escalations for the
    same person) due in the same sweep, posted together."""

    target: str
    jobs: list[_Job]
    batch: bool


class Sweeper:
    """The sweep's memory between runs: per-school wake-up times, the pacer, the directory."""

    def __init__(self, services, pacer: Pacer | None = None, directory: Directory | None = None) -> None:
        self.services = services
        self.pacer = pacer or Pacer()
        self.directory = directory or Directory()
        self.cache: dict[str, _Entry] = {}
        self.workspace: _Entry | None = None
        self.lock = threading.Lock()

    @contextmanager
    def _tx(self, sid: str):
        """A store transaction that keeps the school's cached computation valid: the sweep's own
        ledger writes do not make a school look changed (only other writers' changes do)."""
        with self.services.store.transaction(sid) as tx:
            yield tx
        with self.lock:
            entry = self.cache.get(sid)
            if entry is not None and entry.revision == tx.read_revision:
                entry.revision = tx.revision

    # -- the pass
    def run(self, client, now: datetime, dry_run: bool = False) -> SweepReport:
        started = time.perf_counter()
        store = self.services.store
        library = self.services.library
        report = SweepReport(at=now, dry_run=dry_run)
        auth = self.services.extras.get("slack_auth")
        if not dry_run and auth is not None and not auth.ok and not auth.probe_due():
            # Slack refuses the token (logged once, CRITICAL): claim nothing, post nothing, wait
            # for the next probe; what is due stays due
            return report
        district = store.get_setting(DISTRICT_HOLIDAYS_SETTING, []) or []
        signature = (id(library), tuple(district), tuple(outbox.PROVIDERS), tuple(outbox.WORKSPACE_PROVIDERS))
        sleep_cap = outbox.max_sleep()
        jobs: list[_Job] = []
        states: list[SchoolState] = []
        rev_sum = 0
        for sid in store.school_ids():
            report.schools += 1
            rev = store.revision(sid)
            rev_sum += rev
            entry = self.cache.get(sid)
            if not dry_run and entry and entry.revision == rev and entry.signature == signature and entry.computed_at <= now < entry.next_at:
                if entry.state is not None:
                    states.append(entry.state)
                continue
            report.computed += 1
            view = store.view(sid)
            state = SchoolState.read(view)
            if state is None:
                if not dry_run:
                    self.cache[sid] = _Entry(rev, signature, now, FAR, None)
                continue
            nudges.attach_district(state, district)
            states.append(state)
            try:
                outs = outbox.due(state, library, now)
            except Exception:  # noqa: BLE001 - one school's bad data must not stop the others
                log.exception("computing what is due for school %s failed", sid)
                continue
            ledger = view.all(LEDGER)
            next_at = FAR if sleep_cap is None else now + sleep_cap
            due_now = []
            for o in outs:
                entry_doc = ledger.get(o.key)
                if o.due_at > now:
                    next_at = min(next_at, o.due_at)
                    continue
                ready, retry_at = _claimable(entry_doc, now)
                if retry_at is not None:
                    next_at = min(next_at, retry_at)
                if ready:
                    due_now.append(o)
            if not dry_run:
                self.cache[sid] = _Entry(rev, signature, now, next_at, state)
            if due_now:
                try:
                    jobs.extend(self._claim(sid, state, due_now, now, dry_run, report))
                except Exception:  # noqa: BLE001 - nothing was claimed; the next sweep tries again
                    log.exception("claiming what is due for school %s failed", sid)
                    self.cache.pop(sid, None)
        # the workspace: digests to liaisons
        ws_sig = (rev_sum, report.schools, signature)
        ws = self.workspace
        if dry_run or ws is None or ws.signature != ws_sig or not (ws.computed_at <= now < ws.next_at):
            jobs.extend(self._workspace(client, states, now, dry_run, report, ws_sig))
        self._deliver(client, jobs, now, dry_run, report)
        report.seconds = time.perf_counter() - started
        for d in report.deliveries:
            if d.status in ("sent", "failed", "retry"):
                log.info("sweep %s: %s %s -> %s %s", iso(now), d.status, d.key, d.target, d.reason)
        return report

    # -- workspace-level messages
    def _workspace(self, client, states, now, dry_run, report, ws_sig) -> list[_Job]:
        store, library = self.services.store, self.services.library

        def people(uid: str):
            try:
                return self.directory.get(client, uid)
            except Exception:  # noqa: BLE001
                return None

        try:
            outs = outbox.workspace_due(states, library, now, people)
        except Exception:  # noqa: BLE001
            log.exception("computing workspace messages failed")
            return []
        ledger = store.view(WORKSPACE).all(LEDGER)
        next_at = now + WORKSPACE_RECHECK
        due_now = []
        for o in outs:
            if o.due_at > now:
                next_at = min(next_at, o.due_at)
                continue
            ready, retry_at = _claimable(ledger.get(o.key), now)
            if retry_at is not None:
                next_at = min(next_at, retry_at)
            if ready:
                due_now.append(o)
        jobs = self._claim(WORKSPACE, None, due_now, now, dry_run, report) if due_now else []
        if jobs:
            next_at = min(next_at, now + timedelta(minutes=1))
        if not dry_run:
            self.workspace = _Entry(0, ws_sig, now, next_at, None)
        return jobs

    # -- claiming
    def _claim(self, sid: str, state: SchoolState | None, due_now: list[Outgoing], now: datetime, dry_run: bool, report: SweepReport) -> list[_Job]:
        name = state.school.name if state else ""
        tz = state.school.tz if state else "UTC"
        store = self.services.store
        decisions: list[tuple[Outgoing, str, str]] = []  # (outgoing, status, reason)

        def decide(ledger: dict[str, dict[str, Any]]) -> None:
            decisions.clear()
            fresh = []
            for o in due_now:
                ready, _ = _claimable(ledger.get(o.key), now)
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

        jobs: list[_Job] = []
        if dry_run:
            decide(store.view(sid).all(LEDGER))
            for o, status, reason in decisions:
                if status == "send":
                    jobs.append(_Job(sid, state, o, "", 0, []))
                else:
                    report.deliveries.append(Delivery(o.key, name, o.kind, _target(o), o.due_at, tz=tz, status="skipped", reason=reason))
            return jobs
        token = uuid.uuid4().hex
        with self._tx(sid) as tx:
            ledger = tx.all(LEDGER)
            decide(ledger)
            for o, status, reason in decisions:
                base = {"due_at": iso(o.due_at), "kind": o.kind, "target": _target(o), "at": iso(now)}
                if status == "send":
                    prev = ledger.get(o.key) or {}
                    attempts = int(prev.get("attempts", 0))
                    tx.put(LEDGER, o.key, {**base, "state": "claimed", "claim": token, "attempts": attempts, "sent_to": prev.get("sent_to", [])})
                    jobs.append(_Job(sid, state, o, token, attempts, list(prev.get("sent_to", []))))
                else:
                    tx.put(LEDGER, o.key, {**base, "state": "skipped", "reason": reason})
                    report.deliveries.append(Delivery(o.key, name, o.kind, _target(o), o.due_at, tz=tz, status="skipped", reason=reason))
        return jobs

    # -- posting
    def _deliver(self, client, jobs: list[_Job], now: datetime, dry_run: bool, report: SweepReport) -> None:
        """Render, group, pace and post. Nudges for one channel (and overdue escalations for one
        person) due in the same sweep go out as one message; each keeps its own ledger entry."""
        jobs = sorted(jobs, key=lambda j: (j.out.due_at, j.out.key))
        live: list[_Job] = []
        for job in jobs:
            try:
                job.rendered = job.out.render(now)
            except Exception as exc:  # noqa: BLE001
                log.exception("rendering %s failed", job.out.key)
                if not dry_run:
                    job.error = ("failed", f"could not render: {exc!r}", None)
                    self._record(job.school_id, [job], now, report)
                continue
            if dry_run:
                o = job.out
                report.deliveries.append(Delivery(o.key, job.state.school.name if job.state else "", o.kind, _target(o), o.due_at,
                                                  tz=job.state.school.tz if job.state else "UTC", status="would send", text=job.rendered[0]))
                continue
            job.left = self._left_users(client, *job.rendered)
            if job.left:
                job.rendered = _unmention(*job.rendered, job.left)
            live.append(job)
        if dry_run:
            return
        groups: dict[tuple, _Message] = {}
        for job in live:
            o = job.out
            if o.channel:
                gkey = ("channel", o.channel) if o.kind in BATCHED else ("one", o.key)
                groups.setdefault(gkey, _Message(o.channel, [], o.kind in BATCHED)).jobs.append(job)
                continue
            for uid in o.dm_users:
                if uid in job.sent_to:
                    continue
                person = self._person(client, uid)
                if person is not None and person.get("deleted"):
                    job.sent_to.append(uid)  # a DM to someone who left: nobody to tell
                    continue
                gkey = ("dm", uid) if o.kind in BATCHED else ("one", o.key, uid)
                groups.setdefault(gkey, _Message(uid, [], o.kind in BATCHED)).jobs.append(job)
        # round-robin over targets so one busy channel's pacing never holds up the others
        queues: dict[str, list[_Message]] = defaultdict(list)
        for msg in groups.values():
            queues[msg.target].append(msg)
        order: list[_Message] = []
        while queues:
            for target in list(queues):
                order.append(queues[target].pop(0))
                if not queues[target]:
                    del queues[target]
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
            if halted:
                for job in msg.jobs:
                    if job.error is None:
                        job.error = ("release", halted, now)
            else:
                halted = self._post(client, msg, now)
            done = []
            for job in msg.jobs:
                remaining[id(job)] -= 1
                if remaining[id(job)] == 0:
                    done.append(job)
            self._finish(client, done, now, report)

    def _finish(self, client, jobs: list[_Job], now: datetime, report: SweepReport) -> None:
        """Record what happened to jobs whose every message has been tried (one transaction per
        school), then the follow-ups: people who left, a channel that works again."""
        by_school: dict[str, list[_Job]] = defaultdict(list)
        for job in jobs:
            by_school[job.school_id].append(job)
        for sid, group in by_school.items():
            self._record(sid, group, now, report)
        for job in jobs:
            if job.error is not None:
                continue
            if job.left and job.state is not None:
                self._tell_about_left(client, job, job.left, now)
            if job.out.channel and job.state is not None and job.state.school.extra.get("delivery_problem"):
                self._clear_problem(job, now)

    def _post(self, client, msg: _Message, now: datetime) -> str | None:
        """Post one message; note the outcome on its jobs. Returns a reason to stop posting in
        this sweep (Slack keeps rate limiting), else None."""
        pending = [j for j in msg.jobs if j.error is None]
        if not pending:
            return None
        for text, blocks, members in _compose(msg, pending):
            self.pacer.wait(msg.target)
            extra = {"metadata": members[0].out.slack_metadata} if len(members) == 1 and members[0].out.slack_metadata else {}
            try:
                res = client.chat_postMessage(channel=msg.target, text=text[:39000], blocks=blocks, unfurl_links=False, unfurl_media=False, **extra)
            except Exception as exc:  # noqa: BLE001 - classified below
                err, status, retry_after = _slack_error(exc)
                if err in AUTH_ERRORS:  # the token is refused: nothing is lost, everything waits for it
                    for j in members:
                        j.error = ("release", f"Slack refused the bot token ({err})", now)
                    return f"Slack refused the bot token ({err})"
                if status == 429 or err == "ratelimited":
                    wait = timedelta(seconds=max(1, retry_after or 60))
                    for j in members:
                        j.error = ("retry", f"rate limited by Slack (Retry-After {int(wait.total_seconds())}s)", now + wait)
                    return "rate limited by Slack"
                is_channel = not msg.target.startswith(("U", "W"))
                if is_channel and err in CHANNEL_PROBLEMS:
                    for j in members:
                        j.error = ("failed", err, None)
                    problem_job = next((j for j in members if j.state is not None), None)
                    if problem_job is not None:
                        self._channel_problem(client, problem_job, err, now)
                    continue
                if not is_channel and err in GONE_USERS:
                    for j in members:
                        j.sent_to.append(msg.target)  # nobody to tell there
                    continue
                if err is not None and status is not None and status < 500 and err not in ("internal_error", "fatal_error", "service_unavailable", "request_timeout"):
                    for j in members:
                        j.error = ("failed", err, None)
                    continue
                for j in members:
                    j.error = ("retry", err or f"{type(exc).__name__}: {exc}"[:200], None)
                continue
            for j in members:
                j.ts[msg.target] = res.get("ts", "")
                if msg.target not in j.sent_to:
                    j.sent_to.append(msg.target)
        return None

    def _record(self, sid: str, jobs: list[_Job], now: datetime, report: SweepReport) -> None:
        """Write the outcome of ``jobs`` (all of school ``sid``) in one transaction."""
        lines: list[Delivery] = []
        with self._tx(sid) as tx:
            for job in jobs:
                o = job.out
                doc = tx.get(LEDGER, o.key) or {}
                if doc.get("claim") != job.claim:
                    log.warning("ledger entry %s was taken over by another sweep; not recording it", o.key)
                    continue
                outcome, reason, retry_at = job.error or ("sent", "", None)
                ts = ",".join(job.ts.values())
                base = {"due_at": iso(o.due_at), "kind": o.kind, "target": _target(o), "sent_to": job.sent_to}
                attempts = job.attempts + (1 if outcome in ("retry", "failed") else 0)
                if outcome == "sent":
                    tx.put(LEDGER, o.key, {**base, "state": "sent", "at": iso(now), "ts": ts, "channel": o.channel or "", "attempts": attempts})
                    if o.on_sent is not None:
                        o.on_sent(tx, ts)
                elif outcome in ("retry", "release"):
                    if outcome == "retry" and retry_at is None:
                        retry_at = now + min(RETRY_MAX, timedelta(minutes=2 ** max(0, min(attempts - 1, 5))))
                    retry_at = retry_at or now
                    tx.put(LEDGER, o.key, {**base, "state": "retry", "at": iso(now), "retry_at": iso(retry_at), "reason": reason, "attempts": attempts})
                    self._wake(sid, retry_at)
                else:
                    tx.put(LEDGER, o.key, {**base, "state": "failed", "at": iso(now), "reason": reason, "attempts": attempts})
                name = job.state.school.name if job.state else ""
                tz = job.state.school.tz if job.state else "UTC"
                status = "retry" if outcome == "release" else outcome
                lines.append(Delivery(o.key, name, o.kind, _target(o), o.due_at, tz=tz, status=status,
                                      text=job.rendered[0] if job.rendered and outcome == "sent" else "", ts=ts, reason=reason))
        report.deliveries.extend(lines)

    def _wake(self, sid: str, at: datetime) -> None:
        """Make sure the school (or the workspace) is looked at again by ``at`` (a retry)."""
        entry = self.workspace if sid == WORKSPACE else self.cache.get(sid)
        if entry is not None and at < entry.next_at:
            entry.next_at = at

    # -- people
    def _person(self, client, uid: str) -> dict[str, Any] | None:
        try:
            return self.directory.get(client, uid)
        except Exception:  # noqa: BLE001
            return None

    def _left_users(self, client, text: str, blocks) -> list[dict[str, Any]]:
        ids = set(_MENTION.findall(text)) | set(_MENTION.findall(_flatten(blocks)))
        out = []
        for uid in sorted(ids):
            person = self._person(client, uid)
            if person is not None and person.get("deleted"):
                out.append(person)
        return out

    def _tell_about_left(self, client, job: _Job, left: list[dict[str, Any]], now: datetime) -> None:
        school = job.state.school
        for person in left:
            uid = person["id"]
            roles = [r for r, people in school.roles.items() if uid in (people or [])]
            key = f"{school.school_id}|left|{uid}"
            who = [u for u in school.roles.get("liaison") or [] if u != uid] or [u for u in school.roles.get("district") or [] if u != uid]
            text = (f":wave: {esc(person.get('name') or uid)} ({', '.join(roles) or 'mentioned'} of *{esc(school.name)}*) has left the workspace: "
                    f"I post the school's nudges without mentioning them. Give the role to someone else with `/scep roles {roles[0] if roles else 'team'}:@name`.")
            self._notice(client, school.school_id, key, who, text, now)

    # -- channel problems
    def _channel_problem(self, client, job: _Job, err: str, now: datetime) -> None:
        school = job.state.school if job.state else None
        if school is None:
            return
        since = dates.fmt_local(now, school.tz, with_time=False)
        problem = f"{err}: I can't post nudges in the school's channel (since {since}). Invite @scep-bot to the channel, or link the school to another channel with /scep setup."
        first = False
        with self._tx(school.school_id) as tx:
            doc = tx.get(*PROFILE)
            if doc is None:
                return
            current = School.from_doc(doc)
            old = current.extra.get("delivery_problem") or ""
            if not old.startswith(err + ":"):
                current.extra["delivery_problem"] = problem
                current.extra["delivery_problem_since"] = iso(now)
                tx.put(*PROFILE, current.to_doc())
                first = True
            since_iso = current.extra.get("delivery_problem_since", iso(now))
        if first:
            log.warning("school %s: %s", school.school_id, problem)
        key = f"{school.school_id}|delivery-problem|{school.channel_id}|{err}|{since_iso}"
        text = (f":warning: I couldn't post a nudge for *{esc(school.name)}* in <#{school.channel_id}> ({err}). "
                "Invite me to the channel (`/invite @scep-bot`), or link the school to another channel with `/scep setup` there. "
                "Until then its nudges are not delivered; `/scep schools` shows the problem.")
        self._notice(client, school.school_id, key, school.roles.get("liaison") or school.roles.get("district") or [], text, now)

    def _clear_problem(self, job: _Job, now: datetime) -> None:
        with self._tx(job.school_id) as tx:
            doc = tx.get(*PROFILE)
            if doc is None:
                return
            current = School.from_doc(doc)
            if current.extra.pop("delivery_problem", None) is not None:
                current.extra.pop("delivery_problem_since", None)
                tx.put(*PROFILE, current.to_doc())

    def _notice(self, client, sid: str, key: str, users: list[str], text: str, now: datetime) -> None:
        """A DM to ``users``, once per ``key`` (claimed in the school's ledger like a nudge)."""
        if not users:
            log.warning("nobody to tell (%s): %s", key, text)
            return
        with self._tx(sid) as tx:
            if tx.get(LEDGER, key) is not None:
                return
            tx.put(LEDGER, key, {"state": "claimed", "at": iso(now), "kind": "notice", "target": ",".join(users)})
        sent, errors = [], []
        for uid in users:
            try:
                self.pacer.wait(uid)
                res = client.chat_postMessage(channel=uid, text=text)
                sent.append(res.get("ts", ""))
            except Exception as exc:  # noqa: BLE001
                errors.append(_slack_error(exc)[0] or repr(exc))
        with self._tx(sid) as tx:
            tx.put(LEDGER, key, {"state": "sent" if sent else "failed", "at": iso(now), "kind": "notice", "target": ",".join(users), "ts": ",".join(sent), "reason": ", ".join(errors)})


# ---------------------------------------------------------------- helpers


def _claimable(doc: dict[str, Any] | None, now: datetime) -> tuple[bool, datetime | None]:
    """(may this key be claimed now, when it may be retried if later)."""
    if doc is None:
        return True, None
    if doc.get("state") == "retry":
        at = dates.parse_instant(doc["retry_at"]) if doc.get("retry_at") else now
        return (at <= now), (at if at > now else None)
    return False, None


def _compose(msg: _Message, jobs: list[_Job]):
    """(text, blocks, jobs) per Slack message: a single job as rendered; a batch as one message
    listing each nudge: the first ``FULL_ITEMS`` with their buttons, the others as lines (a
    district admin with a hundred overdue items gets one DM, not a hundred). Only a batch too big
    for Slack's 50 blocks is split into several messages."""
    if not msg.batch or len(jobs) == 1:
        for j in jobs:
            yield j.rendered[0], j.rendered[1], [j]
        return
    rest = list(jobs)
    while rest:
        full: list[_Job] = []
        blocks: list[dict[str, Any]] = [{}]  # the heading, filled in below
        while rest and len(full) < FULL_ITEMS and len(blocks) + len(rest[0].rendered[1]) + 1 <= MAX_BATCH_BLOCKS - 2:
            j = rest.pop(0)
            if full:
                blocks.append({"type": "divider"})
            blocks.extend(j.rendered[1])
            full.append(j)
        brief: list[_Job] = []
        lines: list[str] = []
        while rest and len(blocks) < MAX_BATCH_BLOCKS - 1:
            j = rest[0]
            line = "• " + _headline(j)
            if lines and sum(len(x) + 1 for x in lines) + len(line) > 2900:
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
                lines = []
                continue
            lines.append(line[:2900])
            brief.append(rest.pop(0))
        if lines:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
        members = full + brief
        dm = members[0].out.kind == "escalation"
        head = f"{len(members)} things overdue in your schools" if dm else f"{len(members)} reminders"
        if brief:
            head += f" (buttons on the first {len(full)}; the others: `/scep next` in each school's channel)"
        blocks[0] = {"type": "section", "text": {"type": "mrkdwn", "text": f"*{head}*"}}
        text = head + ":\n" + "\n".join("• " + j.rendered[0] for j in members)
        yield text[:39000], blocks, members


def _headline(job: _Job) -> str:
    """The first section's text of a rendered nudge (its sentence)."""
    for b in job.rendered[1]:
        if b.get("type") == "section" and isinstance(b.get("text"), dict):
            return b["text"]["text"]
    return esc(job.rendered[0])


def _target(o: Outgoing) -> str:
    return o.channel or ",".join(o.dm_users)


def _slack_error(exc: Exception) -> tuple[str | None, int | None, int | None]:
    """(Slack error code, HTTP status, Retry-After seconds) of an exception from the Web API."""
    resp = getattr(exc, "response", None)
    if resp is None:
        return None, None, None
    err = None
    try:
        err = resp.get("error")
    except Exception:  # noqa: BLE001
        pass
    status = getattr(resp, "status_code", None)
    retry_after = None
    headers = getattr(resp, "headers", None) or {}
    for k, v in headers.items():
        if k.lower() == "retry-after":
            try:
                retry_after = int(v[0] if isinstance(v, list) else v)
            except (TypeError, ValueError):
                retry_after = None
    return err, status, retry_after


def _flatten(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(_flatten(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_flatten(v) for v in value)
    return ""


def _unmention(text: str, blocks, left: list[dict[str, Any]]):
    names = {p["id"]: p.get("name") or p["id"] for p in left}

    def sub(s: str) -> str:
        return _MENTION.sub(lambda m: f"@{esc(names[m.group(1)])} (left the workspace)" if m.group(1) in names else m.group(0), s)

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return sub(v)
        if isinstance(v, dict):
            return {k: (walk(x) if k not in ("action_id", "value", "block_id") else x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return sub(text), walk(blocks)


# ---------------------------------------------------------------- entry points


def sweeper_for(services) -> Sweeper:
    sw = services.extras.get("sweeper")
    if sw is None:
        sw = services.extras["sweeper"] = Sweeper(services)
    return sw


def sweep(services, client, now: datetime, dry_run: bool = False) -> SweepReport:
    """One sweep over every school as of ``now`` (a UTC instant). With ``dry_run`` nothing is
    claimed, recorded or posted: the report says what would be sent."""
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
        except Exception:  # noqa: BLE001 - the next minute tries again
            log.exception("the sweep failed")

    scheduler = BackgroundScheduler(timezone=dates.UTC)
    scheduler.add_job(job, CronTrigger(second=0, timezone=dates.UTC), id="sweep", name="sweep", coalesce=True, max_instances=1,
                      misfire_grace_time=None, replace_existing=True)
    scheduler.start()
    return scheduler
