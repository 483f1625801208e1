"""Crash safety: SIGKILL ``scep-bot serve`` at random moments while it takes notes, ticks and
schedule changes, restart it, and check that nothing it confirmed was lost.

The fake Slack Web API (``bot.emulator.FakeSlack``) runs in this process on 127.0.0.1 and
records what the bot sends. Per school three lanes run, each waiting for the bot's confirmation
of one change before making the next (as a person does):

- notes: a reply in the school's notes-prompt thread (a ``message`` event; the reply is also
  kept in the fake's thread, as Slack keeps it). Confirmed = the :memo: reaction on it. An
  event whose POST failed (bot down) is sent again after the restart with the same
  ``event_id`` and ``X-Slack-Retry-Num``, as Slack does;
- ticks: a click on one box of the school's posted checklist (``block_actions``, built from the
  message as Slack shows it: the last ``chat.update``). Confirmed = a ``chat.update`` of that
  message showing the box as clicked;
- schedule: ``/scep schedule visit 2 <a new time>``. Confirmed = the reply on its
  ``response_url`` saying it was scheduled.

After every kill, before the restart: every data file parses and opens in TinyDB
(``bot.store.check_file``), and the store holds every confirmed change: each confirmed note
(same text); each box as last confirmed, or as a click sent after it left it; the visit's date
as last confirmed or as a later request asked, and an audit entry for every confirmed date.
At the end the bot runs once more, its start-up backfill reads the prompt threads, and every
reply sent must be a note (no loss even of unconfirmed ones, no duplicates); ``scep-bot doctor``
must find nothing to restore.

    .venv/bin/python benchmarks/crash.py [--kills 100] [--schools 3] [--seed 1] [--max-run 0.8]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.slackdriver import (  # noqa: E402
    ADMIN,
    TEACHER,
    Server,
    checkbox_groups,
    reply_event,
    scep_bot,
    tick_payload,
)
from bot.calendar import dates  # noqa: E402
from bot.root.emulator import FakeSlack  # noqa: E402
from bot.store.files import INDEX_FILE, SCHOOLS_DIR, check_file  # noqa: E402
from bot.store.tinydb_store import ReadOnlyStore  # noqa: E402

BASE_NOW = dates.parse_instant("2026-11-23T14:00:00Z")  # a Monday; visit 2's window is December
TZ = ZoneInfo("America/New_York")
CONFIRM_TIMEOUT = 5.0


class Confirmations:
    """Indexes the fake's recorded calls as they come: reactions, response_url replies, chat.updates."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.cond = threading.Condition()
        self.reacted: set[str] = set()
        self.responses: dict[str, list[str]] = {}
        self.updates: dict[tuple[str, str], list[tuple[int, list[dict[str, Any]]]]] = {}
        self.posts: list[dict[str, Any]] = []
        self.n = 0
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True, name="confirmations")
        self.thread.start()

    def _run(self) -> None:
        while not self._stop:
            with self.fake.lock:
                new = self.fake.calls[self.n:]
            if new:
                with self.cond:
                    for c in new:
                        self.n += 1
                        if c.method == "reactions.add":
                            self.reacted.add(str(c.args.get("timestamp")))
                        elif c.method == "response_url":
                            self.responses.setdefault(c.path.rsplit("/", 1)[-1], []).append(str(c.args.get("text") or ""))
                        elif c.method == "chat.update":
                            blocks = c.args.get("blocks") or []
                            if isinstance(blocks, str):
                                blocks = json.loads(blocks)
                            self.updates.setdefault((c.args.get("channel"), c.args.get("ts")), []).append((self.n, blocks))
                        elif c.method == "chat.postMessage":
                            self.posts.append({**c.args, "_ts": (c.response or {}).get("ts")})
                    self.cond.notify_all()
            time.sleep(0.003)

    def wait(self, pred, timeout: float, abort=lambda: False) -> Any:
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                got = pred()
                if got or abort() or time.monotonic() >= end:
                    return got
                self.cond.wait(0.02)

    def stop(self) -> None:
        self._stop = True


@dataclass
class School:
    n: int
    channel: str
    sid: str = ""
    thread_ts: str = ""
    ck_ts: str = ""
    ck_blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Figures:
    kills: int = 0
    notes_sent: int = 0
    notes_confirmed: int = 0
    notes_resent: int = 0
    ticks_sent: int = 0
    ticks_confirmed: int = 0
    schedules_sent: int = 0
    schedules_confirmed: int = 0
    checks: int = 0  # confirmed changes checked against the store (summed over every restart)
    losses: list[str] = field(default_factory=list)
    bad_files: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)
    recovered: int = 0  # notes sent but never confirmed, found in the store at the end (start-up backfill)
    unsaved_at_end: int = 0
    restart_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0
    doctor: str = ""
    error_lines: int = 0


class Crash:
    def __init__(self, workdir: Path, schools: int, seed: int, max_run: float) -> None:
        self.rnd = random.Random(seed)
        self.max_run = max_run
        self.fake = FakeSlack().start()
        self.fake.add_user(ADMIN, "ada.admin", admin=True)
        self.fake.add_user(TEACHER, "tess.teacher")
        self.conf = Confirmations(self.fake)
        self.workdir = workdir
        self.server = Server(workdir / "data", self.fake, log_path=workdir / "server.log")
        self.t0 = time.monotonic()
        self.schools = [School(i, f"C0CRASH{i:02d}") for i in range(schools)]
        self.fig = Figures()
        self.up = threading.Event()
        self.gen = 0
        self.stop = False
        self.idle = threading.Semaphore(0)
        self.lock = threading.Lock()
        # what was sent and confirmed
        self.notes: dict[str, tuple[str, str, str, bool]] = {}  # ts -> (school channel, thread, text, confirmed)
        self.retry_events: list[tuple[dict[str, Any], str, int]] = []
        self.ticks: dict[str, dict[str, tuple[bool, list[bool]]]] = {}  # channel -> item -> (confirmed value, later unconfirmed values)
        self.sched: dict[str, tuple[str | None, list[str], list[str]]] = {}  # channel -> (confirmed, unconfirmed later, all confirmed)
        self.seq = 0

    def now_text(self) -> str:
        return (BASE_NOW + timedelta(seconds=time.monotonic() - self.t0)).isoformat()

    def next_seq(self) -> int:
        with self.lock:
            self.seq += 1
            return self.seq

    # ------------------------------------------------------------ setup (no kills)
    def setup(self) -> None:
        self.fig.restart_seconds.append(self.server.start(self.now_text()))
        self.up.set()
        for s in self.schools:
            self._cmd(s, f"setup Crash School {s.n} model:TSI cycles:nysed-tsi-visits,nysed-planning-sessions", expect="linked")
            before = len(self.conf.posts)
            self._cmd(s, "notes start visit 1", expect="Posted the notes prompt")
            post = self.conf.wait(lambda: next((p for p in self.conf.posts[before:] if p.get("channel") == s.channel and "Notes for" in str(p.get("text"))), None), 5)
            assert post, "no notes prompt posted"
            s.thread_ts = post["_ts"]
            before = len(self.conf.posts)
            status, _ = self.server.command("checklist visit 2", channel=s.channel, key=f"ck{s.n}")
            post = self.conf.wait(lambda: next((p for p in self.conf.posts[before:] if p.get("channel") == s.channel and p.get("blocks")), None), 5)
            assert post, "no checklist posted"
            s.ck_ts = post["_ts"]
            s.ck_blocks = post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"])
            self.ticks[s.channel] = {v: (v in sel, []) for _, _, vals, sel in checkbox_groups(s.ck_blocks) for v in vals}
            self.sched[s.channel] = (None, [], [])
        # the prompt and the checklist post are remembered once their ts is known (after the post)
        end = time.monotonic() + 5
        while time.monotonic() < end:
            store = ReadOnlyStore(self.server.data_dir)
            try:
                for s in self.schools:
                    s.sid = store.school_for_channel("T0DEMO001", s.channel) or ""
                if all(s.sid and store.view(s.sid).get("prompts", f"{s.channel}:{s.thread_ts}") for s in self.schools):
                    break
            finally:
                store.close()
            time.sleep(0.05)
        assert all(s.sid for s in self.schools), "schools not set up"

    def _cmd(self, s: School, text: str, expect: str) -> None:
        key = f"setup-{s.n}-{self.next_seq()}"
        self.server.command(text, channel=s.channel, key=key)
        got = self.conf.wait(lambda: self.conf.responses.get(key), 5)
        assert got and any(expect in t for t in got), f"/scep {text}: {got}"

    # ------------------------------------------------------------ lanes
    def _wait_up(self) -> int:
        self.idle.release()
        while not self.up.is_set():
            if self.stop:
                return -1
            self.up.wait(0.05)
        self.idle.acquire(blocking=False)
        return self.gen

    def _confirm(self, pred, gen: int) -> Any:
        got = self.conf.wait(pred, CONFIRM_TIMEOUT, abort=lambda: self.gen != gen)
        if not got and self.gen != gen:
            got = pred()  # the kill is complete: anything the bot sent is recorded by now
        return got

    def notes_lane(self, s: School) -> None:
        k = 0
        while not self.stop:
            gen = self._wait_up()
            if gen < 0:
                return
            with self.lock:
                retry = [r for r in self.retry_events if r[0]["channel"] == s.channel]
                self.retry_events = [r for r in self.retry_events if r[0]["channel"] != s.channel]
            for ev, eid, n in retry:
                try:
                    self.server.event(ev, event_id=eid, retry=n)
                    self.fig.notes_resent += 1
                except OSError:
                    with self.lock:
                        self.retry_events.append((ev, eid, n + 1))
            k += 1
            seq = self.next_seq()
            ts = f"{1795000000 + seq}.{s.n:03d}{k % 1000:03d}"
            text = f"Crash note {seq} from school {s.n}: families came to literacy night ({k})."
            ev = reply_event(s.channel, s.thread_ts, ts, text)
            self.fake.add_reply(s.channel, s.thread_ts, TEACHER, text, ts=ts)  # Slack keeps the reply
            with self.lock:
                self.notes[ts] = (s.channel, s.thread_ts, text, False)
            self.fig.notes_sent += 1
            eid = f"Ev{seq:010d}"
            try:
                self.server.event(ev, event_id=eid)
            except OSError:
                with self.lock:
                    self.retry_events.append((ev, eid, 1))
            if self._confirm(lambda: ts in self.conf.reacted, gen):
                with self.lock:
                    self.notes[ts] = (s.channel, s.thread_ts, text, True)
                self.fig.notes_confirmed += 1

    def ticks_lane(self, s: School) -> None:
        groups = checkbox_groups(s.ck_blocks)
        while not self.stop:
            gen = self._wait_up()
            if gen < 0:
                return
            g = self.rnd.randrange(len(groups))
            shown = checkbox_groups(s.ck_blocks)[g]
            item = self.rnd.choice(shown[2])
            want = item not in shown[3]
            selected = [v for v in shown[3] if v != item] + ([item] if want else [])
            payload = tick_payload(self.fake, s.channel, s.ck_ts, s.ck_blocks, g, selected)
            key = (s.channel, s.ck_ts)
            with self.conf.cond:
                seen = len(self.conf.updates.get(key, []))
            with self.lock:
                conf_v, later = self.ticks[s.channel][item]
                self.ticks[s.channel][item] = (conf_v, later + [want])
            self.fig.ticks_sent += 1
            try:
                self.server.interactive(payload)
            except OSError:
                continue
            def shows(blocks) -> dict[str, bool]:
                return {v: (v in sel) for _, _, vals, sel in checkbox_groups(blocks) for v in vals}

            # other changes (a schedule change) refresh the message too: wait for the update showing this click
            got = self._confirm(lambda: any(shows(b).get(item) == want for _, b in self.conf.updates.get(key, [])[seen:]), gen)
            with self.conf.cond:
                updates = self.conf.updates.get(key, [])[seen:]
            if not got:
                continue  # not confirmed (killed, or slower than CONFIRM_TIMEOUT): allowed either way by the checks
            blocks = updates[-1][1]  # what Slack shows now: the last update (sent in render order)
            shown_now = shows(blocks)
            if shown_now.get(item) != want:
                self.fig.anomalies.append(f"tick {item} -> {want}: the last update of the message shows {shown_now.get(item)}")
            s.ck_blocks = blocks  # every box shown is confirmed
            with self.lock:
                for v, on in shown_now.items():
                    self.ticks[s.channel][v] = (on, [])
            self.fig.ticks_confirmed += 1

    def schedule_lane(self, s: School) -> None:
        while not self.stop:
            gen = self._wait_up()
            if gen < 0:
                return
            j = self.next_seq()
            day = 1 + j % 28
            hour = (9, 10, 11, 13, 14, 15)[(j // 28) % 6]
            minute = (j // 168) % 60
            local = datetime(2026, 12, day, hour, minute, tzinfo=TZ)
            expected = local.astimezone(dates.UTC).isoformat()
            h12 = hour if hour <= 12 else hour - 12
            text = f"schedule visit 2 December {day} 2026 {h12}:{minute:02d}{'am' if hour < 12 else 'pm'}"
            key = f"sch-{s.n}-{j}"
            with self.lock:
                conf, later, allc = self.sched[s.channel]
                self.sched[s.channel] = (conf, later + [expected], allc)
            self.fig.schedules_sent += 1
            try:
                self.server.command(text, channel=s.channel, key=key)
            except OSError:
                continue
            got = self._confirm(lambda: self.conf.responses.get(key), gen)
            if not got:
                continue
            if not any("scheduled" in t for t in got):
                self.fig.anomalies.append(f"/scep {text}: {got[0][:200]}")
                continue
            with self.lock:
                conf, later, allc = self.sched[s.channel]
                self.sched[s.channel] = (expected, [], allc + [expected] if "already scheduled" not in got[0] else allc)
            self.fig.schedules_confirmed += 1

    # ------------------------------------------------------------ checks
    def check_files(self) -> None:
        root = self.server.data_dir
        for path in [root / INDEX_FILE, *sorted((root / SCHOOLS_DIR).glob("*.json"))]:
            problem = check_file(path)
            if problem:
                self.fig.bad_files.append(problem)

    def check_store(self, final: bool = False) -> None:
        store = ReadOnlyStore(self.server.data_dir)
        try:
            for s in self.schools:
                view = store.view(s.sid)
                notes = view.all("notes")
                with self.lock:
                    sent = [(ts, v) for ts, v in self.notes.items() if v[0] == s.channel]
                    ticks = dict(self.ticks[s.channel])
                    conf, later, allc = self.sched[s.channel]
                for ts, (_, _, text, confirmed) in sent:
                    note = notes.get(f"{s.channel}:{ts}")
                    if confirmed:
                        self.fig.checks += 1
                        if note is None or note.get("text") != text:
                            self.fig.losses.append(f"confirmed note {ts} of {s.channel}: {'missing' if note is None else 'text differs'}")
                    if final and not confirmed:
                        if note is not None:
                            self.fig.recovered += 1
                        else:
                            self.fig.unsaved_at_end += 1
                stored = (view.get("steps", "2026-27:nysed-tsi-visits/visit-2") or {})
                have = set(((stored.get("checklist") or {}).get("ticks") or {}))
                for item, (value, unconfirmed) in ticks.items():
                    self.fig.checks += 1
                    if (item in have) != value and (item in have) not in unconfirmed:
                        self.fig.losses.append(f"box {item} of {s.channel}: stored {item in have}, confirmed {value}, later clicks {unconfirmed}")
                at = stored.get("scheduled_at")
                if conf is not None:
                    self.fig.checks += 1
                    ok = [dates.parse_instant(x) for x in [conf, *later]]
                    if at is None or dates.parse_instant(at) not in ok:
                        self.fig.losses.append(f"visit 2 of {s.channel}: stored {at}, confirmed {conf}, later requests {later}")
                audited = {dates.parse_instant(e["after"]) for e in view.all("audit").values() if e.get("what") == "scheduled" and e.get("after")}
                for c in allc:
                    self.fig.checks += 1
                    if dates.parse_instant(c) not in audited:
                        self.fig.losses.append(f"confirmed date {c} of {s.channel} has no audit entry")
        finally:
            store.close()

    # ------------------------------------------------------------ run
    def run(self, kills: int) -> Figures:
        started = time.monotonic()
        self.setup()
        lanes = []
        for s in self.schools:
            for fn in (self.notes_lane, self.ticks_lane, self.schedule_lane):
                t = threading.Thread(target=fn, args=(s,), daemon=True, name=f"{fn.__name__}-{s.n}")
                t.start()
                lanes.append(t)
        for _ in range(kills):
            time.sleep(self.rnd.uniform(0.02, self.max_run))
            self.up.clear()
            self.server.kill()
            time.sleep(0.03)  # let the fake finish recording what reached it before the kill
            self.gen += 1
            self.fig.kills += 1
            for _ in lanes:  # every lane has settled its in-flight change
                self.idle.acquire(timeout=CONFIRM_TIMEOUT + 2)
            self.check_files()
            self.check_store()
            self.fig.restart_seconds.append(self.server.start(self.now_text()))
            self.up.set()
        self.stop = True
        self.up.clear()
        for t in lanes:
            t.join(timeout=CONFIRM_TIMEOUT + 2)
        # Slack's last retries, then the start-up backfill must find every reply sent
        for ev, eid, n in self.retry_events:
            try:
                self.server.event(ev, event_id=eid, retry=n)
            except OSError:
                pass
        self.server.stop()
        self.fig.restart_seconds.append(self.server.start(self.now_text()))
        end = time.monotonic() + 30
        while time.monotonic() < end:
            store = ReadOnlyStore(self.server.data_dir)
            try:
                have = sum(len(store.view(s.sid).all("notes")) for s in self.schools)
            finally:
                store.close()
            if have >= len(self.notes):
                break
            time.sleep(0.2)
        self.server.stop()
        self.check_files()
        self.check_store(final=True)
        doctor = subprocess.run([*scep_bot(), "doctor"], env=self.server.env(), capture_output=True, text=True, timeout=60)
        self.fig.doctor = (doctor.stdout + doctor.stderr).strip()
        log = (self.workdir / "server.log").read_text(errors="replace") if (self.workdir / "server.log").exists() else ""
        self.fig.error_lines = sum(1 for line in log.splitlines() if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback"))
        self.fig.seconds = time.monotonic() - started
        self.conf.stop()
        self.fake.stop()
        return self.fig


def report(fig: Figures) -> str:
    rs = sorted(fig.restart_seconds)
    lines = [
        f"kills: {fig.kills} (SIGKILL at random moments), time {fig.seconds:.1f}s, restart to /healthz p50 {rs[len(rs) // 2]:.2f}s max {rs[-1]:.2f}s",
        f"notes: {fig.notes_sent} sent, {fig.notes_confirmed} confirmed (reaction), {fig.notes_resent} re-sent as Slack retries",
        f"ticks: {fig.ticks_sent} clicks, {fig.ticks_confirmed} confirmed (chat.update)",
        f"schedule changes: {fig.schedules_sent} sent, {fig.schedules_confirmed} confirmed (response_url)",
        f"confirmed changes checked against the store (after every kill): {fig.checks}",
        f"losses: {len(fig.losses)}   damaged data files: {len(fig.bad_files)}   anomalies: {len(fig.anomalies)}",
        f"at the end: {fig.recovered} unconfirmed notes saved by the start-up backfill, {fig.unsaved_at_end} replies never saved",
        f"scep-bot doctor: {fig.doctor}",
        f"ERROR/CRITICAL/traceback lines in the server log: {fig.error_lines}",
    ]
    for what, items in (("LOSS", fig.losses), ("BAD FILE", fig.bad_files), ("ANOMALY", fig.anomalies)):
        lines += [f"  {what}: {x}" for x in items[:10]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kills", type=int, default=100)
    p.add_argument("--schools", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-run", type=float, default=0.8, help="longest run between two kills, seconds")
    p.add_argument("--keep", action="store_true", help="keep the data directory and the server log")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="scep-crash-"))
    try:
        fig = Crash(work, args.schools, args.seed, args.max_run).run(args.kills)
        print(report(fig))
    finally:
        if args.keep:
            print(f"data and log kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    bad = fig.losses or fig.bad_files or fig.anomalies or fig.unsaved_at_end or "restored" in fig.doctor
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
