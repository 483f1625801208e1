"""``scep-bot sweep`` and ``scep-bot nudges``, with and without a bot running on the data directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.root.cli import main
from bot.root.clock import start_admin
from tests.harness import CHANNEL, SECRET, Bot
from tests.nudge_driver import Driver, add_people, give_roles, utc

pytestmark = pytest.mark.usefixtures("nudges_only")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data(tmp_path, fake, monkeypatch):
    """A data directory with one TSI school set up in July 2021 (the bot that made it has stopped)."""
    add_people(fake)
    bot = Bot(tmp_path / "data", fake, utc("2021-07-01T12:00:00Z"))
    bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits year:2021-22")
    give_roles(bot)
    bot.close()
    for k in [k for k in os.environ if k.startswith("SLACK_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("SCEP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SLACK_API_URL", fake.url)
    return tmp_path / "data"


def posted(fake, channel=CHANNEL):
    return [c for c in fake.of("chat.postMessage") if c.args.get("channel") == channel]


def test_nudges_prints_the_whole_calendar_in_local_time(data, capsys):
    assert main(["nudges", "--school", "lincoln", "--year", "2021-22"]) == 0
    out = capsys.readouterr().out
    assert "Lincoln Elementary" in out and "nudges at 09:00 on school days" in out
    assert "26 nudges (2021-22)" in out  # 5 visits: opens, midpoint, closing, overdue and its DM; visit 5's question for its year-end data date
    assert "Fri Oct 1 2021, 9:00 AM EDT" in out and "window opens" in out
    assert "Fri Nov 26 2021, 9:00 AM EST" in out


def test_nudges_reads_while_the_bot_runs_and_shows_what_was_sent(data, fake, capsys):
    bot = Bot(data, fake, utc("2021-10-01T13:00:00Z"))  # holds the data directory's lock
    try:
        Driver(bot).sweep(utc("2021-10-01T13:00:00Z"))
        assert main(["nudges", "--school", "Lincoln Elementary", "--year", "2021-22"]) == 0
        out = capsys.readouterr().out
        line = next(l for l in out.splitlines() if "Fri Oct 1 2021" in l)
        assert "sent (Fri Oct 1 2021, 9:00 AM EDT)" in line
        assert "before the window closes" in next(l for l in out.splitlines() if "Fri Nov 26 2021" in l)
    finally:
        bot.close()


def test_nudges_with_a_bad_school_or_year_says_what_to_type(data, capsys):
    assert main(["nudges", "--school", "Nowhere High"]) == 2
    assert "no school called 'Nowhere High'. Schools: Lincoln Elementary" in capsys.readouterr().err
    assert main(["nudges", "--school", "Lincoln", "--year", "2021"]) == 2
    assert "write it like 2026-27" in capsys.readouterr().err


def test_sweep_dry_run_here_posts_and_claims_nothing(data, fake, capsys):
    assert main(["sweep", "--at", "2021-10-01T09:00-04:00", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run: nothing claimed or posted" in out and "would send" in out and "SCEP Support Visit 1" in out
    assert posted(fake) == []


def test_sweep_here_posts_once_and_prints_it(data, fake, monkeypatch, capsys):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    assert main(["sweep", "--at", "2021-10-01T13:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "1 posted" in out and "sent" in out and "ts=" in out
    assert len(posted(fake)) == 1
    assert main(["sweep", "--at", "2021-10-01T13:00:00Z"]) == 0
    assert len(posted(fake)) == 1 and "0 posted" in capsys.readouterr().out


def test_sweep_without_a_token_or_with_a_bad_instant_says_what_to_do(data, capsys):
    assert main(["sweep", "--at", "2021-10-01T13:00:00Z"]) == 2
    assert "SLACK_BOT_TOKEN must be set to post nudges (or add --dry-run" in capsys.readouterr().err
    assert main(["sweep", "--at", "next tuesday"]) == 2
    assert "is not an ISO-8601 time" in capsys.readouterr().err


def test_sweep_while_a_bot_without_admin_endpoint_runs_is_refused_with_what_to_do(data, fake, monkeypatch, capsys):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    bot = Bot(data, fake, utc("2021-10-01T13:00:00Z"))
    try:
        assert main(["sweep", "--at", "2021-10-01T13:00:00Z"]) == 2
        err = capsys.readouterr().err
        assert "is in use by a running scep-bot" in err and "stop it and run this again" in err
        assert posted(fake) == []
    finally:
        bot.close()


def test_sweep_while_the_bot_runs_is_handed_to_it(data, fake, monkeypatch, capsys):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    bot = Bot(data, fake, utc("2021-10-01T13:00:00Z"))
    admin = start_admin(bot.services, bot.app.client)
    try:
        assert main(["sweep", "--at", "2021-10-01T13:00:00Z", "--dry-run"]) == 0
        assert "would send" in capsys.readouterr().out and posted(fake) == []
        assert main(["sweep", "--at", "2021-10-01T13:00:00Z"]) == 0
        out = capsys.readouterr().out
        assert "(handed to the running bot)" in out and "1 posted" in out
        assert len(posted(fake)) == 1
        # the bot's own sweep at the same instant finds it claimed
        Driver(bot).sweep(utc("2021-10-01T13:00:00Z"))
        assert len(posted(fake)) == 1
        assert (data / "admin.json").stat().st_mode & 0o077 == 0
    finally:
        admin.stop()
        bot.close()
    assert not (data / "admin.json").exists()


def test_the_admin_endpoint_refuses_a_wrong_token(data, fake):
    bot = Bot(data, fake, utc("2021-10-01T13:00:00Z"))
    admin = start_admin(bot.services, bot.app.client)
    try:
        port = admin.server.server_address[1]
        req = urllib.request.Request(f"http://127.0.0.1:{port}/sweep", data=b"{}", method="POST", headers={"Authorization": "Bearer wrong"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5)
        assert err.value.code == 401
        assert posted(fake) == []
    finally:
        admin.stop()
        bot.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_scep_bot_serve_takes_a_sweep_from_another_process(data, fake):
    """Two real processes: `scep-bot serve` holds the data directory, `scep-bot sweep` hands over."""
    port = _free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}, "SCEP_DATA_DIR": str(data), "PYTHONPATH": str(ROOT),
           "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.url, "HOME": str(data.parent)}
    serve = subprocess.Popen([sys.executable, "-m", "bot.root.cli", "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (data / "admin.json").exists():
            assert serve.poll() is None, serve.stdout.read()
            time.sleep(0.05)
        done = subprocess.run([sys.executable, "-m", "bot.root.cli", "sweep", "--at", "2021-10-01T09:00-04:00"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "(handed to the running bot)" in done.stdout and "SCEP Support Visit 1" in done.stdout
        opens = [c for c in posted(fake) if "SCEP Support Visit 1: the window is open" in c.args.get("text", "")]
        assert len(opens) == 1
    finally:
        serve.terminate()
        serve.wait(timeout=10)
