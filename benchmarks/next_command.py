"""Benchmark: `/scep next` through the whole Bolt stack with 5,000 schools in the store.

Signed slash-command request in, acknowledged response out (the answer is the ack body), against
a no-op command registered on the same app as the floor. Also: from process start to the first
acknowledged command of `scep-bot serve` on that data directory.

    python -m benchmarks.next_command [--schools 5000] [--requests 3000]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slack_bolt.request import BoltRequest  # noqa: E402

from benchmarks.seed import seed  # noqa: E402
from bot.calendar import dates  # noqa: E402
from bot.root.app import build_app
from bot.root.emulator import TEAM_ID, FakeSlack  # noqa: E402
from bot.root.services import build_services  # noqa: E402
from bot.root.settings import Settings
from tests.harness import SECRET, signed_headers  # noqa: E402


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def body(command: str, text: str, channel: str, fake: FakeSlack) -> str:
    return urlencode({"team_id": TEAM_ID, "channel_id": channel, "user_id": "U00000001", "command": command, "text": text,
                      "response_url": fake.response_url("b"), "trigger_id": "1.t"})


def in_process(data: Path, channels: list[str], requests: int) -> dict[str, list[float]]:
    fake = FakeSlack().start()
    settings = Settings(bot_token="xoxb-bench", signing_secret=SECRET, api_url=fake.url, data_dir=data)
    now = dates.parse_instant("2021-11-02T13:00:00Z")
    services = build_services(settings, clock=lambda: now)
    app = build_app(services, token="xoxb-bench", signing_secret=SECRET)

    @app.command("/noop")
    def noop(ack):
        ack()

    rnd = random.Random(1)
    results: dict[str, list[float]] = {"/scep next": [], "/noop": []}
    # warm: first load of each school file happens once per process; measure steady state and cold separately
    cold = []
    for ch in rnd.sample(channels, min(200, len(channels))):
        b = body("/scep", "next", ch, fake)
        t = time.perf_counter()
        r = app.dispatch(BoltRequest(body=b, headers=signed_headers(b)))
        cold.append((time.perf_counter() - t) * 1000)
        assert r.status == 200 and "Next for" in r.body, r.body[:200]
    results["/scep next (first read of a school)"] = cold
    for _ in range(requests):
        ch = rnd.choice(channels)
        for cmd, text in (("/scep", "next"), ("/noop", "")):
            b = body(cmd, text, ch, fake)
            t = time.perf_counter()
            r = app.dispatch(BoltRequest(body=b, headers=signed_headers(b)))
            results["/scep next" if cmd == "/scep" else "/noop"].append((time.perf_counter() - t) * 1000)
            assert r.status == 200
    services.store.close()
    fake.stop()
    return results


def startup(data: Path) -> float:
    fake = FakeSlack().start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url,
           "SCEP_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
    exe = Path(sys.executable).with_name("scep-bot")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.root.cli"]
    b = body("/scep", "next", "C000000001", fake)
    t0 = time.perf_counter()
    proc = subprocess.Popen([*cmd, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=b.encode(), headers=signed_headers(b), method="POST")
                with urllib.request.urlopen(req, timeout=5) as resp:
                    if resp.status == 200:
                        return time.perf_counter() - t0
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.01)
            if time.perf_counter() - t0 > 30:
                raise RuntimeError("the server did not answer within 30 s")
    finally:
        proc.terminate()
        proc.wait()
        fake.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schools", type=int, default=5000)
    ap.add_argument("--requests", type=int, default=3000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        pairs = seed(data, args.schools)
        channels = [c for _, c in pairs]
        res = in_process(data, channels, args.requests)
        print(f"schools in the store: {args.schools}; requests: {args.requests} each (signed, dispatched into the Bolt app)")
        for name, vals in res.items():
            print(f"  {name:40s} p50 {pct(vals, 50):6.2f} ms  p95 {pct(vals, 95):6.2f} ms  p99 {pct(vals, 99):6.2f} ms  max {max(vals):6.2f} ms")
        ratio = pct(res["/scep next"], 99) / pct(res["/noop"], 99)
        print(f"  p99 ratio /scep next : /noop = {ratio:.2f}x (target <= 2x; target p99 <= 20 ms)")
        runs = [startup(data) for _ in range(3)]
        print(f"process start -> first acknowledged /scep next (scep-bot serve, {args.schools} schools): "
              f"{', '.join(f'{r:.2f}' for r in runs)} s (median {statistics.median(runs):.2f} s; target <= 1.5 s)")


if __name__ == "__main__":
    main()
