"""Benchmark: the sweep with nothing due at many schools in many workspaces, TinyDB and PostgreSQL
side by side in one run (issue 12, item 4), each backend in a process of its own (a replica).

    .venv/bin/python -m benchmarks.quiet_sweep [--schools 100000] [--workspaces 50] [--quiet 20] [--backends tinydb,postgres] [--realistic] [--restart]

``--realistic``: schools with a history (benchmarks/realistic.py) instead of bare profiles; their
first sweep then sends what fell due since the templates' instant (Nov 2), paced per channel.

Seeds the same schools in both stores (TinyDB: the data directory's own files; PostgreSQL: a
fresh database of a PostgreSQL started here, rows COPYed in as the store writes them), each
school bound to a channel of one of ``--workspaces`` workspaces, following all four cycles.
Then, per backend, in a fresh process, the many-workspaces sweep (``sweep_workspaces``, one
Sweeper per workspace, the Slack emulator's Web API on 127.0.0.1):

1. the first sweep: every school's next due instant unknown: each computed once and recorded
   (the workspaces' digests computed from every school's state);
2. ``--quiet`` sweeps one minute apart with nothing due: p50 / p95 / max (target <= 250 ms);
3. the process's peak RSS (memory per replica at this many schools).

Prints the figures; not a test.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.sweep import CREATED, CYCLES, QUIET, ZONES  # noqa: E402


def team_of(n: int, workspaces: int) -> str:
    return f"T{n % workspaces:08d}"


def profile(n: int, workspaces: int) -> dict:
    sid = f"s{n:012d}"
    return {"school_id": sid, "name": f"School {n:06d}", "team_id": team_of(n, workspaces), "channel_id": f"C{n:09d}",
            "model": "TSI", "cycles": CYCLES, "tz": ZONES[n % len(ZONES)], "min_year": "2021-22",
            "roles": {"liaison": [f"UL{n % 50:07d}"], "principal": [f"UP{n:07d}"]},
            "commitments": [], "holidays": [], "created_at": CREATED, "created_by": "UADMIN"}


def seed_tiny(data_dir: Path, schools: int, workspaces: int) -> None:
    (data_dir / "schools").mkdir(parents=True, exist_ok=True)
    index = {"schools": {}, "settings": {}}
    for n in range(schools):
        p = profile(n, workspaces)
        (data_dir / "schools" / f"{p['school_id']}.json").write_text(json.dumps({"school": {"1": {"_key": "profile", **p}}}))
        index["schools"][p["school_id"]] = {k: p[k] for k in ("school_id", "name", "team_id", "channel_id")}
    (data_dir / "index.json").write_text(json.dumps(index))


def seed_pg(url: str, schools: int, workspaces: int) -> None:
    import psycopg

    from bot.store.postgres_migrations import migrate

    migrate(url)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY schools (school_id, revision, name, team_id, channel_id) FROM STDIN") as cp:
            for n in range(schools):
                p = profile(n, workspaces)
                cp.write_row((p["school_id"], 1, p["name"], p["team_id"], p["channel_id"]))
        with cur.copy("COPY documents (school_id, kind, key, rev, doc) FROM STDIN") as cp:
            for n in range(schools):
                p = profile(n, workspaces)
                cp.write_row((p["school_id"], "school", "profile", 1, json.dumps(p)))
        conn.execute("ANALYZE")


class Teams:
    """Every workspace installed, all on the one emulator."""

    def __init__(self, client) -> None:
        self.client = client

    def for_team(self, team: str):
        return self.client


def replica(backend: str, where: str, quiet: int) -> None:
    """One replica's sweeps (run in a process of its own); prints one JSON line."""
    logging.disable(logging.INFO)
    from bot.root.emulator import FakeSlack
    from bot.root.services import build_services
    from bot.root.settings import Settings
    from handlers.slack_client import web_client
    from schedules.sweep.jobs import sweep

    fake = FakeSlack().start()
    tmp = Path(tempfile.mkdtemp(prefix="scep-quiet-"))
    settings = Settings(bot_token="xoxb-bench", api_url=fake.url, data_dir=Path(where) if backend == "tinydb" else tmp,
                        database_url=where if backend == "postgres" else None)
    services = build_services(settings)
    services.team_clients = Teams(web_client("xoxb-bench", fake.url))
    t = time.perf_counter()
    first = sweep(services, None, QUIET)
    first_s = time.perf_counter() - t
    second = sweep(services, None, QUIET + timedelta(minutes=1))
    times = []
    read = quiet_messages = 0
    for i in range(2, quiet + 2):
        r = sweep(services, None, QUIET + timedelta(minutes=i))
        times.append(r.seconds)
        read += r.schools
        quiet_messages += len(r.deliveries)
    times.sort()
    print(json.dumps({"first": first_s, "first_schools": first.schools, "first_messages": len(first.deliveries), "second": second.seconds,
                      "second_schools": second.schools, "quiet": times, "quiet_schools": read, "quiet_messages": quiet_messages,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    services.store.close()
    fake.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--schools", type=int, default=100_000)
    p.add_argument("--workspaces", type=int, default=50)
    p.add_argument("--quiet", type=int, default=20, help="sweeps with nothing due measured")
    p.add_argument("--backends", default="tinydb,postgres")
    p.add_argument("--restart", action="store_true", help="then a second replica process on the same store (does it compute again?)")
    p.add_argument("--realistic", action="store_true", help="schools with history (benchmarks/realistic.py) instead of bare profiles")
    p.add_argument("--replica", nargs=2, help=argparse.SUPPRESS)  # (backend, data dir or URL): run one replica
    a = p.parse_args(argv)
    if a.replica:
        replica(a.replica[0], a.replica[1], a.quiet)
        return 0
    import psycopg

    from tests.postgres import PostgresServer, find_bin_dir

    backends = a.backends.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="scep-quiet-"))
    server = None
    where = {}
    if a.realistic:
        from benchmarks.realistic import seed_tiny as seed_realistic

        t = time.perf_counter()
        print(f"realistic schools by kind: {seed_realistic(tmp / 'tiny', a.schools, a.workspaces)}")
        where["tinydb"] = str(tmp / "tiny")
        print(f"tinydb: seeded {a.schools:,} schools in {a.workspaces} workspaces in {time.perf_counter() - t:.1f}s", flush=True)
    elif "tinydb" in backends:
        t = time.perf_counter()
        seed_tiny(tmp / "tiny", a.schools, a.workspaces)
        where["tinydb"] = str(tmp / "tiny")
        print(f"tinydb: seeded {a.schools:,} schools in {a.workspaces} workspaces in {time.perf_counter() - t:.1f}s", flush=True)
    if "postgres" in backends:
        server = PostgresServer(find_bin_dir(), durable=True)
        server.start()
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench TEMPLATE template0 ENCODING 'UTF8'")
        where["postgres"] = server.url("bench")
        t = time.perf_counter()
        if a.realistic:
            from benchmarks.realistic import seed_pg as copy_realistic
            from bot.store.postgres_migrations import migrate

            migrate(where["postgres"])
            copy_realistic(where["postgres"], tmp / "tiny")
        else:
            seed_pg(where["postgres"], a.schools, a.workspaces)
        print(f"postgres: seeded {a.schools:,} schools in {a.workspaces} workspaces in {time.perf_counter() - t:.1f}s", flush=True)
    try:
        for name, again in ((n, k) for n in backends for k in range(2 if a.restart else 1)):
            out = subprocess.run([sys.executable, "-m", "benchmarks.quiet_sweep", "--quiet", str(a.quiet), "--replica", name, where[name]],
                                 cwd=ROOT, capture_output=True, text=True)
            if out.returncode != 0:
                print(f"{name}: FAILED\n{out.stderr[-3000:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            q = r["quiet"]
            ms = lambda s: f"{s * 1000:.1f} ms"  # noqa: E731
            label = f"{name} (a second replica process, started after the first)" if again else name
            print(f"{label:8s} first sweep of the process: {r['first']:.1f}s ({r['first_schools']:,} schools computed, {r['first_messages']} messages); "
                  f"next minute {ms(r['second'])} ({r['second_schools']} schools); load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
            print(f"{label:8s} {len(q)} quiet sweeps: p50 {ms(statistics.median(q))}, p95 {ms(q[int(0.95 * (len(q) - 1))])}, max {ms(q[-1])} "
                  f"({r['quiet_schools']} schools read, {r['quiet_messages']} messages in all); peak RSS {r['rss_mb']:.0f} MB", flush=True)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
