"""Load: 50 slash commands a second for 60 seconds on loopback, in HTTP mode, while notes
arrive and the sweep runs; response times against Slack's 3-second limit, errors, memory.

``scep-bot serve`` runs on a data directory seeded with ``--schools`` schools
(``benchmarks/seed.py``), its Slack Web API faked in this process (``bot.emulator.FakeSlack``).

- Commands, open loop (sent on the clock whatever the answers take): ``next``, ``timeline``,
  ``checklist visit 2`` (posted in the channel), ``schedule visit 2 <a date in December>`` and
  ``done``/``undo visit 1``, from the channels of the seeded schools. Response time = until the
  HTTP answer (Slack's 3 s); for the writes also until the confirmation on the response_url.
- Notes: thread replies (``message`` events) in notes prompts posted at the start, ``--notes-rate``
  a second; every one must be stored at the end.
- The sweep: the bot's own job (every minute) and, every ``--sweep-every`` seconds, a sweep handed
  to the running bot (``scep-bot sweep --at``'s admin endpoint) as of a later day, so that nudges
  fall due in many schools.
- Memory: RSS of the server process, sampled every second.

Bounded: it stops by itself after ``--seconds`` (plus at most 15 s to collect the last answers).

    .venv/bin/python benchmarks/load.py [--rate 50] [--seconds 60] [--schools 200]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.seed import seed  # noqa: E402
from benchmarks.slackdriver import ADMIN, TEACHER, Server, reply_event  # noqa: E402
from bot.calendar import dates  # noqa: E402
from bot.root.emulator import FakeSlack  # noqa: E402
from bot.store.tinydb_store import ReadOnlyStore  # noqa: E402

BASE_NOW = "2026-11-23T14:00:00+00:00"  # a Monday in the 2026-27 school year
APOLOGY = "something went wrong on my side"
MIX = [("next", 30), ("timeline", 20), ("checklist", 15), ("schedule", 20), ("done", 15)]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def trigger_sweep(data_dir: Path, at: str) -> dict:
    """A sweep as of ``at`` handed to the running bot (what ``scep-bot sweep --at`` does)."""
    from bot.root.admin import call  # the nudges' admin endpoint

    return call(data_dir, "/sweep", {"at": at, "dry_run": False}, timeout=120)


def run(rate: float, seconds: float, schools: int, notes_rate: float, sweep_every: float, seed_value: int, workdir: Path) -> dict:
    rnd = random.Random(seed_value)
    fake = FakeSlack().start()
    fake.add_user(ADMIN, "ada.admin", admin=True)
    fake.add_user(TEACHER, "tess.teacher")
    data = workdir / "data"
    pairs = seed(data, schools)
    tsi = [ch for n, (_, ch) in enumerate(pairs) if n % 4 in (0, 3)]  # the seeded schools that follow the TSI visits
    everyone = [ch for _, ch in pairs]
    server = Server(data, fake, log_path=workdir / "server.log")
    ready = server.start(BASE_NOW)
    pid = server.pid()

    # notes prompts in a few schools (their replies are the notes stream)
    threads: dict[str, str] = {}
    for i, ch in enumerate(tsi[:10]):
        before = len(fake.of("chat.postMessage"))
        server.command("notes start visit 1", channel=ch, key=f"prompt{i}")
        posts = fake.wait_for("chat.postMessage", before + 1, timeout=10)
        post = next((c for c in posts[before:] if c.args.get("channel") == ch), None)
        if post is not None:
            threads[ch] = post.response["ts"]
    time.sleep(0.5)  # the prompts are recorded once posted

    lock = threading.Lock()
    acks: list[tuple[float, str, int, bool]] = []  # (seconds, kind, status, apology)
    sent_writes: dict[str, tuple[float, str]] = {}  # response_url key -> (sent at, kind)
    errors: list[str] = []
    done_state: dict[str, bool] = {}
    n = [0]

    def one(kind: str, ch: str, key: str) -> None:
        if kind == "schedule":
            day = rnd.randint(1, 31)
            text = f"schedule visit 2 December {day} 2026 {rnd.choice(['9', '10', '11', '1', '2'])}:{rnd.choice(['00', '15', '30', '45'])}{rnd.choice(['am', 'pm'])}"
        elif kind == "done":
            with lock:
                was = done_state.get(ch, False)
                done_state[ch] = not was
            text = ("undo" if was else "done") + " visit 1"
        elif kind == "checklist":
            text = "checklist visit 2"
        else:
            text = kind
        if kind in ("schedule", "done"):
            with lock:
                sent_writes[key] = (time.monotonic(), kind)
        t0 = time.monotonic()
        try:
            status, body = server.command(text, channel=ch, key=key)
        except OSError as exc:
            with lock:
                errors.append(f"{kind}: {exc}")
                acks.append((time.monotonic() - t0, kind, 0, False))
            return
        took = time.monotonic() - t0
        apology = APOLOGY in body.decode("utf-8", "replace")
        with lock:
            acks.append((took, kind, status, apology))
            if status != 200 or apology:
                errors.append(f"{kind} -> {status} {body[:200]!r}")

    kinds = [k for k, w in MIX for _ in range(w)]
    notes_sent: list[tuple[str, str]] = []
    stop = threading.Event()

    def notes_loop() -> None:
        k = 0
        chans = list(threads)
        if not chans or notes_rate <= 0:
            return
        t_start = time.monotonic()
        while not stop.is_set():
            k += 1
            due = t_start + k / notes_rate
            delay = due - time.monotonic()
            if delay > 0:
                stop.wait(delay)
            ch = chans[k % len(chans)]
            ts = f"{1796000000 + k}.{k % 1000000:06d}"
            text = f"Load note {k}: the team looked at the benchmark data and the reading routine."
            fake.add_reply(ch, threads[ch], TEACHER, text, ts=ts)
            try:
                server.event(reply_event(ch, threads[ch], ts, text), event_id=f"EvL{k:08d}")
                notes_sent.append((ch, ts))
            except OSError as exc:
                errors.append(f"note: {exc}")

    sweeps: list[dict] = []

    def sweep_loop() -> None:
        if sweep_every <= 0:
            return
        base = dates.parse_instant(BASE_NOW)
        k = 0
        while not stop.wait(sweep_every):
            k += 1
            at = (base + timedelta(days=k, hours=1)).isoformat()  # a later day: nudges fall due
            t0 = time.monotonic()
            try:
                rep = trigger_sweep(data, at)
                sweeps.append({"at": at, "seconds": time.monotonic() - t0, "posted": sum(1 for d in rep.get("deliveries", []) if d.get("status") == "sent"),
                               "schools": rep.get("schools")})
            except ImportError:
                sweeps.append({"at": at, "error": "no admin endpoint (the nudges are not merged)"})
                return
            except Exception as exc:  # noqa: BLE001 - reported
                sweeps.append({"at": at, "seconds": time.monotonic() - t0, "error": str(exc)[:200]})

    rss: list[tuple[float, float]] = []

    def rss_loop() -> None:
        t0 = time.monotonic()
        while not stop.is_set():
            v = rss_mb(pid)
            if v is not None:
                rss.append((time.monotonic() - t0, v))
            stop.wait(1.0)

    aux = [threading.Thread(target=f, daemon=True) for f in (notes_loop, sweep_loop, rss_loop)]
    for t in aux:
        t.start()
    pool = ThreadPoolExecutor(max_workers=64)
    total = int(rate * seconds)
    t_start = time.monotonic()
    lag = 0.0
    for i in range(total):
        due = t_start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            lag = max(lag, -delay)
        kind = rnd.choice(kinds)
        ch = rnd.choice(tsi if kind in ("checklist", "schedule", "done") else everyone)
        n[0] += 1
        pool.submit(one, kind, ch, f"L{i}")
    offered = time.monotonic() - t_start
    stop.set()
    pool.shutdown(wait=True)
    for t in aux:
        t.join(timeout=130)
    # confirmations of the writes (response_url), and the notes stored
    end = time.monotonic() + 15
    while time.monotonic() < end:
        got = {c.path.rsplit("/", 1)[-1] for c in fake.of("response_url")}
        if all(k in got for k in sent_writes):
            break
        time.sleep(0.2)
    confirm: list[float] = []
    for c in fake.of("response_url"):
        key = c.path.rsplit("/", 1)[-1]
        if key in sent_writes:
            confirm.append(c.at - (time.time() - time.monotonic() + sent_writes[key][0]))
            if APOLOGY in str(c.args.get("text")):
                errors.append(f"{sent_writes[key][1]} confirmation: {str(c.args.get('text'))[:200]}")
    unconfirmed = len(sent_writes) - len({c.path.rsplit('/', 1)[-1] for c in fake.of("response_url")} & set(sent_writes))
    time.sleep(1.0)
    store = ReadOnlyStore(data)
    try:
        stored_notes = 0
        for ch, ts in notes_sent:
            sid = store.school_for_channel("T0DEMO001", ch)
            if sid and store.view(sid).get("notes", f"{ch}:{ts}"):
                stored_notes += 1
    finally:
        store.close()
    server.stop()
    fake.stop()
    log = (workdir / "server.log").read_text(errors="replace")
    log_errors = [line for line in log.splitlines() if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback")]
    lat = [a[0] for a in acks]
    by_kind = {k: [a[0] for a in acks if a[1] == k] for k, _ in MIX}
    rss_vals = [v for _, v in rss]
    half = [v for t, v in rss if t >= seconds / 2]
    return {
        "schools": schools, "ready_seconds": round(ready, 2), "commands": len(acks), "offered_seconds": round(offered, 1),
        "rate": round(len(acks) / offered, 1) if offered else 0, "max_send_lag_ms": round(lag * 1000, 1),
        "errors": errors[:20], "error_count": len(errors), "over_3s": sum(1 for x in lat if x > 3.0),
        "ack_ms": {p: round(pct(lat, p) * 1000, 1) for p in (50, 95, 99)} | {"max": round(max(lat) * 1000, 1) if lat else None},
        "ack_ms_by_kind": {k: {p: round(pct(v, p) * 1000, 1) for p in (50, 99)} for k, v in by_kind.items() if v},
        "writes": len(sent_writes), "unconfirmed_writes": unconfirmed,
        "confirm_ms": {p: round(pct(confirm, p) * 1000, 1) for p in (50, 95, 99)},
        "notes_sent": len(notes_sent), "notes_stored": stored_notes,
        "sweeps": sweeps, "nudges_posted": sum(s.get("posted", 0) for s in sweeps),
        "rss_mb": {"first": round(rss_vals[0], 1) if rss_vals else None, "max": round(max(rss_vals), 1) if rss_vals else None,
                   "last": round(rss_vals[-1], 1) if rss_vals else None,
                   "second_half_growth": round(half[-1] - half[0], 1) if len(half) > 1 else None},
        "slack_calls": len(fake.calls), "log_error_lines": len(log_errors), "log_errors": log_errors[:10],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rate", type=float, default=50.0, help="slash commands a second")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--schools", type=int, default=200)
    p.add_argument("--notes-rate", type=float, default=5.0, help="thread replies a second")
    p.add_argument("--sweep-every", type=float, default=10.0, help="seconds between sweeps handed to the bot (0: only its own job)")
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="scep-load-"))
    try:
        res = run(args.rate, args.seconds, args.schools, args.notes_rate, args.sweep_every, args.seed, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        a = res["ack_ms"]
        print(f"{res['commands']} slash commands in {res['offered_seconds']}s ({res['rate']}/s) on {res['schools']} schools; "
              f"errors {res['error_count']}, over 3 s: {res['over_3s']}")
        print(f"response time (HTTP answer, Slack's limit 3000 ms): p50 {a[50]} ms, p95 {a[95]} ms, p99 {a[99]} ms, max {a['max']} ms")
        print("  by command (p50/p99 ms): " + ", ".join(f"{k} {v[50]}/{v[99]}" for k, v in res["ack_ms_by_kind"].items()))
        c = res["confirm_ms"]
        print(f"writes (schedule, done/undo): {res['writes']}, confirmed on the response_url p50 {c[50]} ms, p95 {c[95]} ms, p99 {c[99]} ms; unconfirmed {res['unconfirmed_writes']}")
        print(f"notes: {res['notes_sent']} sent, {res['notes_stored']} stored")
        ok_sweeps = [s for s in res["sweeps"] if "error" not in s]
        print(f"sweeps handed to the bot: {len(ok_sweeps)} ({', '.join('%.1fs/%d posted' % (s['seconds'], s['posted']) for s in ok_sweeps)}); "
              f"nudges posted {res['nudges_posted']}" + "".join(f"; {s['error']}" for s in res["sweeps"] if "error" in s))
        r = res["rss_mb"]
        print(f"server RSS: first {r['first']} MB, max {r['max']} MB, last {r['last']} MB, growth over the second half {r['second_half_growth']} MB")
        print(f"Slack Web API calls: {res['slack_calls']}; ERROR/CRITICAL lines in the server log: {res['log_error_lines']}")
        for e in res["errors"][:10] + res["log_errors"][:10]:
            print("  " + e)
    ok = res["error_count"] == 0 and res["over_3s"] == 0 and res["notes_stored"] == res["notes_sent"] and res["log_error_lines"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
