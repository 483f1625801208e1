"""A district's roster of schools as a CSV: reading it, row by row, into checked rows.

Columns (header row, any order, names case-insensitive): ``school`` and ``channel`` (required),
``model``, ``cycles``, ``zone``, ``liaison``, ``principal``, ``team``, ``reviewer``. Channels and
people are Slack ids (``C0123ABCD``, ``U0123ABCD``) or names (``#lincoln-scep``, ``@ana``, a
display or real name, an email), resolved through a ``Directory``. People in one cell are
separated by commas or semicolons. A column left out changes nothing; an empty role cell means
nobody; an empty ``model``/``cycles``/``zone`` keeps the school's (a new school: the model's).
Every bad row is reported with its line (the header is line 1) and why; one bad row stops the
whole import, so nothing is half-imported.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Protocol

from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.cycles import MODELS, canonical_model
from bot.calendar.dates import DateError
from bot.setup.roles import MAX_PEOPLE
from bot.errors import UserError
from bot.setup.validate import DEFAULTS_WORD, MAX_NAME, check_fit

COLUMNS = ("school", "channel", "model", "cycles", "zone", "liaison", "principal", "team", "reviewer")
ROLE_COLUMNS = ("liaison", "principal", "team", "reviewer")
MAX_ROWS = 5000  # schools in one file
MAX_BYTES = 2_000_000  # of one file


class Directory(Protocol):
    """The workspace's people and channels, as Slack knows them (users.list, conversations.list)."""

    def user(self, text: str) -> str | None:
        """The id of the active, human member ``text`` names (id, @name, real name or email);
        None if nobody; ``AmbiguousName`` if several."""

    def channel(self, text: str) -> str | None:
        """The id of the channel ``text`` names (id, #name or name); None if none."""


class AmbiguousName(LookupError):
    """A name more than one member or channel has: the message says which to use instead."""


@dataclass
class Row:
    """One school of the file, checked: ``roles`` only for the role columns the file has."""

    line: int
    school: str
    channel: str  # a channel id
    model: str | None = None
    cycles: list[str] | None = None  # named cycles (None: the column was empty)
    default_cycles: bool = True  # the model's own cycles too (``defaults`` named, or no cycles named)
    tz: str | None = None
    roles: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Roster:
    rows: list[Row]
    errors: list[str]  # "line N: why", in line order
    columns: tuple[str, ...]
    library: CycleLibrary | None = None  # the cycles the rows were checked against


def read_roster(text: str, library: CycleLibrary, directory: Directory) -> Roster:
    """Every row of the CSV ``text`` checked; the rows, or the errors of the bad ones."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        return Roster([], [f"the file is over {MAX_BYTES // 1_000_000} MB: split it"], ())
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        return Roster([], ["line 1: the file is empty: the first line names the columns, " + ",".join(COLUMNS)], ())
    except csv.Error as exc:
        return Roster([], [f"line 1: not CSV ({exc})"], ())
    columns = tuple(h.strip().lower() for h in header)
    errors = _header_errors(columns)
    if errors:
        return Roster([], errors, columns)
    rows: list[Row] = []
    seen: dict[str, int] = {}  # channel id -> line
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) + len(errors) >= MAX_ROWS:
                errors.append(f"line {line}: more than {MAX_ROWS} schools in one file: split it")
                break
            if len(cells) != len(columns):
                errors.append(f"line {line}: {len(cells)} cells, but the header names {len(columns)} columns")
                continue
            try:
                row = _row(line, dict(zip(columns, (c.strip() for c in cells))), library, directory)
            except RowError as exc:
                errors.append(f"line {line}: {exc}")
                continue
            if row.channel in seen:
                errors.append(f"line {line}: channel {row.channel} is already on line {seen[row.channel]}: one school per channel")
                continue
            seen[row.channel] = line
            rows.append(row)
    except csv.Error as exc:
        errors.append(f"line {reader.line_num}: not CSV ({exc})")
    return Roster(rows, errors, columns, library)


class RowError(ValueError):
    """Why one row is bad (the caller adds its line)."""


def _header_errors(columns: tuple[str, ...]) -> list[str]:
    unknown = [c for c in columns if c not in COLUMNS]
    errors = []
    if unknown:
        errors.append(f"line 1: unknown column{'s' if len(unknown) > 1 else ''} {', '.join(repr(c) for c in unknown)}: "
                      f"the columns are {', '.join(COLUMNS)}")
    doubled = sorted({c for c in columns if columns.count(c) > 1})
    if doubled:
        errors.append(f"line 1: column {', '.join(doubled)} named twice")
    missing = [c for c in ("school", "channel") if c not in columns]
    if missing:
        errors.append(f"line 1: the column{'s' if len(missing) > 1 else ''} {' and '.join(missing)} {'are' if len(missing) > 1 else 'is'} required")
    return errors


def _row(line: int, cells: dict[str, str], library: CycleLibrary, directory: Directory) -> Row:
    name = " ".join(cells["school"].split())
    if not name:
        raise RowError("no school name")
    if len(name) > MAX_NAME:
        raise RowError(f"the school name is {len(name)} characters long; keep it under {MAX_NAME}")
    row = Row(line, name, _channel(cells["channel"], directory))
    if cells.get("model"):
        row.model = canonical_model(cells["model"])
        if row.model is None:
            raise RowError(f"model '{cells['model'][:40]}' is not one of {', '.join(MODELS)}")
    if cells.get("cycles"):
        ids = list(dict.fromkeys(c.strip().lower() for c in re.split(r"[,;\s]+", cells["cycles"]) if c.strip()))
        unknown = [c for c in ids if c != DEFAULTS_WORD and library.get(c) is None]
        if unknown:
            raise RowError(f"unknown cycle{'s' if len(unknown) > 1 else ''} {', '.join(unknown)[:200]}; the cycles are {', '.join(library.ids())}, "
                           f"or {DEFAULTS_WORD} (the model's own, the edition in force each year)")
        row.default_cycles = DEFAULTS_WORD in ids
        row.cycles = [c for c in ids if c != DEFAULTS_WORD]
    if row.model:
        try:
            check_fit(library, row.model, row.cycles or [], row.cycles is None or row.default_cycles, None)
        except UserError as exc:
            raise RowError(str(exc).replace("`", "")) from None
    if cells.get("zone"):
        try:
            dates.zone(cells["zone"])
        except DateError:
            raise RowError(f"zone '{cells['zone'][:60]}' is not a time zone: use an IANA name such as America/New_York") from None
        row.tz = cells["zone"]
    for role in ROLE_COLUMNS:
        if role in cells:
            people = _people(role, cells[role], directory)
            if len(people) > MAX_PEOPLE[role]:
                raise RowError(f"{len(people)} people as {role}: at most {MAX_PEOPLE[role]}")
            row.roles[role] = people
    return row


def _channel(text: str, directory: Directory) -> str:
    if not text:
        raise RowError("no channel: give its id (C0123ABCD) or its name (#lincoln-scep)")
    try:
        cid = directory.channel(text)
    except AmbiguousName as exc:
        raise RowError(str(exc)) from None
    if cid is None:
        raise RowError(f"no channel '{text[:80]}' in this workspace (invite the bot to private channels first)")
    return cid


def _people(role: str, text: str, directory: Directory) -> list[str]:
    out: list[str] = []
    for part in [p.strip() for p in re.split(r"[,;]", text) if p.strip()]:
        if part.lower() in ("-", "none", "nobody"):
            continue
        try:
            uid = directory.user(part)
        except AmbiguousName as exc:
            raise RowError(f"{role}: {exc}") from None
        if uid is None:
            raise RowError(f"{role}: no active member '{part[:80]}' in this workspace")
        if uid not in out:
            out.append(uid)
    return out


class IdsOnly:
    """A ``Directory`` without Slack (no token): ids are taken as written, names are refused."""

    def user(self, text: str) -> str | None:
        if re.fullmatch(r"[UW][A-Z0-9]{6,}", text):
            return text
        raise AmbiguousName(f"'{text[:80]}' is a name: without SLACK_BOT_TOKEN only user ids (U0123ABCD) can be used")

    def channel(self, text: str) -> str | None:
        if re.fullmatch(r"[CG][A-Z0-9]{6,}", text):
            return text
        raise AmbiguousName(f"'{text[:80]}' is a name: without SLACK_BOT_TOKEN only channel ids (C0123ABCD) can be used")
