"""Benchmark: one sweep over 5,000 schools following all four cycles.

    python -m benchmarks.sweep [--schools 5000] [--zones mixed|one]

Seeds a data directory (the store's own file format), starts the Slack emulator on 127.0.0.1,
and runs the real sweep (real store, real Web API client, real pacer):

1. a cold sweep (first read of every school file, every calendar computed) with nothing due;
2. sweeps one minute apart with nothing due (the per-school wake-up cache): target <= 250 ms;
3. the busy morning of Wed Dec 1 2021 at 09:00 local: every school's visit 1 becomes overdue
   (a channel post, plus one escalation DM per liaison) and visit 2's window opens;
4. the minute after, nothing due again.
Prints the figures; not a test.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from datetime import time as dt_time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.calendar import dates  # noqa: E402
from bot.root.emulator import TEAM_ID, FakeSlack  # noqa: E402
from bot.root.services import build_services
from bot.root.settings import Settings
from handlers.slack_client import web_client  # noqa: E402
from schedules.sweep.jobs import sweep, sweeper_for  # noqa: E402

CYCLES = ["nysed-tsi-visits", "nysed-planning-sessions", "sezp-planning", "district-plan-review"]
ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
LIAISONS = 50
CREATED = "2021-11-30T20:00:00+00:00"
QUIET = dates.parse_instant("2021-11-30T21:00:00Z")


def seed(data_dir: Path, schools: int, zones: list[str]) -> None:
    (data_dir / "schools").mkdir(parents=True, exist_ok=True)
    index = {"schools": {}, "settings": {}}
    for n in range(schools):
        sid = f"s{n:012d}"
        channel = f"C{n:09d}"
        profile = {
            "_key": "profile", "school_id": sid, "name": f"School {n:05d}", "team_id": TEAM_ID, "channel_id": channel,
            "model": "TSI", "cycles": CYCLES, "tz": zones[n % len(zones)], "min_year": "2021-22",
            "roles": {"liaison": [f"UL{n % LIAISONS:07d}"], "principal": [f"UP{n:07d}"], "district": ["UD0000001"]},
            "commitments": [], "holidays": [], "created_at": CREATED, "created_by": "UADMIN",
        }
        (data_dir / "schools" / f"{sid}.json").write_text(json.dumps({"school": {"1": profile}}))
        index["schools"][sid] = {"school_id": sid, "name": profile["name"], "team_id": TEAM_ID, "channel_id": channel}
    (data_dir / "index.json").write_text(json.dumps(index))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--schools", type=int, default=5000)
    p.add_argument("--zones", choices=["mixed", "one"], default="mixed")
    args = p.parse_args(argv)
    logging.disable(logging.INFO)
    zones = ZONES if args.zones == "mixed" else ZONES[:1]
    fake = FakeSlack().start()
    for n in range(LIAISONS):
        fake.add_user(f"UL{n:07d}", f"liaison{n}")
    for n in range(args.schools):
        fake.add_user(f"UP{n:07d}", f"principal{n}")
    fake.add_user("UD0000001", "district")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        t = time.perf_counter()
        seed(data, args.schools, zones)
        print(f"seeded {args.schools} schools ({', '.join(CYCLES)}; zones: {', '.join(zones)}) in {time.perf_counter() - t:.1f}s")
        services = build_services(Settings(bot_token="xoxb-bench", api_url=fake.url, data_dir=data))
        client = web_client("xoxb-bench", fake.url)

        cold = sweep(services, client, QUIET)
        print(f"1. cold sweep, nothing due: {cold.seconds:.2f}s ({cold.computed} schools computed, {len(cold.deliveries)} messages)")

        quiet = []
        for i in range(1, 61):
            r = sweep(services, client, QUIET + timedelta(minutes=i))
            quiet.append(r.seconds)
            assert not r.deliveries, r.lines()[:5]
        quiet.sort()
        print(f"2. sweeps with nothing due (60, one a minute): p50 {ms(statistics.median(quiet))}, p95 {ms(quiet[56])}, max {ms(quiet[-1])}"
              f"  (target <= 250 ms)")

        pacer = sweeper_for(services).pacer
        total_posts = 0
        total_time = 0.0
        morning = [dates.local_instant(dates.local_today(QUIET + timedelta(days=1), z), dt_time(9, 0), z) for z in zones]
        for at in sorted(set(morning)):
            before = len(fake.calls)
            waited = pacer.waited
            r = sweep(services, client, at)
            posts = [c for c in fake.calls[before:] if c.method == "chat.postMessage"]
            channel = [c for c in posts if c.args.get("channel", "").startswith("C")]
            dms = len(posts) - len(channel)
            nudges = len(r.of("sent"))
            total_posts += len(posts)
            total_time += r.seconds
            print(f"3. busy morning {dates.fmt_local(at, 'UTC')}: {r.seconds:.2f}s, {r.computed} schools computed, {nudges} nudges sent in "
                  f"{len(channel)} channel messages + {dms} DMs ({len(posts) / r.seconds:.0f} messages/s), paced waits {pacer.waited - waited:.1f}s")
            after = sweep(services, client, at + timedelta(minutes=1))
            after2 = sweep(services, client, at + timedelta(minutes=2))
            print(f"   the next minutes, nothing due: {ms(after.seconds)} ({after.computed} recomputed after their ledger writes), then {ms(after2.seconds)}")
        print(f"busy morning total: {total_posts} messages in {total_time:.1f}s")
        services.store.close()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
