"""Capture of one thread reply with 100,000 notes in the store across 1,000 schools.

Builds a data directory (1,000 schools, each bound to a channel, with a notes prompt and 100
notes), then measures:

1. the store write: ``bot.notes.capture.capture`` (thread look-up, one school transaction, the atomic
   file replace with fsync), warm (the school already read since start) and cold (first touch
   of a school after start: its file is parsed);
2. end to end: a signed ``message`` event dispatched into the real Bolt app, the note durably
   stored, and ``reactions.add`` received by the Slack emulator on 127.0.0.1.

Prints p50/p90/p99/max in milliseconds. Not a test: run it by hand.

    .venv/bin/python benchmarks/notes_capture.py [--schools 1000] [--notes 100] [--replies 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.calendar import dates
from bot.core.schools import School, iso  # noqa: E402
from bot.notes.capture import apply_message, capture  # noqa: E402
from bot.notes.prompts import record_prompt  # noqa: E402
from bot.root.emulator import TEAM_ID, FakeSlack  # noqa: E402
from bot.store.schema import PROFILE  # noqa: E402
from bot.store.tinydb_store import TinyStore  # noqa: E402

STEP = "nysed-tsi-visits/visit-1"
YEAR = "2021-22"
NOW = dates.parse_instant("2021-11-03T18:00:00Z")
TEXT = ("C2: Families came to the literacy night; teachers shared the reading routine and asked what "
        "support the school can give at home. The principal will follow up with the PTA next week. ") * 2


def channel_of(i: int) -> str:
    return f"C{i:08d}"


def thread_of(i: int) -> str:
    return f"{1635950000 + i}.000100"


def build(data_dir: Path, schools: int, per_school: int) -> list[str]:
    store = TinyStore(data_dir)
    ids = []
    started = time.perf_counter()
    for i in range(schools):
        sid = f"s{i:012d}"
        ids.append(sid)
        ch = channel_of(i)
        with store.transaction(sid) as tx:
            school = School(school_id=sid, name=f"School {i}", team_id=TEAM_ID, channel_id=ch, cycles=["nysed-tsi-visits"],
                            commitments=["Every student reads daily", "Family partnership", "Data-driven instruction"],
                            created_at=iso(NOW), created_by="U0ADMIN01", roles={"liaison": ["U0LIAIS01"]})
            tx.put(*PROFILE, school.to_doc())
            record_prompt(tx, ch, thread_of(i), STEP, YEAR, "SCEP Support Visit 1", school.commitments, "bot", NOW, "auto")
            for j in range(per_school):
                ts = f"{1635950100 + j}.{i:06d}"
                msg = {"channel": ch, "ts": ts, "thread_ts": thread_of(i), "user": f"U{j % 7:08d}", "text": TEXT}
                apply_message(tx, school.name, msg, step=STEP, year=YEAR, prompt_key=f"{ch}:{thread_of(i)}",
                               commitments=school.commitments, now=NOW, permalink="https://demo.slack.com/archives/x",
                               author_name="Tia Teacher", source="thread", event_id=None)
        store.bind(sid, name=f"School {i}", team_id=TEAM_ID, channel_id=ch)
    store.close()
    print(f"built {schools} schools x {per_school} notes = {schools * per_school:,} notes in {time.perf_counter() - started:.1f}s; "
          f"{sum(p.stat().st_size for p in (data_dir / 'schools').glob('*.json')) / 1e6:.1f} MB on disk")
    return ids


def pct(values: list[float]) -> str:
    v = sorted(values)
    q = lambda p: v[min(len(v) - 1, int(p * len(v)))]  # noqa: E731
    return f"n={len(v)} p50 {q(0.50):.2f} ms  p90 {q(0.90):.2f} ms  p99 {q(0.99):.2f} ms  max {v[-1]:.2f} ms  mean {statistics.fmean(v):.2f} ms"


def bench_store(data_dir: Path, schools: int, replies: int) -> None:
    import bot.store.tinydb_store as store_mod

    disk: list[float] = []
    real_write = store_mod.atomic_write

    def timed_write(path, text):  # the benchmark times the disk part: write, fsync, rename, fsync of the folder
        t = time.perf_counter()
        real_write(path, text)
        disk.append((time.perf_counter() - t) * 1000)

    store_mod.atomic_write = timed_write
    store = TinyStore(data_dir)
    cpu: list[float] = []
    rng = random.Random(7)
    run = random.SystemRandom().randrange(1, 999_999)  # new message ts on every run (the directory may be reused)
    cold, warm = [], []
    touched: set[int] = set()
    for k in range(replies):
        i = rng.randrange(schools)
        msg = {"channel": channel_of(i), "ts": f"{1636000000 + k}.{run:06d}", "thread_ts": thread_of(i), "user": "U0TEACH01", "text": TEXT}
        t, c = time.perf_counter(), time.thread_time()
        out = capture(store, TEAM_ID, msg, NOW, base_url="https://demo.slack.com/")
        dt = (time.perf_counter() - t) * 1000
        if i in touched:
            cpu.append((time.thread_time() - c) * 1000)
        assert out.action == "saved", out
        (warm if i in touched else cold).append(dt)
        touched.add(i)
    print(f"store write, warm school : {pct(warm)}")
    print(f"store write, cold school : {pct(cold)}  (first touch after start: the school's file is parsed)")
    print(f"  of which CPU (warm)      : {pct(cpu)}")
    print(f"  of which disk            : {pct(disk)}  (write + fsync + rename + fsync of the folder)")
    store_mod.atomic_write = real_write
    store.close()


def bench_end_to_end(data_dir: Path, schools: int, replies: int) -> None:
    from slack_bolt.request import BoltRequest

    from bot.root.app import build_app
    from bot.root.services import build_services
    from bot.root.settings import Settings
    from tests.harness import SECRET, signed_headers

    fake = FakeSlack().start()
    fake.add_user("U0TEACH01", "Tia Teacher")
    clock = [NOW]
    services = build_services(Settings(bot_token="xoxb-bench", signing_secret=SECRET, api_url=fake.url, data_dir=data_dir), clock=lambda: clock[0])
    app = build_app(services, token="xoxb-bench", signing_secret=SECRET, process_before_response=True, background=False)
    rng = random.Random(11)
    run = random.SystemRandom().randrange(1, 999_999)
    # warm every school once (the state a bot reaches after its first replies)
    for i in range(schools):
        services.store.view(f"s{i:012d}")
    times = []
    for k in range(replies):
        i = rng.randrange(schools)
        ts = f"{1637000000 + k}.{run:06d}"
        event = {"type": "message", "channel": channel_of(i), "user": "U0TEACH01", "text": TEXT, "ts": ts, "thread_ts": thread_of(i), "channel_type": "channel"}
        body = json.dumps({"token": "x", "team_id": TEAM_ID, "api_app_id": "A0", "type": "event_callback", "event_id": f"Ev{run:06d}{k:08d}",
                           "event_time": 1, "event": event, "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT0001", "is_bot": True}]})
        headers = signed_headers(body, content_type="application/json")
        t = time.perf_counter()
        resp = app.dispatch(BoltRequest(body=body, headers=headers))
        dt = (time.perf_counter() - t) * 1000
        assert resp.status == 200
        times.append(dt)
    reacted = len(fake.of("reactions.add"))
    assert reacted == replies, reacted
    print(f"end to end (signed event -> stored -> reactions.add received): {pct(times)}")
    services.store.close()
    fake.stop()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--schools", type=int, default=1000)
    p.add_argument("--notes", type=int, default=100)
    p.add_argument("--replies", type=int, default=2000)
    p.add_argument("--dir", help="data directory (default: a temporary one)")
    a = p.parse_args()
    data_dir = Path(a.dir or tempfile.mkdtemp(prefix="scep-bench-")) / "data"
    if (data_dir / "index.json").exists():
        print(f"reusing {data_dir}")
    else:
        build(data_dir, a.schools, a.notes)
    bench_store(data_dir, a.schools, a.replies)
    bench_end_to_end(data_dir, a.schools, a.replies)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
