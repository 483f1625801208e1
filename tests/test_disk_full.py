"""A full disk (issue 10, item 8): people are told nothing was saved, /healthz says so with a 503,
the log says so once at ERROR, nothing is left in Slack that the bot could not record, and
writing resumes by itself once space is freed. On a real, small tmpfs."""

from __future__ import annotations

import json
import logging
import os
import subprocess

import pytest

from bot.calendar import dates
from bot.root.health import health_body
from tests.harness import Bot

FULL = "disk is full: nothing was saved"


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)], capture_output=True, text=True)
    if ok.returncode:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs for the disk-full test: {ok.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs here ({ok.stderr.strip()}); CI runs it as root")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def fill(directory) -> object:
    """Fill the file system of ``directory`` to the last byte; the filler file's path."""
    filler = directory / "filler.bin"
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    with open(filler, "ab", buffering=0) as fh:  # and the last few bytes a 64 KiB write could not take
        try:
            while True:
                fh.write(b"\0")
                fh.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_is_said_and_nothing_half_written(small_disk, fake, caplog):
    bot = Bot(small_disk / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"))
    try:
        assert "linked" in bot.setup().text or bot.responses()
        status, _ = health_body(bot.app, bot.services)
        assert status.startswith("200")
        school_file = next((small_disk / "data" / "schools").glob("*.json"))
        before = school_file.read_bytes()
        filler = fill(small_disk)

        with caplog.at_level(logging.WARNING, logger="scep-bot"):
            bot.command("done visit 1")
            assert FULL in bot.last_response_text()
            bot.command("done visit 1")
            assert FULL in bot.last_response_text()
            assert school_file.read_bytes() == before  # nothing half-written
            errors = [r for r in caplog.records if r.levelno == logging.ERROR and "DISK FULL" in r.getMessage()]
            assert len(errors) == 1, [r.getMessage() for r in caplog.records]

            status, body = health_body(bot.app, bot.services)
            assert status.startswith("503") and "disk full" in json.loads(body)["store"]

            # a checklist posted in the channel that the bot cannot record is taken back
            bot.command("checklist visit 1")
            posted = bot.fake.of("chat.postMessage")
            assert posted, "the checklist was not posted"
            deleted = bot.fake.of("chat.delete")
            assert deleted and deleted[-1].args["ts"] == posted[-1].response["ts"]
            assert FULL in bot.last_response_text()

            filler.unlink()  # an admin frees space: writing resumes by itself
            bot.command("done visit 1")
            assert "done" in bot.last_response_text().lower() and FULL not in bot.last_response_text()
            assert school_file.read_bytes() != before
            status, _ = health_body(bot.app, bot.services)
            assert status.startswith("200")
            assert any("space again" in r.getMessage() for r in caplog.records)
    finally:
        bot.close()
