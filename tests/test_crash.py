"""Crash safety from the outside (the small version of benchmarks/crash.py): `scep-bot serve`
killed with SIGKILL at random moments while notes, checklist ticks and schedule changes arrive;
after every restart every data file parses and every change the bot confirmed is stored."""

from __future__ import annotations

from benchmarks.crash import Crash, report


def test_sigkill_at_random_moments_loses_nothing_confirmed(tmp_path):
    fig = Crash(tmp_path, schools=2, seed=5, max_run=0.5).run(kills=5)
    print(report(fig))
    assert fig.kills == 5
    assert fig.notes_confirmed and fig.ticks_confirmed and fig.schedules_confirmed, report(fig)
    assert fig.losses == [] and fig.bad_files == [] and fig.anomalies == [], report(fig)
    assert fig.unsaved_at_end == 0, report(fig)  # the start-up backfill saved every reply the kills left unconfirmed
    assert "is sound" in fig.doctor, fig.doctor
    assert fig.error_lines == 0, (tmp_path / "server.log").read_text()[-3000:]
