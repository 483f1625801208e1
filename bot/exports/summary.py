"""The visit summary, laid out like NYSED's SCEP Support Visit template: school, support model,
visit, date, participants, then one section per commitment with its discussion (the notes), then
general notes. Redacted text stays out; flagged text the author has not cleared is masked.

Pure: built from the store's view, the cycles and ``now`` (UTC); rendered as Markdown text or
Word (DOCX) bytes; never talks to Slack or the disk.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from bot.calendar import dates
from bot.core.schools import SchoolState
from bot.core.steps import StepRef
from bot.errors import UserError
from bot.notes.held import held_day
from bot.notes.reading import (
    author_of,
    commitments_for,
    export_text,
    grouped,
    notes_of,
    slack_plain,
)
from bot.store.port import SchoolView


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


def summary(view: SchoolView, state: SchoolState, ref: StepRef, now: datetime, names: dict[str, str] | None = None) -> Summary:
    """The summary of one step's notes; UserError when it has none (nothing to summarize)."""
    names = names or {}
    school = state.school
    tz = school.tz
    step = ref.dated.step
    items = notes_of(view, ref.key, ref.year.name)
    if not items:
        raise UserError(
            f"{step.title} ({ref.year}) has no notes yet, so there is nothing to summarize. "
            f"Post the prompt with `/scep notes start {step.short or step.id}` and reply in its thread, "
            "or save a message with the “Save as SCEP note” shortcut."
        )
    commitments = commitments_for(view, school, ref.key, ref.year.name)
    sections = []
    for number, title, group in grouped(items, commitments):
        entries = [
            Entry(
                text=slack_plain(export_text(n), names),
                author=author_of(n, names),
                at=dates.fmt_local(dates.parse_instant(n["at"]), tz),
                link=n.get("permalink") or "",
                files=n.get("files") or [],
                redacted=bool(n.get("redacted")),
            )
            for n in group
        ]
        sections.append(Section(number, title, entries))
    st = state.step_state(ref.year, ref.key)
    day = held_day(st, now)
    if day is None:
        day = min(dates.parse_instant(n["at"]) for n in items)
    takers = []
    for n in items:
        nm = author_of(n, names)
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


def summary_docx(s: Summary, picture: bytes | None = None) -> bytes:
    """The summary as a Word document (python-docx), like the SCEP Support Visit template;
    ``picture``: the PNG of the year with this step highlighted, after the table."""
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
        table.cell(i, 1).text = xml_safe(value)
        for run in table.cell(i, 0).paragraphs[0].runs:
            run.bold = True
    if picture:
        add_picture(doc, picture, f"{s.visit} in the school's year {s.year} (highlighted row); shaded columns: holidays and breaks.")
    if s.purpose:
        p = doc.add_paragraph()
        p.add_run("Purpose: ").bold = True
        p.add_run(xml_safe(s.purpose))
    if s.questions:
        doc.add_paragraph().add_run("Guiding questions").bold = True
        for q in s.questions:
            doc.add_paragraph(xml_safe(q), style="List Bullet")
    for sec in s.sections:
        doc.add_heading(xml_safe(f"Commitment {sec.number}: {sec.title}" if sec.number else sec.title), level=1)
        if not sec.entries:
            doc.add_paragraph("No notes were recorded for this commitment.").runs[0].italic = True
        for e in sec.entries:
            doc.add_paragraph(xml_safe(e.text))
            meta = doc.add_paragraph()
            r = meta.add_run(xml_safe(f"— {e.author}, {e.at}" + (f" · {e.link}" if e.link else "")))
            r.italic = True
            r.font.size = Pt(9)
            for f in e.files:
                doc.add_paragraph(xml_safe(f"Attachment: {f.get('name', 'file')} {f.get('link', '')}"), style="List Bullet")
    if not s.reporting:
        doc.add_paragraph("This visit has no reporting requirement.").runs[0].italic = True
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


PICTURE_WIDTH_IN = 6.5  # a Letter page's width inside 1-inch margins


def add_picture(doc, png: bytes, caption: str) -> None:
    """``png`` across the page's text width, with a small italic caption under it."""
    from docx.shared import Inches, Pt

    doc.add_picture(io.BytesIO(png), width=Inches(PICTURE_WIDTH_IN))
    run = doc.add_paragraph().add_run(xml_safe(caption))
    run.italic = True
    run.font.size = Pt(8)


_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Word's XML refuses control characters a Slack message may carry."""
    return _XML_BAD.sub("", text)
