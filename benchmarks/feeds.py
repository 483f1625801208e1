"""Calendar feed and picture render times.

    .venv/bin/python -m benchmarks.feeds [--runs 20]

Seeds 100 schools (every cycle, four zones, a scheduled visit each) with one liaison in all of
them, then times ``bot.feeds.access.fetch`` (token lookup, the role check, every school's steps,
the text) for a one-school feed and the liaison's 100-school feed, cold (every school's events
rendered afresh, every memo cleared as after a restart) and warm (schools unchanged since the last fetch: their events are reused), and
the PNG of one school's year and of a 50-school district. Prints the median and the worst of ``--runs`` runs, in milliseconds. Target: a 100-school
feed in under 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.seed import seed
from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.core import progress
from bot.core.schools import SchoolState, iso
from bot.feeds import ics, tokens
from bot.feeds.access import fetch
from bot.pictures import district
from bot.pictures.year import render
from bot.root.emulator import TEAM_ID
from bot.root.settings import Settings
from bot.root.store import open_store
from bot.store.schema import PROFILE, STEP_KIND

LIAISON = "UBENCH001"
NOW = dates.parse_instant("2021-11-02T13:00:00Z")


def timed(fn, runs: int) -> tuple[float, float]:
    fn()  # warm: imports, the spans cache
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out), max(out)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=20)
    runs = p.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        pairs = seed(data, 100, all_cycles=True)
        store = open_store(Settings(data_dir=data))
        library = CycleLibrary.load(data / "cycles")
        for n, (sid, _ch) in enumerate(pairs):
            with store.transaction(sid) as tx:
                prof = tx.get(*PROFILE)
                prof["roles"] = {"liaison": [LIAISON], "principal": [f"UPRI{n:05d}"]}
                tx.put(*PROFILE, prof)
                tx.put(STEP_KIND, "2021-22:nysed-tsi-visits/visit-2", {"scheduled_at": iso(NOW + timedelta(days=30, hours=n % 8)), "schedule_rev": 1})
        one = tokens.issue(store, user="UPRI00000", team=TEAM_ID, scope="school", school_id=pairs[0][0], channel_id=pairs[0][1], now=NOW)
        many = tokens.issue(store, user=LIAISON, team=TEAM_ID, scope="all", school_id=None, channel_id=None, now=NOW)
        size_one, size_many = len(fetch(store, library, NOW, one)), len(fetch(store, library, NOW, many))
        def cold(token):
            # every school's events rendered afresh, as after a restart: the per-school text, the
            # dated steps and their formatted dates shared by schools are all forgotten
            ics._CACHE.clear()
            ics._STEP_TEXT.clear()
            progress._DATED.clear()
            return fetch(store, library, NOW, token)

        f1 = timed(lambda: cold(one), runs)
        f100 = timed(lambda: cold(many), max(5, runs // 2))
        w1 = timed(lambda: fetch(store, library, NOW, one), runs)
        w100 = timed(lambda: fetch(store, library, NOW, many), runs)
        state = SchoolState.read(store.view(pairs[0][0]))
        pic = timed(lambda: render(state, library, NOW).png(), max(5, runs // 2))
        fifty = [SchoolState.read(store.view(sid)) for sid, _ in pairs[:50]]
        dist = timed(lambda: district.render(fifty, library, NOW).png(), 3)
        store.close()
    print(f"feed, 1 school (all four cycles), cold:  median {f1[0]:7.1f} ms, worst {f1[1]:7.1f} ms, {size_one / 1024:.0f} KiB")
    print(f"feed, 100 schools (one liaison), cold:   median {f100[0]:7.1f} ms, worst {f100[1]:7.1f} ms, {size_many / 1024:.0f} KiB"
          f"  (target < 100 ms: {'met' if f100[0] < 100 else 'NOT met'})")
    print(f"feed, 1 school, unchanged since the last fetch: median {w1[0]:7.1f} ms, worst {w1[1]:7.1f} ms")
    print(f"feed, 100 schools, unchanged since the last fetch: median {w100[0]:7.1f} ms, worst {w100[1]:7.1f} ms")
    print(f"picture of one school's year (PNG): median {pic[0]:7.1f} ms, worst {pic[1]:7.1f} ms")
    print(f"district picture, 50 schools (PNG): median {dist[0]:7.1f} ms, worst {dist[1]:7.1f} ms")



if __name__ == "__main__":
    main()
