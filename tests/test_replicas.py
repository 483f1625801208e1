"""Several `scep-bot serve` replicas on one PostgreSQL database, as a hosted service runs them.

Real processes, a real database (tests/postgres.py), the fake Slack Web API (bot/root/emulator.py).
The replicas sweep the same busy minute at once (each through its admin endpoint, at the same
instant): every message goes out once (0 lost, 0 doubled), and posts to one target keep Slack's
pace across replicas. One replica killed with SIGKILL in the middle: after the claim lease, a
sweep sends what it had claimed; at most the one message it was posting goes out twice (the
guarantee is at least once: schedules/sweep/ledger.py). One stopped with SIGTERM releases its
claims and exits: the others send the rest at once, exactly once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from bot.calendar import dates
from bot.root.admin import call
from bot.root.emulator import TEAM_ID
from bot.store.postgres_migrations import migrate
from bot.store.postgres_store import PostgresStore
from bot.store.schema import LEDGER, PROFILE
from schedules.sweep.ledger import CLAIM_LEASE
from tests.harness import SECRET
from tests.test_running import ROOT, env_for, free_port, scep_bot

AT = "2021-12-01T14:00:00+00:00"  # Wed Dec 1 2021 09:00 in New York: visit 1 overdue, the monthly digest due
QUIET = "2021-11-30T21:00:00Z"  # what the replicas' own clocks say (nothing due)
SCHOOLS = 24
LIAISONS = 3
CYCLES = ["nysed-tsi-visits", "nysed-planning-sessions"]


def seed(url: str) -> None:
    store = PostgresStore(url, pool_size=2)
    try:
        for n in range(SCHOOLS):
            sid, channel = f"s{n:06d}", f"C{n:07d}"
            with store.transaction(sid) as tx:
                tx.put(*PROFILE, {
                    "school_id": sid, "name": f"School {n:03d}", "team_id": TEAM_ID, "channel_id": channel, "model": "TSI",
                    "cycles": CYCLES, "tz": "America/New_York", "min_year": "2021-22",
                    "roles": {"liaison": [f"UL{n % LIAISONS:07d}"], "principal": [f"UP{n:07d}"]},
                    "commitments": [], "holidays": [], "created_at": "2021-11-30T20:00:00+00:00", "created_by": "U0ADMIN01",
                })
                tx.bind(name=f"School {n:03d}", team_id=TEAM_ID, channel_id=channel)
    finally:
        store.close()


def ledger(url: str) -> dict[str, dict]:
    """Every ledger entry of every school (and the workspace), by key."""
    store = PostgresStore(url, pool_size=2)
    try:
        out: dict[str, dict] = {}
        for sid in [*store.school_ids(), "workspace"]:
            out.update(store.view(sid).all(LEDGER))
        return out
    finally:
        store.close()


class Replica:
    def __init__(self, tmp: Path, n: int, url: str, fake) -> None:
        self.data = tmp / f"replica{n}"
        self.port = free_port()
        env = env_for(tmp, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url,
                      SCEP_DATABASE_URL=url, SCEP_DATABASE_POOL_SIZE="4", SCEP_DATA_DIR=str(self.data))
        self.log = open(tmp / f"replica{n}.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([*scep_bot(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--now", QUIET],
                                     env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        self.report: dict | None = None
        self.error: Exception | None = None

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as r:
                    if r.status == 200 and (self.data / "admin.json").exists():
                        return
            except OSError:
                assert self.proc.poll() is None, Path(self.log.name).read_text()
            time.sleep(0.05)
        raise AssertionError(Path(self.log.name).read_text())

    def sweep(self, at: str, dry_run: bool = False) -> dict:
        return call(self.data, "/sweep", {"at": at, "dry_run": dry_run}, timeout=120)

    def sweep_in_background(self, at: str) -> threading.Thread:
        def run() -> None:
            try:
                self.report = self.sweep(at)
            except Exception as exc:  # noqa: BLE001 - the killed replica's request fails
                self.error = exc

        t = threading.Thread(target=run)
        t.start()
        return t

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def world(tmp_path, postgres_db, fake):
    migrate(postgres_db)
    seed(postgres_db)
    for n in range(LIAISONS):
        fake.add_user(f"UL{n:07d}", f"liaison{n}")
    for n in range(SCHOOLS):
        fake.add_user(f"UP{n:07d}", f"principal{n}")
    replicas = [Replica(tmp_path, n, postgres_db, fake) for n in range(3)]
    try:
        for r in replicas:
            r.wait_ready()
        yield postgres_db, fake, replicas
    finally:
        for r in replicas:
            r.stop()


def expected_sends(replica: Replica) -> set[str]:
    dry = replica.sweep(AT, dry_run=True)
    keys = {d["key"] for d in dry["deliveries"] if d["status"] == "would send"}
    assert len(keys) >= SCHOOLS  # a nudge per school at least, plus digests and escalations
    return keys


def posts(fake) -> list:
    return [c for c in fake.of("chat.postMessage") if c.response and c.response.get("ok")]


def check_exactly_once(url: str, fake, keys: set[str], allowed_orphans: int = 0) -> int:
    """Every key sent (none left claimed or to retry); every post's ts recorded in the ledger,
    except at most ``allowed_orphans`` (posts whose outcome a killed replica never recorded:
    their messages went out twice). Returns how many orphans there were."""
    entries = ledger(url)
    assert {k for k in keys if entries.get(k, {}).get("state") != "sent"} == set(), "lost"
    assert [k for k, e in entries.items() if e.get("state") in ("claimed", "retry")] == []
    recorded = {ts for e in entries.values() if e.get("state") == "sent" for ts in (e.get("ts") or "").split(",") if ts}
    posted = [c.response["ts"] for c in posts(fake)]
    assert len(posted) == len(set(posted))
    orphans = [ts for ts in posted if ts not in recorded]
    assert len(orphans) <= allowed_orphans, f"doubled: {orphans}"
    assert recorded <= set(posted)
    return len(orphans)


def test_three_replicas_sweeping_the_same_minute_send_everything_once_at_slacks_pace(world):
    url, fake, replicas = world
    keys = expected_sends(replicas[0])
    fake.clear()
    threads = [r.sweep_in_background(AT) for r in replicas]
    for t in threads:
        t.join(120)
    assert [r.error for r in replicas] == [None, None, None]
    sent_by = [{d["key"] for d in r.report["deliveries"] if d["status"] == "sent"} for r in replicas]
    assert set().union(*sent_by) == keys  # 0 lost
    assert sum(len(s) for s in sent_by) == len(keys)  # 0 doubled: each key sent by one replica
    check_exactly_once(url, fake, keys)
    # Slack's pace (one post a second per target) held across replicas: a liaison's DMs come
    # from every replica that claimed one of their schools
    by_target: dict[str, list[float]] = {}
    for c in posts(fake):
        by_target.setdefault(c.args["channel"], []).append(c.at)
    gaps = [b - a for times in by_target.values() for a, b in zip(sorted(times), sorted(times)[1:])]
    assert gaps and min(gaps) >= 0.9, sorted(gaps)[:5]
    # the next minute, nothing more from anyone
    again = [r.sweep((dates.parse_instant(AT) + timedelta(minutes=1)).isoformat()) for r in replicas]
    assert [d for r in again for d in r["deliveries"] if d["status"] == "sent"] == []


def test_a_replica_killed_mid_sweep_loses_nothing_and_doubles_at_most_its_one_message_in_flight(world):
    url, fake, replicas = world
    keys = expected_sends(replicas[0])
    fake.clear()
    fake.fail_next("chat.postMessage", delay=0.15, times=100_000)  # Slack answers in 150 ms: sweeps take seconds
    # replica 0 starts first and is killed once it is posting, the others sweeping beside it: a
    # kill at a fixed instant could land after replica 0 had finished its share
    threads = [replicas[0].sweep_in_background(AT)]
    deadline = time.monotonic() + 60
    while len(posts(fake)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    threads += [r.sweep_in_background(AT) for r in replicas[1:]]
    time.sleep(0.3)
    assert threads[0].is_alive(), "replica 0 finished before it was killed: the test would prove nothing"
    replicas[0].proc.send_signal(signal.SIGKILL)
    for t in threads:
        t.join(120)
    assert replicas[0].error is not None and replicas[1].error is None and replicas[2].error is None
    left = [k for k, e in ledger(url).items() if e.get("state") == "claimed"]
    assert left, "the killed replica had claims it never recorded"  # else the test did not test recovery
    # within the lease nobody takes them over
    soon = replicas[1].sweep((dates.parse_instant(AT) + timedelta(minutes=1)).isoformat())
    assert [d for d in soon["deliveries"] if d["status"] == "sent"] == []
    # after it, the next sweep sends them
    later = (dates.parse_instant(AT) + CLAIM_LEASE + timedelta(minutes=1)).isoformat()
    recovered = replicas[1].sweep(later)
    assert {d["key"] for d in recovered["deliveries"] if d["status"] == "sent"} == set(left)
    check_exactly_once(url, fake, keys, allowed_orphans=1)


def test_a_replica_stopped_with_sigterm_releases_its_claims_and_the_others_send_them_once(world):
    url, fake, replicas = world
    keys = expected_sends(replicas[0])
    fake.clear()
    fake.fail_next("chat.postMessage", delay=0.15, times=100_000)
    t = replicas[0].sweep_in_background(AT)
    time.sleep(1.5)
    replicas[0].proc.send_signal(signal.SIGTERM)
    assert replicas[0].proc.wait(timeout=30) == 0
    t.join(30)
    entries = ledger(url)
    assert [k for k, e in entries.items() if e.get("state") == "claimed"] == []  # released, not left for the lease
    released = [k for k, e in entries.items() if e.get("state") == "retry"]
    assert released
    assert "shutting down" in json.dumps([entries[k] for k in released])
    for r in replicas[1:]:  # the same minute: released claims may be taken at once
        r.sweep(AT)
    check_exactly_once(url, fake, keys)
