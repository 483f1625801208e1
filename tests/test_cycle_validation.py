"""Cycle files a district can maintain: an impossible date (2021-11-31) or any other bad value is
an error naming the file, the line, the step and the field, never a traceback; a bad district file
in $SCEP_DATA_DIR/cycles/ is skipped and listed by /scep cycles, and the bot starts."""

from __future__ import annotations

import pytest

from bot.calendar.cycle_files import CycleLibrary, parse_cycle
from bot.calendar.cycles import CycleError
from bot.root.console import mrkdwn_to_text
from tests.test_running import run_cli

GOOD = """\
id: my-visits
title: My Visits
reference_year: 2021-22
steps:
  - id: v1
    title: Visit 1
    kind: visit
    owner: liaison
    window:
      opens: 2021-11-01
      closes: {closes}
"""


@pytest.mark.parametrize("bad,field", [
    ("2021-11-31", "window.closes.on"), ("2022-02-29", "window.closes.on"), ("2021-13-01", "window.closes.on"),
    ("'2021-11-31 25:00'", "window.closes"), ("nov 30", "window.closes"), ("2021-10-01", "window"),
])
def test_a_bad_date_names_the_line_step_and_field(bad, field):
    with pytest.raises(CycleError) as err:
        parse_cycle(GOOD.format(closes=bad), "my.yaml")
    assert f"my.yaml:11: step 'v1' field '{field}" in str(err.value) or f"my.yaml:10: step 'v1' field '{field}" in str(err.value), str(err.value)


def test_a_good_file_still_reads_its_dates():
    cycle = parse_cycle(GOOD.format(closes="2021-11-30 16:00"), "my.yaml")
    assert str(cycle.steps[0].window.closes.on) == "2021-11-30" and str(cycle.steps[0].window.closes.at) == "16:00:00"


def test_cycles_check_of_an_impossible_date_is_one_error_not_a_traceback(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.format(closes="2021-11-31"))
    proc = run_cli(["cycles", "check", str(path)], tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "ValueError" not in proc.stderr
    assert f"{path}:11: step 'v1' field 'window.closes.on'" in proc.stdout + proc.stderr


def test_a_bad_district_file_is_skipped_listed_and_the_console_starts(tmp_path):
    cycles = tmp_path / "data" / "cycles"
    cycles.mkdir(parents=True)
    (cycles / "bad.yaml").write_text(GOOD.format(closes="2021-11-31"))
    (cycles / "good.yaml").write_text(GOOD.format(closes="2021-11-30"))
    (cycles / "weird.yaml").write_text("- just\n- a list\n")
    lib = CycleLibrary.load(cycles)
    assert "my-visits" in lib.cycles and len(lib.errors) == 2
    proc = run_cli(["console", "--now", "2021-11-02T13:00:00Z"], tmp_path, "/scep cycles\n")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "Cycle files that could not be loaded" in proc.stdout
    assert "bad.yaml:11: step 'v1' field 'window.closes.on'" in proc.stdout  # the line survives the console's emoji filter
    assert "weird.yaml:1:" in proc.stdout


def test_the_console_keeps_times_and_line_numbers_that_look_like_emoji():
    assert mrkdwn_to_text("time:08:30 at 12:30:45", {}) == "time:08:30 at 12:30:45"
    assert mrkdwn_to_text("my.yaml:41: field", {}) == "my.yaml:41: field"
    assert mrkdwn_to_text(":warning: check (:white_check_mark:)", {}) == "(!) check ([x])"
    assert mrkdwn_to_text("2 days left · :ballot_box_with_check: checklist 0/8", {}) == "2 days left · checklist 0/8"  # no icon, no gap
