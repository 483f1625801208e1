"""The school's year as CSV: one row per step (and per DRAFT/FINAL deadline) with its dates,
status, who marked it done and its notes. Times are the school's local time."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.dates import SchoolYear
from bot.core import progress
from bot.core.schools import SchoolState
from bot.errors import UserError
from bot.notes.reading import author_of, export_text, notes_of, slack_plain
from bot.store.port import SchoolView

YEAR_COLUMNS = [
    "cycle", "year", "step", "title", "kind", "owner", "item", "opens", "closes", "deadline", "scheduled",
    "status", "done_at", "done_by", "notes_count", "notes",
]


def year_csv(view: SchoolView, state: SchoolState, library: CycleLibrary, now: datetime, year: SchoolYear | None = None, names: dict[str, str] | None = None) -> str:
    """Every step of the school's year (each cycle's current one, or ``year``) as CSV rows."""
    names = names or {}
    tz = state.school.tz
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(YEAR_COLUMNS)

    def day(at: datetime | None) -> str:
        return dates.to_local(at, tz).strftime("%Y-%m-%d %H:%M") if at else ""

    rows = 0
    for cycle, y, items in progress.timeline(state, library, now, year):
        for item in items:
            d = item.dated
            st = item.state
            done = st.get("done") or {}
            mark = done.get(item.label) if item.label else (next(iter(done.values())) if done else None)
            if item.label == "draft" and not mark:
                mark = done.get("final")
            # a step's notes go on its one row, or on its last deadline's row (FINAL)
            attach = item.label == (d.deadlines[-1].label if d.deadlines else None)
            step_notes = notes_of(view, d.key, y.name) if attach else []
            text = " | ".join(
                (f"C{n['commitment']}: " if n.get("commitment") else "") + slack_plain(export_text(n), names).replace("\n", " ")
                + f" ({author_of(n, names)}, {day(dates.parse_instant(n['at']))})"
                for n in step_notes
            )
            w.writerow([
                cycle.id, y.name, d.step.id, d.step.title, d.step.kind, d.step.owner, item.label or "window",
                day(d.opens_at), day(d.closes_at), day(item.at) if item.label else "", day(item.scheduled_at),
                item.status, day(dates.parse_instant(mark["at"])) if mark and mark.get("at") else "",
                (names.get(mark.get("by", "")) or mark.get("by", "")) if mark else "", len(step_notes), _csv_safe(text),
            ])
            rows += 1
    if rows == 0:
        raise UserError("This school follows no cycles, so its year is empty: `/scep setup cycles:&lt;id&gt;`.")
    return buf.getvalue()


def _csv_safe(text: str) -> str:
    """Spreadsheet formula injection: a cell starting with = + - @ is shown as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
