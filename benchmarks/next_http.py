"""Benchmark: `/scep next` through the whole HTTP stack of a running `scep-bot serve`, TinyDB and
PostgreSQL side by side in one run, on the same realistic schools (issue 12, Benchmarks).

    .venv/bin/python -m benchmarks.next_http [--schools 20000] [--requests 2000] [--backends tinydb,postgres] [--watch 0]

Seeds ``--schools`` schools (benchmarks/realistic.py: copies of schools made through the real app,
with roles, commitments, steps done and scheduled, notes; TinyDB files written directly, the same
rows COPYed into a PostgreSQL started here with its default durability, then read back through
both ports and compared). Then, per backend, a fresh ``scep-bot serve`` process (waitress, the
Bolt app, its clock at Tue Nov 2 2021 13:00Z) gets signed ``/scep next`` slash commands over real
HTTP on 127.0.0.1 (a new connection each, as a load balancer would open), one at a time: half of
them a school's first read since the process started (a school drawn at random, never asked
before), half a school already asked (warm), interleaved. The requests run inside the first
minute of the process, before its first sweep (which, with every school's next due instant
unknown, reads every school: see benchmarks/quiet_sweep.py). Reported per backend: p50 / p99 /
max of the first reads, the warm ones and all together; the process's RSS at ready and after the
requests (with ``--watch S``: sampled every 5 s for S seconds more, through its start-up notes
backfill and first sweep: memory per replica); the machine's load average before and after. Not a test.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.realistic import NOW, channel_id, check_pg, load_average, seed_pg, seed_tiny, timed  # noqa: E402
from bot.root.emulator import TEAM_ID  # noqa: E402
from tests.harness import SECRET, signed_headers  # noqa: E402


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(p * len(v)))]


def line(values: list[float]) -> str:
    return f"n={len(values):>5}  p50 {pct(values, .5):6.2f}  p99 {pct(values, .99):6.2f}  max {max(values):7.2f} ms"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeProcess:
    """The fake Slack Web API in a process of its own (the serve process's start-up backfill calls
    it thousands of times: in this process it would take the GIL from the timed client)."""

    def __init__(self) -> None:
        code = ("import sys; from benchmarks.realistic import people; from bot.root.emulator import FakeSlack; "
                "f = people(FakeSlack().start()); print(f.url, flush=True); sys.stdin.read(); f.stop()")
        self.proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.url = self.proc.stdout.readline().strip()

    def response_url(self, key: str) -> str:
        return self.url.replace("/api/", f"/response/{key}")

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class Serve:
    """One ``scep-bot serve`` process on a store."""

    def __init__(self, tmp: Path, backend: str, where: str, fake: FakeProcess) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SCEP_"))}
        env.update(PYTHONPATH=str(ROOT), HOME=str(tmp), SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url,
                   SCEP_DATA_DIR=where if backend == "tinydb" else str(tmp / "pg-data"), LOG_LEVEL="INFO")
        if backend == "postgres":
            env["SCEP_DATABASE_URL"] = where
        self.log = open(tmp / f"serve-{backend}.log", "w")  # noqa: SIM115 - closed in stop()
        self.started, self.wall = time.monotonic(), time.time()
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.root.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port), "--now", NOW],
                                     env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self) -> float:
        while time.monotonic() - self.started < 300:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited:\n{Path(self.log.name).read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("serve not ready in 300 s")

    def memory(self) -> dict[str, float]:
        """VmHWM (peak) and VmRSS (now) of the process, MB."""
        out = {}
        for row in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if row.startswith(("VmHWM:", "VmRSS:")):
                out[row.split(":")[0]] = int(row.split()[1]) / 1024
        return out

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def next_command(port: int, n: int, fake: FakeProcess) -> float:
    """One signed ``/scep next`` in school n's channel over a new HTTP connection; ms to the answer."""
    body = urlencode({"token": "legacy", "team_id": TEAM_ID, "channel_id": channel_id(n), "user_id": "U0LIAIS01", "command": "/scep",
                      "text": "next", "response_url": fake.response_url("b"), "trigger_id": "1.t", "api_app_id": "A0BENCH"})
    headers = signed_headers(body)
    t = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
    resp = conn.getresponse()
    text = resp.read().decode()
    dt = (time.perf_counter() - t) * 1000
    conn.close()
    if resp.status != 200 or "Next for" not in text:
        raise RuntimeError(f"school {n}: {resp.status} {text[:300]}")
    return dt


def run_backend(tmp: Path, backend: str, where: str, fake: FakeProcess, schools: int, requests: int, watch: float) -> dict:
    # start just after a minute's second 0: the whole run before the process's first sweep
    time.sleep((61 - time.time() % 60) % 60)
    load_before = load_average()
    serve = Serve(tmp, backend, where, fake)
    try:
        ready = serve.wait_ready()
        mem_ready = serve.memory()
        sweep_at = serve.wall - serve.wall % 60 + 60  # the process's first sweep: second 0 of the next minute
        rnd = random.Random(11)
        order = rnd.sample(range(schools), requests // 2)
        seen: list[int] = []
        runs: list[tuple[float, str, float]] = []  # (seconds since start, first|warm, ms)
        for k in range(requests):
            if time.time() > sweep_at - 1.5:
                print(f"{backend}: stopped after {k} requests, before the first sweep", flush=True)
                break
            t = time.monotonic() - serve.started
            if k % 2 == 0:
                n = order[len(seen)]
                runs.append((t, "first", next_command(serve.port, n, fake)))
                seen.append(n)
            else:
                runs.append((t, "warm", next_command(serve.port, rnd.choice(seen), fake)))
        mem = serve.memory()
        settle = []
        if watch:  # memory while the process goes on (its start-up read, its first sweeps): sampled every 5 s
            until = time.monotonic() + watch
            while time.monotonic() < until and serve.proc.poll() is None:
                time.sleep(5)
                settle.append(serve.memory()["VmRSS"])
            mem = serve.memory()
    finally:
        serve.stop()
    first = [ms for _, kind, ms in runs if kind == "first"]
    warm = [ms for _, kind, ms in runs if kind == "warm"]
    return {"first": first, "warm": warm, "ready_s": ready, "mem": mem, "mem_ready": mem_ready, "settle": settle, "load": (load_before, load_average())}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--schools", type=int, default=20_000)
    p.add_argument("--requests", type=int, default=2000, help="per backend: half first reads of a school, half warm")
    p.add_argument("--backends", default="tinydb,postgres")
    p.add_argument("--watch", type=float, default=0.0, help="then keep the process running this many seconds, its RSS sampled")
    a = p.parse_args(argv)
    import psycopg

    from bot.store.postgres_migrations import migrate
    from tests.postgres import PostgresServer, find_bin_dir

    backends = a.backends.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="scep-next-http-"))
    server = None
    fake = FakeProcess()
    try:
        kinds = timed(f"tinydb: {a.schools:,} schools written", seed_tiny, tmp / "tiny", a.schools)
        print(f"  schools by kind (benchmarks/realistic.py KINDS): {kinds}")
        where = {"tinydb": str(tmp / "tiny")}
        if "postgres" in backends:
            server = PostgresServer(find_bin_dir(), durable=True)
            server.start()
            with psycopg.connect(server.url(), autocommit=True) as conn:
                conn.execute("CREATE DATABASE bench TEMPLATE template0 ENCODING 'UTF8'")
            where["postgres"] = server.url("bench")
            migrate(where["postgres"])
            timed("postgres: the same rows COPYed in", seed_pg, where["postgres"], tmp / "tiny")
            every = max(1, a.schools // 5000)
            checked, problems = timed(f"postgres: every {every}th school read back through both ports", check_pg, where["postgres"], tmp / "tiny", every)
            print(f"  {checked:,} schools equal, problems: {problems[:5] or 'none'}")
            if problems:
                return 1
        results = {}
        for name in backends:
            r = results[name] = run_backend(tmp, name, where[name], fake, a.schools, a.requests, a.watch)
            print(f"{name}: ready in {r['ready_s']:.2f} s; RSS at ready {r['mem_ready']['VmRSS']:.0f} MB, after the requests {r['mem']['VmRSS']:.0f} MB (peak {r['mem']['VmHWM']:.0f} MB); load average {r['load'][0]} -> {r['load'][1]}",
                  flush=True)
            if r["settle"]:
                print(f"{name}: RSS every 5 s for {a.watch:.0f} s after the requests: {' '.join(f'{m:.0f}' for m in r['settle'])} MB", flush=True)
        print(f"\n/scep next over HTTP, {a.schools:,} schools, one request at a time, ms from sending to the answer:")
        for what in ("first", "warm", "all"):
            for name, r in results.items():
                vals = r["first"] + r["warm"] if what == "all" else r[what]
                label = {"first": "first read of a school", "warm": "school read before", "all": "all (overall)"}[what]
                print(f"  {label:24s} {name:8s} {line(vals)}")
        if {"tinydb", "postgres"} <= set(results):
            t, g = (pct(results[b]["first"] + results[b]["warm"], .99) for b in ("tinydb", "postgres"))
            print(f"  overall p99 PostgreSQL / TinyDB = {g / t:.2f}x (target <= 1.5x), PostgreSQL p99 {g:.2f} ms (target <= 20 ms)")
    finally:
        fake.stop()
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
