"""TinyDB and PostgreSQL side by side, in one run, on the same data (issue 12).

Starts its own PostgreSQL (tests/postgres.py's ``PostgresServer``, on a Unix socket in /tmp; as
the ``postgres`` user under root), with PostgreSQL's default durability unless ``--no-durability`` (the tests turn
``fsync``, ``synchronous_commit`` and ``full_page_writes`` off), migrates a fresh
database, and fills both stores through the port with the same schools: each bound to a channel,
with a profile, a notes prompt and ``--notes`` notes (``--schools`` x ``--notes`` notes in all).
Then, for each backend, reopened (nothing cached):

1. note capture, ``bot.notes.capture`` of a thread reply (the thread's school found, one school
   transaction: what a ``message`` event does to the store), a school's first write after start
   ("cold") and later ones ("warm");
2. a ``view`` + ``SchoolState.read`` of a random school (the reads every command starts with);
3. ``/scep next`` as a signed slash command dispatched into the real Bolt app
   (``process_before_response``: the listener runs inside the dispatch, so Bolt's 10 ms ack poll
   does not hide the store), first read of a school after start and warm.

Prints p50/p99/max in milliseconds. Not a test: run it by hand, e.g.

    .venv/bin/python benchmarks/store_backends.py [--schools 1000] [--notes 100] [--replies 2000] [--reads 2000]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from slack_bolt.request import BoltRequest  # noqa: E402

from benchmarks.notes_capture import NOW, STEP, TEXT, YEAR, channel_of, thread_of  # noqa: E402
from bot.core.schools import School, SchoolState, iso  # noqa: E402
from bot.notes.capture import apply_message, capture  # noqa: E402
from bot.notes.prompts import record_prompt  # noqa: E402
from bot.root.app import build_app
from bot.root.emulator import TEAM_ID, FakeSlack  # noqa: E402
from bot.root.services import build_services  # noqa: E402
from bot.root.settings import Settings
from bot.store.port import Store  # noqa: E402
from bot.store.postgres_migrations import migrate  # noqa: E402
from bot.store.postgres_store import PostgresStore  # noqa: E402
from bot.store.schema import PROFILE  # noqa: E402
from bot.store.tinydb_store import TinyStore  # noqa: E402
from tests.harness import SECRET, signed_headers  # noqa: E402
from tests.postgres import PostgresServer, find_bin_dir  # noqa: E402

CYCLES = ["nysed-tsi-visits", "nysed-planning-sessions"]


def pct(values: list[float]) -> str:
    v = sorted(values)
    q = lambda p: v[min(len(v) - 1, int(p * len(v)))]  # noqa: E731
    return f"n={len(v):>5}  p50 {q(0.50):6.2f}  p99 {q(0.99):6.2f}  max {v[-1]:7.2f} ms"


def fill(store: Store, schools: int, per_school: int) -> float:
    """The same schools and notes in any store, through the port; seconds taken."""
    started = time.perf_counter()
    for i in range(schools):
        sid, ch = f"s{i:012d}", channel_of(i)
        with store.transaction(sid) as tx:
            school = School(school_id=sid, name=f"School {i}", team_id=TEAM_ID, channel_id=ch, cycles=CYCLES,
                            commitments=["Every student reads daily", "Family partnership", "Data-driven instruction"],
                            created_at=iso(NOW), created_by="U0ADMIN01", roles={"liaison": ["U0LIAIS01"]})
            tx.put(*PROFILE, school.to_doc())
            record_prompt(tx, ch, thread_of(i), STEP, YEAR, "SCEP Support Visit 1", school.commitments, "bot", NOW, "auto")
            for j in range(per_school):
                msg = {"channel": ch, "ts": f"{1635950100 + j}.{i:06d}", "thread_ts": thread_of(i), "user": f"U{j % 7:08d}", "text": TEXT}
                apply_message(tx, school.name, msg, step=STEP, year=YEAR, prompt_key=f"{ch}:{thread_of(i)}",
                                     commitments=school.commitments, now=NOW, permalink="https://demo.slack.com/archives/x",
                                     author_name="Tia Teacher", source="thread", event_id=None)
            tx.bind(name=f"School {i}", team_id=TEAM_ID, channel_id=ch)
    return time.perf_counter() - started


def bench_capture(store: Store, schools: int, replies: int) -> tuple[list[float], list[float]]:
    """Note capture times (ms): (cold: a school's first write since the store opened, warm)."""
    rng = random.Random(7)
    run = random.SystemRandom().randrange(1, 999_999)
    cold, warm, touched = [], [], set()
    for k in range(replies):
        i = rng.randrange(schools)
        msg = {"channel": channel_of(i), "ts": f"{1636000000 + k}.{run:06d}", "thread_ts": thread_of(i), "user": "U0TEACH01", "text": TEXT}
        t = time.perf_counter()
        out = capture(store, TEAM_ID, msg, NOW, base_url="https://demo.slack.com/")
        dt = (time.perf_counter() - t) * 1000
        assert out.action == "saved", out
        (warm if i in touched else cold).append(dt)
        touched.add(i)
    return cold, warm


def bench_view(store: Store, schools: int, reads: int) -> list[float]:
    rng = random.Random(3)
    times = []
    for _ in range(reads):
        sid = f"s{rng.randrange(schools):012d}"
        t = time.perf_counter()
        state = SchoolState.read(store.view(sid))
        times.append((time.perf_counter() - t) * 1000)
        assert state is not None
    return times


def bench_next(settings: Settings, schools: int, reads: int) -> tuple[list[float], list[float]]:
    """/scep next through the Bolt app on a freshly opened store: (first read of a school, warm)."""
    fake = FakeSlack().start()
    settings.api_url = fake.url
    services = build_services(settings, clock=lambda: NOW)
    app = build_app(services, token="xoxb-bench", signing_secret=SECRET, process_before_response=True, background=False)
    rng = random.Random(5)
    first, warm, seen = [], [], set()
    try:
        for _ in range(reads):
            i = rng.randrange(schools)
            body = urlencode({"team_id": TEAM_ID, "channel_id": channel_of(i), "user_id": "U0ADMIN01", "command": "/scep", "text": "next",
                              "response_url": fake.response_url("b"), "trigger_id": "1.t"})
            t = time.perf_counter()
            resp = app.dispatch(BoltRequest(body=body, headers=signed_headers(body)))
            dt = (time.perf_counter() - t) * 1000
            assert resp.status == 200 and "Next for" in resp.body, resp.body[:300]
            (warm if i in seen else first).append(dt)
            seen.add(i)
    finally:
        services.store.close()
        fake.stop()
    return first, warm


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--schools", type=int, default=1000)
    p.add_argument("--notes", type=int, default=100, help="notes per school")
    p.add_argument("--replies", type=int, default=2000, help="note captures measured per backend")
    p.add_argument("--reads", type=int, default=2000, help="views and /scep next measured per backend")
    p.add_argument("--no-durability", action="store_true", help="leave PostgreSQL's fsync off (as in the tests)")
    a = p.parse_args()
    bin_dir = find_bin_dir()
    if bin_dir is None:
        sys.exit("PostgreSQL's binaries (initdb, postgres) are not installed: apt-get install postgresql")
    server = PostgresServer(bin_dir, durable=not a.no_durability)
    server.start()
    tmp = Path(tempfile.mkdtemp(prefix="scep-bench-backends-"))
    try:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench TEMPLATE template0 ENCODING 'UTF8'")
        url = server.url("bench")
        migrate(url)
        tiny_dir = tmp / "tiny"
        backends = {
            "tinydb": (lambda: TinyStore(tiny_dir), Settings(bot_token="xoxb-bench", signing_secret=SECRET, data_dir=tiny_dir)),
            "postgres": (lambda: PostgresStore(url), Settings(bot_token="xoxb-bench", signing_secret=SECRET, data_dir=tmp / "pg-dir", database_url=url)),
        }
        total = a.schools * a.notes
        print(f"{a.schools:,} schools x {a.notes} notes = {total:,} notes per backend; PostgreSQL {bin_dir.parent.name} on a Unix socket, "
              f"durability {'OFF' if a.no_durability else 'on (fsync, synchronous_commit)'}; TinyDB in {tmp} (fsync per write)")
        results: dict[str, dict[str, list[float]]] = {}
        for name, (open_store, settings) in backends.items():
            store = open_store()
            print(f"{name}: filled in {fill(store, a.schools, a.notes):.1f} s", flush=True)
            store.close()
            r = results[name] = {}
            store = open_store()  # reopened: nothing cached
            r["note capture, cold school"], r["note capture, warm school"] = bench_capture(store, a.schools, a.replies)
            r["view + SchoolState.read"] = bench_view(store, a.schools, a.reads)
            if isinstance(store, PostgresStore):
                print(f"postgres: cache after the runs: {len(store.cache):,} schools, {store.cache.documents:,} documents "
                      f"(bound: {store.cache.max_documents:,})")
            store.close()
            r["/scep next, first read of a school"], r["/scep next, warm"] = bench_next(settings, a.schools, a.reads)
        print()
        for what in results["tinydb"]:
            for name in results:
                print(f"  {what:38s} {name:8s} {pct(results[name][what])}")
        print(f"peak RSS of this process (both backends) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
