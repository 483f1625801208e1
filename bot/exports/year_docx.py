"""The school's year as a Word document (``/scep export year docx``): who and what, the picture of
the year (``bot.pictures.year``: the same PNG as ``/scep timeline picture``), then one table per
cycle with every step's dates, status, who marked it done and how many notes it has. Dates and
times are the school's local ones.

Pure: built from the store's view, the cycles and ``now`` (UTC); returns DOCX bytes.
"""

from __future__ import annotations

import io
from datetime import datetime

from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.dates import SchoolYear
from bot.core import progress
from bot.core.schools import SchoolState
from bot.errors import UserError
from bot.exports.summary import add_picture, xml_safe
from bot.notes.reading import notes_of
from bot.pictures.year import year_png
from bot.store.port import SchoolView

COLUMNS = ("Step", "Dates", "Status", "Done", "Notes")
ITEM = {"draft": "DRAFT due", "final": "FINAL due", "due": "due"}


def year_docx(view: SchoolView, state: SchoolState, library: CycleLibrary, now: datetime, year: SchoolYear | None = None,
              names: dict[str, str] | None = None) -> bytes:
    """Every cycle's current year (or ``year``) of the school as a Word document with its picture."""
    from docx import Document
    from docx.shared import Pt

    names = names or {}
    school, tz = state.school, state.school.tz
    timeline = progress.timeline(state, library, now, year)
    if not timeline:
        raise UserError("This school follows no cycles, so its year is empty: `/scep setup cycles:&lt;id&gt;`.")
    years = ", ".join(sorted({y.name for _c, y, _i in timeline}))
    doc = Document()
    doc.core_properties.title = xml_safe(f"SCEP year summary: {school.name} ({years})")
    doc.add_heading("SCEP year summary", level=0)
    facts = [("School", school.name), ("Support model", school.model or "-"), ("School year", years),
             ("As of", dates.fmt_local(now, tz)), ("Time zone", tz)]
    table = doc.add_table(rows=len(facts), cols=2)
    table.style = "Table Grid"
    for i, (label, value) in enumerate(facts):
        table.cell(i, 0).text, table.cell(i, 1).text = label, xml_safe(value)
        for run in table.cell(i, 0).paragraphs[0].runs:
            run.bold = True
    add_picture(doc, year_png(state, library, now, year), "The year at a glance: bars are windows, triangles DRAFT (down) and "
                "FINAL (up) deadlines, circles scheduled dates, shaded columns holidays and breaks, the dashed line today.")

    def local(at: datetime | None) -> str:
        return dates.fmt_local(at, tz) if at else ""

    for cycle, y, items in timeline:
        doc.add_heading(xml_safe(f"{cycle.title} ({y})"), level=1)
        if not items:
            doc.add_paragraph(f"No dated steps in {y}.").runs[0].italic = True
            continue
        grid = doc.add_table(rows=1, cols=len(COLUMNS))
        grid.style = "Table Grid"
        for cell, title in zip(grid.rows[0].cells, COLUMNS):
            cell.text = title
            cell.paragraphs[0].runs[0].bold = True
        for item in items:
            d, st = item.dated, item.state
            done = st.get("done") or {}
            mark = done.get(item.label) if item.label else (next(iter(done.values())) if done else None)
            if item.label == "draft" and not mark:
                mark = done.get("final")
            if item.label:
                when = local(item.at)
            elif d.opens_at or d.closes_at:
                when = " – ".join(dates.fmt_local(a, tz, with_time=False) if a else "?" for a in (d.opens_at, d.closes_at))
            else:
                when = "waiting for " + ", ".join(d.waiting_for) if d.waiting_for else "not dated"
            if item.scheduled_at:
                when += f"\nscheduled {local(item.scheduled_at)}"
            who = ""
            if mark:
                who = (names.get(mark.get("by", "")) or mark.get("by", "")) + (f", {local(dates.parse_instant(mark['at']))}" if mark.get("at") else "")
            attach = item.label == (d.deadlines[-1].label if d.deadlines else None)  # a step's notes count once
            count = len(notes_of(view, d.key, y.name)) if attach else ""
            row = grid.add_row().cells
            values = (d.step.title + (f": {ITEM[item.label]}" if item.label else ""), when, item.status, who, str(count))
            for cell, value in zip(row, values):
                cell.text = xml_safe(value)
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(9)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
