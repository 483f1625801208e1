"""Many realistic schools, fast: a few made through the real app, then copied file by file.

``templates()`` makes ``len(KINDS)`` schools in a scratch TinyDB data directory through the real
Bolt app (signed commands and events, as Slack sends them): set up with cycles, roles (liaison,
principal, a team member), commitments, some steps scheduled or done, notes prompts and notes in
their threads; each kind is a school further along the year. ``seed_tiny()`` then writes
``schools`` schools as copies of those files (the school id, channel, name and workspace swapped
in the JSON text, and its liaison one of ``LIAISONS``: what the store would have written for that
school), and the index. Seconds
for 100,000 schools, where the store port takes minutes to hours.

``seed_pg()`` copies such a data directory into PostgreSQL with COPY, row for row what
``scep-bot migrate --from`` (bot/store/transfer.py: one transaction per school) writes: a
``schools`` row at revision 1 with its binding and ``next_due`` unknown, each document at
revision 1, each setting. ``check_pg()`` reads schools back through both stores' ports and
compares them document by document (bot/store/transfer.py's own check).
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from bot.root.emulator import TEAM_ID, FakeSlack
from bot.store.tinydb_migrations import DATA_VERSION, VERSION_KEY

NOW = "2021-11-02T13:00:00Z"  # the app's clock while the templates are made (Tue Nov 2 2021)
TPL_CHANNEL = "C0TPLSCH1"
TPL_NAME = "Template School Name"
LIAISONS = 500  # the template's liaison becomes one of these in each copy (each has ~1 in 500 schools)
COMMITMENTS = ("Every student reads daily", "Family partnership", "Data-driven instruction")
NOTE = "C{c}: the literacy block ran daily in grades 3-5; family night had 40 families; next: attendance data by grade"
# what each kind of school has done by Nov 2 (0: just set up; 3: visits 1 and 2 held, many notes)
KINDS = (
    {"done": [], "scheduled": [], "notes": 0},
    {"done": ["visit 1"], "scheduled": ["visit 2 December 8 2021 10am"], "notes": 4},
    {"done": ["visit 1"], "scheduled": ["visit 2 November 18 2021 1pm"], "notes": 12},
    {"done": ["visit 1", "visit 2"], "scheduled": ["visit 3 January 12 2022 9am"], "notes": 30},
)


def team_of(n: int, workspaces: int) -> str:
    return TEAM_ID if workspaces == 1 else f"T{n % workspaces:08d}"


def templates() -> tuple[list[tuple[str, str]], dict]:
    """The template schools: [(school id, file text)] in KINDS order, and the settings written."""
    from tests.harness import ADMIN, Bot
    from tests.notes_helpers import reply, ts_at

    from bot.calendar import dates

    tmp = Path(tempfile.mkdtemp(prefix="scep-templates-"))
    fake = people(FakeSlack().start())
    try:
        bot = Bot(tmp, fake, dates.parse_instant(NOW))
        out = []
        for i, kind in enumerate(KINDS):
            channel = TPL_CHANNEL[:-1] + str(i + 1)
            bot.setup(f"{TPL_NAME} model:TSI cycles:nysed-tsi-visits,nysed-planning-sessions", channel=channel)
            assert "Set up" in bot.last_response_text() or bot.services.store.school_for_channel(TEAM_ID, channel), bot.last_response_text()
            bot.command("roles liaison:<@U0LIAIS01> principal:<@U0PRINC01> team:<@U0TEAMM01>", channel=channel)
            bot.command("commitments " + " ".join(f'"{c}"' for c in COMMITMENTS), channel=channel)
            for step in kind["done"]:
                bot.command(f"done {step}", channel=channel, user="U0LIAIS01")
            for text in kind["scheduled"]:
                bot.command(f"schedule {text}", channel=channel, user="U0LIAIS01")
            if kind["notes"]:
                thread = _prompt(bot, channel)
                for k in range(kind["notes"]):
                    ans = reply(bot, NOTE.format(c=k % 3 + 1), thread_ts=thread, ts=ts_at(NOW, 100 + k), channel=channel)
                    assert ans.status == 200
            sid = bot.services.store.school_for_channel(TEAM_ID, channel)
            out.append((sid, channel))
        bot.close()
        files = [(sid, (tmp / "schools" / f"{sid}.json").read_text()) for sid, _ in out]
        index = json.loads((tmp / "index.json").read_text())
        for (sid, channel), (_, text) in zip(out, files):
            assert sid in text and channel in text
        return [(sid, text.replace(ch, TPL_CHANNEL)) for (sid, ch), (_, text) in zip(out, files)], index.get("settings", {})
    finally:
        fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def people(fake: FakeSlack) -> FakeSlack:
    """The workspace's members the templates name, known to the fake Slack."""
    fake.add_user("U0ADMIN01", "ada.admin", admin=True)
    for uid, name in (("U0LIAIS01", "lia"), ("U0PRINC01", "pat"), ("U0TEAMM01", "tam"), ("U0TEACH01", "tess")):
        fake.add_user(uid, name)
    for k in range(LIAISONS):
        fake.add_user(liaison(k), f"liaison{k}")
    return fake


def liaison(k: int) -> str:
    return f"UL{k % LIAISONS:07d}"


def _prompt(bot, channel: str) -> str:
    before = set(bot.fake.posted)
    bot.command("notes start visit 1", channel=channel)
    new = [k for k in bot.fake.posted if k not in before and k[0] == channel]
    assert new, bot.last_response_text()
    return new[-1][1]


def school_id(n: int) -> str:
    return f"s{n:012d}"


def channel_id(n: int) -> str:
    return f"C{n:08d}"


def seed_tiny(data_dir: Path, schools: int, workspaces: int = 1, rnd_seed: int = 7) -> dict[str, int]:
    """``schools`` schools copied from the templates (kinds drawn at random), school n in workspace
    n % workspaces; returns how many of each kind."""
    tpls, settings = templates()
    rnd = random.Random(rnd_seed)
    (data_dir / "schools").mkdir(parents=True, exist_ok=True)
    index = {"schools": {}, "settings": settings, VERSION_KEY: DATA_VERSION}
    counts: dict[str, int] = {}
    for n in range(schools):
        k = rnd.choices(range(len(tpls)), weights=(2, 3, 3, 2))[0]
        counts[f"kind {k}"] = counts.get(f"kind {k}", 0) + 1
        tpl_sid, text = tpls[k]
        sid, ch, name, team = school_id(n), channel_id(n), f"School {n:06d}", team_of(n, workspaces)
        text = text.replace(tpl_sid, sid).replace(TPL_CHANNEL, ch).replace(TPL_NAME, name).replace('"U0LIAIS01"', f'"{liaison(n)}"')
        if team != TEAM_ID:
            text = text.replace(f'"{TEAM_ID}"', f'"{team}"')
        (data_dir / "schools" / f"{sid}.json").write_text(text)
        index["schools"][sid] = {"school_id": sid, "name": name, "team_id": team, "channel_id": ch}
    (data_dir / "index.json").write_text(json.dumps(index))
    return counts


def seed_pg(url: str, data_dir: Path) -> None:
    """The data directory's schools and settings into a migrated, empty database, with COPY."""
    import psycopg

    from bot.store.postgres_store import _dumps
    from bot.store.tinydb_docs import META

    index = json.loads((data_dir / "index.json").read_text())
    files = sorted((data_dir / "schools").glob("*.json"))
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY schools (school_id, revision, name, team_id, channel_id) FROM STDIN") as cp:
            for path in files:
                e = index["schools"].get(path.stem) or {}
                cp.write_row((path.stem, 1, e.get("name"), e.get("team_id"), e.get("channel_id")))
        with cur.copy("COPY documents (school_id, kind, key, rev, doc) FROM STDIN") as cp:
            for path in files:  # the file's tables, each document without TinyDB's "_key" (TinyStore.documents)
                for kind, table in json.loads(path.read_text()).items():
                    if kind == META[0]:
                        continue
                    for doc in table.values():
                        cp.write_row((path.stem, kind, doc["_key"], 1, _dumps({k: v for k, v in doc.items() if k != "_key"})))
        for key, value in index["settings"].items():
            cur.execute("INSERT INTO settings (key, value) VALUES (%s, %s::jsonb)", (key, _dumps(value)))
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE")


def check_pg(url: str, data_dir: Path, every: int = 1) -> tuple[int, list[str]]:
    """Every ``every``-th school read back through both ports and compared (transfer's check)."""
    from collections import Counter

    from bot.store.postgres_store import PostgresStore
    from bot.store.tinydb_store import TinyStore
    from bot.store.transfer import TransferReport, _check_school, _entry

    src, dst = TinyStore(data_dir), PostgresStore(url, pool_size=2)
    report = TransferReport(kinds=Counter())
    try:
        ids = src.stored_school_ids()[::every]
        for sid in ids:
            _check_school(dst, sid, _entry(src.index_entry(sid)), src.documents(sid), report)
        if src.settings() != dst.settings():
            report.problems.append("settings differ")
        return report.schools, report.problems
    finally:
        src.close()
        dst.close()


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def timed(what: str, fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    print(f"{what}: {time.perf_counter() - t:.1f} s (load average {load_average()})", flush=True)
    return out
