"""Benchmark: the floor of every HTTP command, before and after the prompt ack (handlers/prompt_ack.py), in one run.

Bolt's runner polls for a listener's ``ack()`` every 10 ms; since the prompt ack the request
thread is told at once. For an earlier commit (``--base``, checked out in a temporary git
worktree) and for this tree, one after the other and alternating for ``--rounds``, on copies of
one seeded data directory:

- in process: signed requests dispatched into the app as ``scep-bot serve`` builds it, a no-op
  command (``/noop``, the floor) and ``/scep next`` on warm schools;
- over HTTP: ``scep-bot serve`` (waitress) of that tree, one keep-alive connection, ``/scep help``
  (answered from memory) and ``/scep next``.

    .venv/bin/python benchmarks/ack_floor.py [--base d14e098] [--schools 2000] [--requests 1000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
NOW = "2021-11-02T13:00:00Z"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def body(command: str, text: str, channel: str, response_url: str) -> str:
    from bot.root.emulator import TEAM_ID

    return urlencode({"team_id": TEAM_ID, "channel_id": channel, "user_id": "U00000001", "command": command, "text": text,
                      "response_url": response_url, "trigger_id": "1.t"})


def worker(data: Path, channels: list[str], requests: int) -> dict[str, list[float]]:
    """Runs in a subprocess whose ``PYTHONPATH`` is the tree measured: its code, its app."""
    from slack_bolt.request import BoltRequest

    from bot.calendar import dates
    from bot.root.app import build_app
    from bot.root.emulator import FakeSlack
    from bot.root.services import build_services
    from bot.root.settings import Settings
    from tests.harness import SECRET, signed_headers

    fake = FakeSlack().start()
    url = fake.response_url("b")
    settings = Settings(bot_token="xoxb-bench", signing_secret=SECRET, api_url=fake.url, data_dir=data)
    now = dates.parse_instant(NOW)
    services = build_services(settings, clock=lambda: now)
    app = build_app(services, token="xoxb-bench", signing_secret=SECRET, background=False)

    @app.command("/noop")
    def noop(ack):  # noqa: ANN001
        ack()

    rnd = random.Random(1)
    res: dict[str, list[float]] = {"in process  /noop": [], "in process  /scep next": []}
    for ch in channels:  # every school read once: warm
        b = body("/scep", "next", ch, url)
        assert app.dispatch(BoltRequest(body=b, headers=signed_headers(b))).status == 200
    for _ in range(requests):
        ch = rnd.choice(channels)
        for cmd, text, name in (("/noop", "", "in process  /noop"), ("/scep", "next", "in process  /scep next")):
            b = body(cmd, text, ch, url)
            t = time.perf_counter()
            r = app.dispatch(BoltRequest(body=b, headers=signed_headers(b)))
            res[name].append((time.perf_counter() - t) * 1000)
            assert r.status == 200, r.status
    services.store.close()
    res.update(over_http(data, channels, requests, fake, signed_headers, SECRET))
    fake.stop()
    return res


def over_http(data: Path, channels: list[str], requests: int, fake, signed_headers, secret: str) -> dict[str, list[float]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": fake.url,
           "SCEP_DATA_DIR": str(data)}
    proc = subprocess.Popen([sys.executable, "-m", "bot.root.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--now", NOW],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = fake.response_url("h")
    res: dict[str, list[float]] = {"HTTP        /scep help": [], "HTTP        /scep next": []}
    try:
        conn = connect(port)

        def post(cmd: str, text: str, ch: str) -> float:
            b = body(cmd, text, ch, url)
            t = time.perf_counter()
            conn.request("POST", "/slack/events", body=b.encode(), headers=signed_headers(b))
            r = conn.getresponse()
            r.read()
            took = (time.perf_counter() - t) * 1000
            assert r.status == 200, r.status
            return took

        rnd = random.Random(2)
        for ch in channels:
            post("/scep", "next", ch)  # warm, as in process
        for _ in range(requests):
            ch = rnd.choice(channels)
            res["HTTP        /scep help"].append(post("/scep", "help", ch))
            res["HTTP        /scep next"].append(post("/scep", "next", ch))
        conn.close()
    finally:
        proc.terminate()
        proc.wait()
    return res


def connect(port: int) -> http.client.HTTPConnection:
    t0 = time.monotonic()
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return conn
        except OSError:
            if time.monotonic() - t0 > 60:
                raise RuntimeError("scep-bot serve did not start within 60 s") from None
            time.sleep(0.05)


def run_tree(tree: Path, data: Path, channels_file: Path, requests: int) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "ack_floor.py"), "--worker", str(data), str(channels_file), str(requests)],
                          cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"the run on {tree} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":  # PYTHONPATH = the tree measured
        data, channels, requests = Path(sys.argv[2]), json.loads(Path(sys.argv[3]).read_text()), int(sys.argv[4])
        print(json.dumps(worker(data, channels, requests)))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="d14e098", help="the commit before (default d14e098, Bolt's 10 ms poll)")
    ap.add_argument("--schools", type=int, default=2000)
    ap.add_argument("--requests", type=int, default=1000, help="of each command, in process and over HTTP")
    ap.add_argument("--rounds", type=int, default=2, help="alternate base and current this many times")
    opts = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from benchmarks.seed import seed

    with tempfile.TemporaryDirectory(prefix="scep-ackfloor-") as tmp:
        seeded = Path(tmp) / "seeded"
        channels = [c for _, c in seed(seeded, opts.schools)][:500]
        channels_file = Path(tmp) / "channels.json"
        channels_file.write_text(json.dumps(channels))
        base = Path(tmp) / "base"
        made = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), opts.base], capture_output=True, text=True)
        if made.returncode:
            print(f"can't check out {opts.base!r}: {made.stderr.strip()}", file=sys.stderr)
            return 2
        try:
            runs: dict[str, dict[str, list[float]]] = {}
            for n in range(opts.rounds):
                for label, tree in ((f"before ({opts.base})", base), ("after (this tree)", ROOT)):
                    data = Path(tmp) / f"data-{n}-{tree.name}"
                    shutil.copytree(seeded, data)
                    print(f"round {n + 1}: {label}, load average {os.getloadavg()[0]:.2f} at its start", flush=True)
                    for name, vals in run_tree(tree, data, channels_file, opts.requests).items():
                        runs.setdefault(label, {}).setdefault(name, []).extend(vals)
                    shutil.rmtree(data)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], capture_output=True)
    load = os.getloadavg()
    print(f"{opts.schools} schools (TinyDB; warm: {len(channels)} of them read once first), {opts.requests} requests of each command per round, "
          f"{opts.rounds} rounds alternating; {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for label, res in runs.items():
        print(label)
        for name, vals in res.items():
            print(f"  {name:24s} p50 {pct(vals, 50):6.2f} ms  p99 {pct(vals, 99):6.2f} ms  max {max(vals):7.2f} ms  (n={len(vals)})")
    print("(in process: app.dispatch of a signed request; over HTTP: POST /slack/events to scep-bot serve on one keep-alive connection)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
