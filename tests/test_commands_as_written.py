"""Commands that work as written: `scep-bot export summary` without a step says which steps there
are (one line, exit 1, not argparse's usage); `--year` picks that school year's step and notes;
`python3 tasks.py run` resolves paths against where the caller stands."""

from __future__ import annotations

import subprocess
import sys

from bot.root.cli import main as cli_main
from tests.test_notes_exports_digest import visit_with_notes
from tests.test_running import ROOT


def test_export_summary_without_a_step_names_the_steps(bot, tmp_path, monkeypatch, capsys):
    visit_with_notes(bot)
    monkeypatch.setenv("SCEP_DATA_DIR", str(bot.services.settings.data_dir))
    assert cli_main(["export", "summary", "--school", "Lincoln", "-o", str(tmp_path / "s.md"), "--now", "2021-11-04T12:00:00Z"]) == 1
    err = capsys.readouterr().err
    assert "Name a step, like `visit 2`" in err and "Visit 1" in err and "usage:" not in err


def test_export_summary_year_picks_that_years_notes(bot, tmp_path, monkeypatch, capsys):
    visit_with_notes(bot)
    monkeypatch.setenv("SCEP_DATA_DIR", str(bot.services.settings.data_dir))
    out = tmp_path / "s.md"
    later = "2022-11-04T12:00:00Z"  # a year on: visit 1 of 2022-23 has no notes, that of 2021-22 has
    assert cli_main(["export", "summary", "visit", "1", "--school", "Lincoln", "--format", "md", "-o", str(out), "--now", later]) == 1
    assert "has no notes yet" in capsys.readouterr().err
    assert cli_main(["export", "summary", "visit", "1", "--school", "Lincoln", "--year", "2021-22", "--format", "md", "-o", str(out), "--now", later]) == 0
    assert "2021-22" in out.read_text()
    assert cli_main(["export", "summary", "visit", "1", "--school", "Lincoln", "--year", "2023-24", "--format", "md", "-o", str(out), "--now", later]) == 1
    assert "has no notes yet" in capsys.readouterr().err


def test_tasks_run_resolves_paths_where_the_caller_stands(tmp_path):
    (tmp_path / "mine.yaml").write_text((ROOT / "schedules" / "cycles" / "nysed-tsi-visits.yaml").read_text())
    proc = subprocess.run([sys.executable, str(ROOT / "tasks.py"), "run", "cycles", "check", "mine.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "mine.yaml: ok" in proc.stdout
