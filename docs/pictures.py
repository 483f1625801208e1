"""Draw the pictures the README shows, from a demo workspace built in a temporary directory.

    .venv/bin/python docs/pictures.py            # writes docs/year-picture.png, docs/district-picture.png
    .venv/bin/python docs/pictures.py --out DIR  # somewhere else (tests/test_docs_pictures.py compares)

- ``year-picture.png``: the demo school (Lincoln Elementary, TSI: the support visits, the
  planning sessions and the SEZP plan) on Mon Dec 6 2021: visit 1 held and done, visit 2
  scheduled, a DRAFT handed in, the district's winter recess and the state's holidays shaded.
- ``district-picture.png``: 50 schools of benchmarks/seed.py on Tue Nov 2 2021.

Everything goes through the bot's own code (setup, marking done, scheduling, the district's
closures, the renderers); the clock is fixed, so the pictures only change when the code does.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the repository's packages first

from benchmarks.seed import seed  # noqa: E402
from bot.calendar import dates  # noqa: E402
from bot.calendar.cycle_files import CycleLibrary  # noqa: E402
from bot.core.context import Ctx  # noqa: E402
from bot.core.school_calendar import read_school  # noqa: E402
from bot.core.schools import SchoolState  # noqa: E402
from bot.core.steps import mark_done, resolve, set_schedule  # noqa: E402
from bot.pictures import district  # noqa: E402
from bot.pictures.year import year_png  # noqa: E402
from bot.root.emulator import TEAM_ID  # noqa: E402
from bot.root.settings import Settings  # noqa: E402
from bot.root.store import open_store  # noqa: E402
from bot.store.schema import DISTRICT_HOLIDAYS_SETTING  # noqa: E402

YEAR_NOW = dates.parse_instant("2021-12-06T15:00:00Z")
DISTRICT_NOW = dates.parse_instant("2021-11-02T13:00:00Z")
LIAISON = "U0DEMO001"


def demo_year(data: Path) -> bytes:
    from bot.setup.apply import apply_setup

    store = open_store(Settings(data_dir=data))
    library = CycleLibrary.load()
    try:
        ctx = Ctx(store, library, dates.parse_instant("2021-09-07T13:00:00Z"), TEAM_ID, "C0DEMO001", LIAISON)
        apply_setup(ctx, {"name": "Lincoln Elementary", "model": "TSI",
                          "cycles": "nysed-tsi-visits,nysed-planning-sessions"})
        store.set_setting(DISTRICT_HOLIDAYS_SETTING, [{"dates": "2021-12-27..2021-12-31", "name": "Winter recess", "source": "district"},
                                                      {"dates": "2022-02-21..2022-02-25", "name": "Midwinter recess", "source": "district"},
                                                      {"dates": "2022-04-15..2022-04-22", "name": "Spring recess", "source": "district"}])
        sid = store.school_for_channel(TEAM_ID, "C0DEMO001")
        state = read_school(store, sid)
        with store.transaction(sid) as tx:
            for step, at, done in (("visit 1", "2021-11-03T13:00:00Z", True), ("visit 2", "2021-12-14T15:00:00Z", False),
                                   ("session 1", "2021-10-19T18:00:00Z", True)):
                ref = resolve(state, library, YEAR_NOW, step)
                set_schedule(tx, ref, dates.parse_instant(at), LIAISON, YEAR_NOW)
                if done:
                    mark_done(tx, ref, None, LIAISON, YEAR_NOW)
        return year_png(read_school(store, sid), library, YEAR_NOW)
    finally:
        store.close()


def demo_district(data: Path) -> bytes:
    pairs = seed(data, 50)
    store = open_store(Settings(data_dir=data))
    try:
        library = CycleLibrary.load(data / "cycles") if (data / "cycles").exists() else CycleLibrary.load()
        states = [SchoolState.read(store.view(sid)) for sid, _ in pairs]
        return district.render(states, library, DISTRICT_NOW).png()
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs"), help="the directory to write the PNGs to (default: docs/)")
    out = Path(ap.parse_args(argv).out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        (out / "year-picture.png").write_bytes(demo_year(Path(tmp) / "year"))
        (out / "district-picture.png").write_bytes(demo_district(Path(tmp) / "district"))
    print(f"wrote {out / 'year-picture.png'} and {out / 'district-picture.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
