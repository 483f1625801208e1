"""Exports built from what the bot knows: a visit summary (DOCX and Markdown), the year as CSV,
the calendar as iCalendar. Pure functions of the store's view, the cycles and ``now``; they
return bytes or text and never talk to Slack or the disk.

- ``summary``: laid out like NYSED's SCEP Support Visit template: school, support model, visit,
  date, participants, then one section per commitment with its discussion (the notes), then
  general notes. Redacted text stays out; flagged text the author has not cleared is masked.
- ``year``: one row per step (and per DRAFT/FINAL deadline) of the school's year: dates, status,
  who marked it done, its notes.
- ``calendar``: windows (all-day), deadlines and scheduled visits, with UIDs that depend only on
  school, year, step and what the event is, so a re-import updates events instead of adding more.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.calendar import dates
from bot.calendar.cycles import CycleLibrary
from bot.calendar.dates import SchoolYear
from bot.core import progress
from bot.core.schools import SchoolState
from bot.core.steps import StepRef
from bot.errors import UserError
from bot.notes import notes
from bot.store.port import SchoolView

PRODID = "-//scep-bot//SCEP calendar//EN"


@dataclass
class Entry:
    text: str
    author: str
    at: str  # local, as people read it
    link: str = ""
    files: list[dict[str, str]] = field(default_factory=list)
    redacted: bool = False


@dataclass
class Section:
    number: int | None
    title: str
    entries: list[Entry]


@dataclass
class Summary:
    school: str
    model: str
    visit: str
    year: str
    date: str
    participants: list[str]
    note_takers: list[str]
    purpose: str
    questions: list[str]
    sections: list[Section]
    reporting: bool = True

    @property
    def count(self) -> int:
        return sum(len(s.entries) for s in self.sections)

    @property
    def filename_stem(self) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{self.school} {self.visit} {self.year}").strip("-")
        return f"SCEP-Support-Visit-Summary-{slug}"[:120]


def _name(note: dict[str, Any], names: dict[str, str]) -> str:
    uid = note.get("author") or ""
    return names.get(uid) or note.get("author_name") or uid or "someone"


def summary(view: SchoolView, state: SchoolState, ref: StepRef, now: datetime, names: dict[str, str] | None = None) -> Summary:
    """The summary of one step's notes; UserError when it has none (nothing to summarize)."""
    names = names or {}
    school = state.school
    tz = school.tz
    step = ref.dated.step
    items = notes.notes_of(view, ref.key, ref.year.name)
    if not items:
        raise UserError(
            f"{step.title} ({ref.year}) has no notes yet, so there is nothing to summarize. "
            f"Post the prompt with `/scep notes start {step.short or step.id}` and reply in its thread, "
            "or save a message with the “Save as SCEP note” shortcut."
        )
    commitments = notes.commitments_for(view, school, ref.key, ref.year.name)
    sections = []
    for number, title, group in notes.grouped(items, commitments):
        entries = [
            Entry(
                text=notes.slack_plain(notes.export_text(n), names),
                author=_name(n, names),
                at=dates.fmt_local(dates.parse_instant(n["at"]), tz),
                link=n.get("permalink") or "",
                files=n.get("files") or [],
                redacted=bool(n.get("redacted")),
            )
            for n in group
        ]
        sections.append(Section(number, title, entries))
    st = state.step_state(ref.year, ref.key)
    day = notes.held_day(st, now)
    if day is None:
        day = min(dates.parse_instant(n["at"]) for n in items)
    takers = []
    for n in items:
        nm = _name(n, names)
        if nm not in takers:
            takers.append(nm)
    return Summary(
        school=school.name, model=school.model, visit=step.title, year=ref.year.name,
        date=dates.fmt_local(day, tz, with_time=False), participants=[p.describe() for p in step.participants],
        note_takers=takers, purpose=step.purpose, questions=list(step.guiding_questions), sections=sections,
        reporting=step.reporting,
    )


def summary_markdown(s: Summary) -> str:
    def md(text: str) -> str:
        # keep people's text from becoming headings, HTML or tables in a Markdown viewer
        text = text.replace("<", "&lt;").replace(">", "&gt;")
        return re.sub(r"^(\s*)([#>|=-])", r"\1\\\2", text, flags=re.M)

    out = [
        "# SCEP Support Visit Summary", "",
        "| | |", "| --- | --- |",
        f"| School | {md(s.school)} |", f"| Support model | {s.model} |", f"| Visit | {md(s.visit)} ({s.year}) |",
        f"| Date | {s.date} |", f"| Participants | {md('; '.join(s.participants) or '-')} |",
        f"| Notes from | {md(', '.join(s.note_takers))} |", "",
    ]
    if s.purpose:
        out += [f"_Purpose:_ {md(s.purpose)}", ""]
    if s.questions:
        out += ["**Guiding questions**", ""] + [f"- {md(q)}" for q in s.questions] + [""]
    for sec in s.sections:
        head = f"Commitment {sec.number}: {sec.title}" if sec.number else sec.title
        out += [f"## {md(head)}", ""]
        if not sec.entries:
            out += ["_No notes were recorded for this commitment._", ""]
        for e in sec.entries:
            body = md(e.text).replace("\n", "  \n")
            out.append(f"{body}  \n— {md(e.author)}, {e.at}" + (f" ([thread]({e.link}))" if e.link else ""))
            for f in e.files:
                out.append(f"  Attachment: [{md(f.get('name', 'file'))}]({f.get('link', '')})")
            out.append("")
    if not s.reporting:
        out += ["_This visit has no reporting requirement._", ""]
    return "\n".join(out)


def summary_docx(s: Summary) -> bytes:
    """The summary as a Word document (python-docx), like the SCEP Support Visit template."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.title = f"SCEP Support Visit Summary: {s.school}, {s.visit} ({s.year})"
    doc.add_heading("SCEP Support Visit Summary", level=0)
    rows = [
        ("School", s.school), ("Support model", s.model), ("Visit", f"{s.visit} ({s.year})"), ("Date", s.date),
        ("Participants", "; ".join(s.participants) or "-"), ("Notes from", ", ".join(s.note_takers)),
    ]
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    for i, (label, value) in enumerate(rows):
        table.cell(i, 0).text = label
        table.cell(i, 1).text = _xml_safe(value)
        for run in table.cell(i, 0).paragraphs[0].runs:
            run.bold = True
    if s.purpose:
        p = doc.add_paragraph()
        p.add_run("Purpose: ").bold = True
        p.add_run(_xml_safe(s.purpose))
    if s.questions:
        doc.add_paragraph().add_run("Guiding questions").bold = True
        for q in s.questions:
            doc.add_paragraph(_xml_safe(q), style="List Bullet")
    for sec in s.sections:
        doc.add_heading(_xml_safe(f"Commitment {sec.number}: {sec.title}" if sec.number else sec.title), level=1)
        if not sec.entries:
            doc.add_paragraph("No notes were recorded for this commitment.").runs[0].italic = True
        for e in sec.entries:
            doc.add_paragraph(_xml_safe(e.text))
            meta = doc.add_paragraph()
            r = meta.add_run(_xml_safe(f"— {e.author}, {e.at}" + (f" · {e.link}" if e.link else "")))
            r.italic = True
            r.font.size = Pt(9)
            for f in e.files:
                doc.add_paragraph(_xml_safe(f"Attachment: {f.get('name', 'file')} {f.get('link', '')}"), style="List Bullet")
    if not s.reporting:
        doc.add_paragraph("This visit has no reporting requirement.").runs[0].italic = True
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """Word's XML refuses control characters a Slack message may carry."""
    return _XML_BAD.sub("", text)


# ---------------------------------------------------------------- the year as CSV

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
            step_notes = notes.notes_of(view, d.key, y.name) if attach else []
            text = " | ".join(
                (f"C{n['commitment']}: " if n.get("commitment") else "") + notes.slack_plain(notes.export_text(n), names).replace("\n", " ")
                + f" ({_name(n, names)}, {day(dates.parse_instant(n['at']))})"
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


# ---------------------------------------------------------------- the calendar as iCalendar


def uid(school_id: str, year: str, step_key_: str, what: str) -> str:
    """Stable: the same school, year, step and event always give the same UID."""
    return f"{school_id}.{year}.{step_key_.replace('/', '.')}.{what}@scep-bot"


def calendar_ics(state: SchoolState, library: CycleLibrary, now: datetime, year: SchoolYear | None = None) -> bytes:
    """Windows (all-day events), deadlines (timed, or all-day when the document gives no time)
    and scheduled visits of each cycle's current year (or ``year``)."""
    from icalendar import Calendar, Event

    school = state.school
    tz = school.tz
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"SCEP: {school.name}")
    cal.add("x-wr-timezone", tz)
    stamp = now.astimezone(dates.UTC).replace(microsecond=0)
    sequence = int(now.timestamp()) // 60  # grows with time: a re-import replaces older copies
    count = 0

    def event(uid_: str, summary_: str, description: str) -> Event:
        ev = Event()
        ev.add("uid", uid_)
        ev.add("dtstamp", stamp)
        ev.add("sequence", sequence)
        ev.add("summary", summary_)
        if description:
            ev.add("description", description)
        return ev

    for cycle, y, _items in progress.timeline(state, library, now, year):
        for d in progress._dated_steps(cycle, y, state):
            step = d.step
            st = state.step_state(y, d.key)
            desc = " ".join(p for p in (step.purpose, f"{cycle.title} {y}.") if p)
            if d.opens_at and d.closes_at:
                ev = event(uid(school.school_id, y.name, d.key, "window"), f"{step.title}: window" + (" (estimated)" if d.estimated else ""), desc)
                ev.add("dtstart", dates.local_today(d.opens_at, tz))
                ev.add("dtend", dates.local_today(d.closes_at, tz) + timedelta(days=1))
                ev.add("transp", "TRANSPARENT")
                cal.add_component(ev)
                count += 1
            for dl in d.deadlines:
                label = {"due": "due", "draft": "DRAFT due", "final": "FINAL due"}[dl.label]
                ev = event(uid(school.school_id, y.name, d.key, dl.label), f"{step.title}: {label}", desc)
                if dl.timed:
                    ev.add("dtstart", dl.at.replace(microsecond=0))
                    ev.add("dtend", dl.at.replace(microsecond=0))
                else:
                    local_day = dates.local_today(dl.at, tz)
                    ev.add("dtstart", local_day)
                    ev.add("dtend", local_day + timedelta(days=1))
                cal.add_component(ev)
                count += 1
            if st.get("scheduled_at"):
                start = dates.parse_instant(st["scheduled_at"]).replace(microsecond=0)
                ev = event(uid(school.school_id, y.name, d.key, "scheduled"), f"{step.title} ({school.name})", desc)
                ev.add("dtstart", start)
                ev.add("dtend", start + timedelta(minutes=notes.visit_minutes(d)))
                cal.add_component(ev)
                count += 1
    if count == 0:
        raise UserError("This school's cycles have no dated steps to put in a calendar.")
    return cal.to_ical()
