"""A district's published calendar (an iCalendar file) read into closures.

Checked line by line first, so a file that cannot be used is refused with the line and the
reason, before anything is stored. Recurring events are expanded with
``recurring-ical-events``. Only all-day events are closures (a timed event, like an early
dismissal, leaves a school day a school day), and by default only those whose name says the
school is closed (``CLOSURE_WORDS``); ``every_all_day`` takes every all-day event.

Fetching a URL: https only (plain http only to this machine, 127.0.0.1 or localhost, for a
district's local mirror and for tests), at most ``MAX_BYTES``, ``TIMEOUT`` seconds.
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from datetime import date, datetime, timedelta

import icalendar
import recurring_ical_events

from bot.calendar.closures import MAX_RANGE_DAYS, Closure

MAX_BYTES = 2_000_000
TIMEOUT = 10.0  # seconds
CLOSURE_WORDS = ("closed", "closure", "no school", "recess", "holiday", "break", "vacation", "day off", "no classes",
                 "superintendent", "conference day", "observed", "schools close")
_LINE = re.compile(r"^[A-Za-z0-9-]+(?:;[^:]*)?:")


class CalendarFileError(ValueError):
    """A file or URL that gives no usable calendar; ``str()`` says the line or the reason."""


def fetch(url: str) -> bytes:
    """The bytes at ``url`` (https, or http to this machine), or a CalendarFileError saying why."""
    parts = urllib.parse.urlsplit(url.strip())
    local = parts.hostname in ("127.0.0.1", "localhost")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise CalendarFileError(f"'{url}' is not an https address: give the calendar's https link (the .ics address the district publishes)")
    try:
        with urllib.request.urlopen(urllib.request.Request(url.strip(), headers={"User-Agent": "scep-bot"}), timeout=TIMEOUT) as resp:  # noqa: S310 (scheme checked)
            data = resp.read(MAX_BYTES + 1)
    except Exception as exc:  # noqa: BLE001 - any failure to fetch is the user's to know, in words
        reason = getattr(exc, "reason", None) or getattr(exc, "code", None) or exc.__class__.__name__
        raise CalendarFileError(f"could not fetch {url}: {reason}") from None
    if len(data) > MAX_BYTES:
        raise CalendarFileError(f"{url} is larger than {MAX_BYTES // 1_000_000} MB: not a school calendar")
    return data


def _unfolded(text: str) -> list[tuple[int, str]]:
    """Content lines with the number of the line each starts on (RFC 5545 folding undone)."""
    out: list[tuple[int, str]] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + raw[1:])
        elif raw.strip():
            out.append((n, raw))
    return out


def check(data: bytes) -> icalendar.Calendar:
    """The parsed calendar, or a CalendarFileError naming the line and what is wrong with it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CalendarFileError("the file is not text (UTF-8): export the calendar as an .ics file") from None
    lines = _unfolded(text)
    if not lines or lines[0][1].strip().upper() != "BEGIN:VCALENDAR":
        raise CalendarFileError("line 1: an iCalendar file starts with BEGIN:VCALENDAR (is this an .ics file?)")
    stack: list[str] = []
    for n, line in lines:
        shown = line if len(line) <= 80 else line[:77] + "..."
        if not _LINE.match(line):
            raise CalendarFileError(f"line {n}: '{shown}' is not an iCalendar line (NAME:value)")
        name, _, value = line.partition(":")
        key = name.split(";", 1)[0].upper()
        if key == "BEGIN":
            stack.append(value.strip().upper())
        elif key == "END":
            if not stack or stack[-1] != value.strip().upper():
                raise CalendarFileError(f"line {n}: END:{value.strip()} does not close {('BEGIN:' + stack[-1]) if stack else 'anything'}")
            stack.pop()
        elif key in ("DTSTART", "DTEND") and stack and stack[-1] == "VEVENT":
            try:
                icalendar.vDDDTypes.from_ical(value.strip())
            except Exception:  # noqa: BLE001
                raise CalendarFileError(f"line {n}: '{shown}' is not a date (write 20261224 or 20261224T090000)") from None
        elif key == "RRULE":
            try:
                icalendar.vRecur.from_ical(value.strip())
            except Exception:  # noqa: BLE001
                raise CalendarFileError(f"line {n}: '{shown}' is not a recurrence rule") from None
    if stack:
        raise CalendarFileError(f"the file ends inside BEGIN:{stack[-1]} (it is cut short)")
    try:
        return icalendar.Calendar.from_ical(text)
    except Exception as exc:  # noqa: BLE001
        raise CalendarFileError(f"the file cannot be read: {exc}") from None


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def closures(data: bytes, source: str, first: date, last: date, *, every_all_day: bool = False) -> tuple[list[Closure], list[str]]:
    """The closures the file gives ``first``..``last`` (recurrences expanded), and the names of
    the events left out (timed, not a closure by name, or longer than a closure may be)."""
    cal = check(data)
    try:
        events = recurring_ical_events.of(cal).between(first, last + timedelta(days=1))
    except Exception as exc:  # noqa: BLE001
        raise CalendarFileError(f"the recurring events cannot be expanded: {exc}") from None
    out: dict[tuple[date, date, str], Closure] = {}
    skipped: list[str] = []
    for ev in events:
        name = " ".join(str(ev.get("SUMMARY") or "(no name)").split())[:100]
        start = ev.get("DTSTART")
        if start is None or isinstance(start.dt, datetime):
            skipped.append(f"{name} (not all-day)")
            continue
        end = ev.get("DTEND")
        begin = _day(start.dt)
        until = (_day(end.dt) - timedelta(days=1)) if end is not None else begin
        until = max(until, begin)
        if not every_all_day and not any(w in name.lower() for w in CLOSURE_WORDS):
            skipped.append(name)
            continue
        if (until - begin).days >= MAX_RANGE_DAYS:
            skipped.append(f"{name} (longer than {MAX_RANGE_DAYS} days)")
            continue
        out[(begin, until, name)] = Closure(begin, until, name, source)
    return sorted(out.values(), key=lambda c: (c.first, c.name)), skipped
