"""What in a note looks like a student identifier, and how to mask it.

Notes are about students; the state's summary must not carry who they are. A reply is *flagged*
when it looks like it holds a student ID (6-10 digits standing alone), a date of birth (a date
after "DOB", "born", "birthday"..., or a full numeric date 3 to 22 years before now), or a
student's full name (two capitalised words after "student"). Detection is a heuristic that
prefers a false alarm: the author decides (Redact, or Keep as is). Nothing here reads the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

REDACTED = "[redacted]"

LABELS = {
    "student-id": "a 6-10 digit number (a student ID?)",
    "dob": "a date of birth",
    "student-name": "a student's full name",
}

_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
    r"|\d{4}-\d{1,2}-\d{1,2}"
    rf"|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS},?\s+\d{{4}})"
)
_DOB_RE = re.compile(rf"\b(?:d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on)?)\b[\s:,-]*({_DATE})", re.I)
_NUMERIC_DATE_RE = re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)\d{2})(?![\d/.-]?\d)")
_ID_RE = re.compile(r"(?<![\d.,:/-])\d{6,10}(?![\d]|[.,:/-]\d)")
_NAME_RE = re.compile(r"\b(?i:students?)\b[\s:,-]*(?:(?i:named|name|called)[\s:,-]*)?([A-Z][a-zA-Z'’-]+)\s+([A-Z][a-zA-Z'’-]+)")
_LINK_RE = re.compile(r"<[^<>\s]*>|<[^<>|]*\|")  # Slack links and mentions: scanned as blanks

# Capitalised words after "student" that are not names ("Student Focus Group", "Student Council").
_NOT_NAMES = {
    w.lower()
    for w in (
        "Focus Group Groups Council Government Support Services Success Achievement Data Voice Leadership "
        "Engagement Attendance Learning Body Survey Surveys Team Teams Assistance Information Outcomes Growth "
        "Performance Work Work Affairs Activities Interviews Interview Agency Centered Led The A An In On At And Of "
        "With From Who Last First Next This That These Those Teacher Teachers Staff Voices Feedback Behavior Behaviour "
        "Conferences Conference Panel Panels Reps Representatives Ambassadors Leaders Led Portfolios Goals Goal "
        "Progress Results Scores Growth Mindset Agency Choice Discourse Writing Reading Math Science ELA Grade Grades "
        "Level Levels Group Walk Walks Work Samples Sample Artifacts Exit Tickets Ticket Handbook Attendance Plan Plans "
        "Services Support Needs IEP ELL MLL SWD Council Senate Advisory Mentor Mentors Mentoring Tutors Tutoring "
        "Is Are Was Were Will Should Could Would Can Did Does Do Has Have Had I We They He She It"
    ).split()
}


@dataclass(frozen=True)
class Flag:
    kind: str  # student-id | dob | student-name
    start: int
    end: int


def _blank_links(text: str) -> str:
    """Slack's ``<url|label>`` and ``<@U123>`` markup replaced by spaces (same length), so a
    number inside a link or a user id is not taken for a student ID."""
    return _LINK_RE.sub(lambda m: " " * len(m.group(0)), text)


def scan(text: str, now: datetime) -> list[Flag]:
    """Every span of ``text`` that looks like a student identifier, in order, not overlapping."""
    plain = _blank_links(text or "")
    found: list[Flag] = []
    for m in _DOB_RE.finditer(plain):
        found.append(Flag("dob", m.start(), m.end()))
    for m in _NUMERIC_DATE_RE.finditer(plain):
        year = int(m.group(3))
        if now.year - 22 <= year <= now.year - 3:
            found.append(Flag("dob", m.start(), m.end()))
    for m in _ID_RE.finditer(plain):
        found.append(Flag("student-id", m.start(), m.end()))
    for m in _NAME_RE.finditer(plain):
        first, last = m.group(1), m.group(2)
        if first.lower() in _NOT_NAMES or last.lower() in _NOT_NAMES:
            continue
        found.append(Flag("student-name", m.start(1), m.end(2)))
    found.sort(key=lambda f: (f.start, -f.end))
    out: list[Flag] = []
    for f in found:
        if out and f.start < out[-1].end:
            continue
        out.append(f)
    return out


def kinds(flags: list[Flag]) -> list[str]:
    return sorted({f.kind for f in flags})


def mask(text: str, flags: list[Flag]) -> str:
    """``text`` with every flagged span replaced by ``[redacted]``."""
    out, pos = [], 0
    for f in sorted(flags, key=lambda f: f.start):
        if f.start < pos:
            continue
        out.append(text[pos : f.start])
        out.append(REDACTED)
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


def describe(kinds_: list[str]) -> str:
    return ", ".join(LABELS.get(k, k) for k in kinds_)
