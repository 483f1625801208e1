"""Checklists, scheduling and App Home through the whole Bolt stack, with 5,000 schools stored.

Signed requests in, Web API calls out to the local Slack emulator (over HTTP on 127.0.0.1), the
listener running to completion (process_before_response) so each figure is the full work.
Prints p50/p99 in milliseconds. Not a test: run ``python benchmarks/checklists.py [schools]``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.seed import seed  # noqa: E402
from bot.calendar import (
    dates,
    nlp_dates,  # noqa: E402
)
from bot.core.steps import resolve  # noqa: E402
from bot.root.emulator import FakeSlack  # noqa: E402
from tests.harness import Bot  # noqa: E402
from tests.slack import app_home_opened, options_of, tick  # noqa: E402

LIAISON = "U00000000"  # liaison of every 50th school in benchmarks/seed.py
ADMIN = "U0ADMIN01"


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def show(name: str, xs: list[float]) -> None:
    print(f"{name:58s} n={len(xs):4d}  p50 {pct(xs, 50):7.2f} ms  p99 {pct(xs, 99):7.2f} ms  max {max(xs):7.2f} ms")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    fake = FakeSlack().start()
    fake.add_user(ADMIN, "ada", admin=True)
    fake.add_user(LIAISON, "lia")
    t0 = time.perf_counter()
    nlp_dates.warm()
    print(f"nlp_dates.warm(): {1000 * (time.perf_counter() - t0):.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        seed(Path(tmp) / "data", n)
        print(f"seeded {n} schools in {time.perf_counter() - t0:.1f} s\n")
        bot = Bot(Path(tmp) / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"))
        channel = "C000000000"  # school 0: visits and planning sessions, the liaison's

        def timed(fn, reps: int) -> list[float]:
            out = []
            for _ in range(reps):
                t = time.perf_counter()
                fn()
                out.append(1000 * (time.perf_counter() - t))
            return out

        # App Home: the first open reads every school's file once (cold), then only changes
        cold = timed(lambda: bot.event(app_home_opened(LIAISON)), 1)
        show(f"app_home_opened, liaison of {n // 50} schools, cold", cold)
        show(f"app_home_opened, liaison of {n // 50} schools (page 1), warm", timed(lambda: bot.event(app_home_opened(LIAISON)), 50))
        show(f"app_home_opened, admin, {n} schools (page 1)", timed(lambda: bot.event(app_home_opened(ADMIN)), 50))

        # /scep checklist: post it
        show("/scep checklist visit 2 (post + remember the ts)", timed(lambda: bot.command("checklist visit 2", channel=channel), 50))
        post = fake.of("chat.postMessage")[-1]
        msg = {"text": post.args["text"], "blocks": post.args["blocks"]}
        ts = post.response["ts"]
        opts = options_of(msg, 0)
        state = {"on": False}

        def click():
            state["on"] = not state["on"]
            bot.interactive(tick(fake, msg, channel, ts, 0, opts[:2] if state["on"] else [], user=LIAISON))

        show("checkbox tick (block_actions -> store -> chat.update x5)", timed(click, 100))
        show("/scep schedule visit 2 Dec 14 10am (alternating days)", timed(
            lambda: bot.command(f"schedule visit 2 Dec {14 + (time.perf_counter_ns() % 2)} 10am", channel=channel), 50))
        show("/scep next (with checklist and review badges)", timed(lambda: bot.command("next", channel=channel), 50))

        now = dates.parse_instant("2021-11-02T13:00:00Z")
        phrases = ["Dec 14 10am", "next Tuesday at 2pm", "tomorrow 3pm", "the 6th at 10am", "January", "2021-12-14 10:00"]
        show("nlp_dates.parse (6 phrases)", timed(lambda: [_safe(lambda p=p: nlp_dates.parse(p, now, "America/New_York")) for p in phrases], 100))
        st = bot.services.store
        from bot.core.schools import SchoolState

        school_state = SchoolState.read(st.view("s000000000000"))
        show("steps.resolve('visit 2')", timed(lambda: resolve(school_state, bot.services.library, now, "visit 2"), 200))
        size = len(json.dumps(st.view("s000000000000").all("steps")))
        print(f"\nschool 0's steps document after the runs: {size} bytes")
        bot.close()
    fake.stop()


def _safe(fn):
    try:
        return fn()
    except Exception:  # noqa: BLE001 - vague phrases are refused on purpose
        return None


if __name__ == "__main__":
    main()
