"""Seed a data directory with many schools, written straight in the store's file format."""

from __future__ import annotations

import json
import random
from pathlib import Path

from bot.root.emulator import TEAM_ID
from bot.store.tinydb_migrations import DATA_VERSION, VERSION_KEY

CYCLE_SETS = [
    ["nysed-tsi-visits", "nysed-planning-sessions"],
    ["nysed-planning-sessions"],
    ["sezp-planning"],
    ["nysed-tsi-visits", "nysed-planning-sessions", "sezp-planning", "district-plan-review"],
]
ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]


def seed(data_dir: Path, schools: int, *, all_cycles: bool = False, seed_value: int = 7) -> list[tuple[str, str]]:
    """Write ``schools`` schools; returns (school_id, channel_id) pairs."""
    rnd = random.Random(seed_value)
    (data_dir / "schools").mkdir(parents=True, exist_ok=True)
    index = {"schools": {}, "settings": {}, VERSION_KEY: DATA_VERSION}  # written at this version's layout
    out = []
    for n in range(schools):
        sid = f"s{n:012d}"
        channel = f"C{n:09d}"
        cycles = CYCLE_SETS[-1] if all_cycles else CYCLE_SETS[n % len(CYCLE_SETS)]
        profile = {
            "_key": "profile", "school_id": sid, "name": f"School {n:05d}", "team_id": TEAM_ID, "channel_id": channel,
            "model": rnd.choice(["TSI", "ATSI", "CSI"]), "cycles": cycles, "tz": rnd.choice(ZONES), "min_year": None,
            "roles": {"liaison": [f"U{n % 50:08d}"]}, "commitments": [], "holidays": [], "created_at": "", "created_by": "",
        }
        data = {"school": {"1": profile}, "steps": {}}
        (data_dir / "schools" / f"{sid}.json").write_text(json.dumps(data))
        index["schools"][sid] = {"school_id": sid, "name": profile["name"], "team_id": TEAM_ID, "channel_id": channel}
        out.append((sid, channel))
    (data_dir / "index.json").write_text(json.dumps(index))
    return out
