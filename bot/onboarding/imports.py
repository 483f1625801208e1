"""Setting up many schools at once from a roster (roster.py): what would change, then doing it.

A row is matched to the school already linked to its channel in the workspace, else to the
workspace's one unlinked school of its name (linked back to the row's channel, its data kept),
else it creates one. ``plan`` says what each row would change and writes nothing (``--dry-run``); ``apply`` makes
the same changes, each school in its own transaction with an audit entry, and only when the
whole file is sound (a roster with errors is refused before anything is written). The same
file again changes nothing. ``now`` is a UTC instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.core.schools import School, iso
from bot.core.steps import audit
from bot.errors import UserError
from bot.onboarding.roster import ROLE_COLUMNS, Roster, Row
from bot.setup.validate import check_fit
from bot.store.port import Store
from bot.store.schema import PROFILE

FIELDS = ("name", "model", "cycles", "tz")


@dataclass
class Change:
    """What one row does: ``action`` is create, update or unchanged; ``what`` the fields changed."""

    line: int
    school: str
    channel: str
    action: str
    what: list[str] = field(default_factory=list)

    def describe(self) -> str:
        head = f"line {self.line}: {self.action} {self.school} ({self.channel})"
        return head + (": " + "; ".join(self.what) if self.what else "")


def plan(store: Store, team_id: str, roster: Roster) -> list[Change]:
    """What importing ``roster`` into workspace ``team_id`` would change (nothing is written)."""
    changes = []
    for row, sid, relink in _targets(store, team_id, roster):
        doc = store.view(sid).get(*PROFILE) if sid else None
        changes.append(_change(row, doc, _merged(row, doc, team_id, "", "", ""), relink))
    return changes


def _targets(store: Store, team_id: str, roster: Roster) -> list[tuple[Row, str | None, bool]]:
    """(row, the school it is about or None for a new one, whether it links an unlinked school
    back) for every row of a sound roster; a UserError naming every bad row otherwise."""
    _refuse_errors(roster)
    unlinked = store.unlinked(team_id)
    out = [(row, *_target(store, team_id, row, unlinked)) for row in roster.rows]
    _refuse_misfits(store, team_id, roster.library, out)
    return out


def _target(store: Store, team_id: str, row: Row, unlinked: list[dict[str, Any]]) -> tuple[str | None, bool]:
    """The school a row is about: the one bound to its channel, else the one unlinked school of
    the workspace with its name (linked back to the row's channel; True), else None (a new one)."""
    sid = store.school_for_channel(team_id, row.channel)
    if sid:
        return sid, False
    same = [e["school_id"] for e in unlinked if (e.get("name") or "").lower() == row.school.lower()]
    return (same[0], True) if len(same) == 1 else (None, False)


def apply(store: Store, team_id: str, roster: Roster, who: str, now: datetime) -> list[Change]:
    """Import ``roster`` into workspace ``team_id`` as ``who`` (a user id, or "operator")."""
    changes = []
    for row, sid, relink in _targets(store, team_id, roster):
        sid = sid or store.new_school_id()
        with store.transaction(sid) as tx:
            doc = tx.get(*PROFILE)
            school = _merged(row, doc, team_id, sid, iso(now), who)
            school.channel_id = row.channel
            change = _change(row, doc, school, relink)
            if change.action != "unchanged":
                tx.put(*PROFILE, school.to_doc())
                audit(tx, who, now, "imported" if doc is None else "relinked" if relink else "import changed", line=row.line, fields=change.what)
                tx.bind(name=school.name, team_id=team_id, channel_id=row.channel)
        changes.append(change)
    return changes


def summary(changes: list[Change], dry_run: bool) -> str:
    """One line: how many schools each action touched."""
    actions = ("create", "relink", "update", "unchanged")
    count = {a: sum(c.action == a for c in changes) for a in actions}
    verbs = ("to create", "to link back", "to change", "unchanged") if dry_run else ("created", "linked back", "changed", "unchanged")
    text = f"{len(changes)} school{'s' if len(changes) != 1 else ''}: " + ", ".join(
        f"{count[a]} {v}" for a, v in zip(actions, verbs) if count[a] or a != "relink")
    return text + (" (dry run: nothing written)" if dry_run else "")


def _refuse_misfits(store: Store, team_id: str, library: CycleLibrary | None, targets: list[tuple[Row, str | None, bool]]) -> None:
    """Every row's model and cycles checked as the school will have them (a row without a model
    keeps the school's, and a new school's is TSI): a UserError naming each misfit by line,
    before anything is written."""
    if library is None:
        return
    errors = []
    for row, sid, _ in targets:
        doc = store.view(sid).get(*PROFILE) if sid else None
        school = _merged(row, doc, team_id, "", "", "")
        try:
            check_fit(library, school.model, school.cycles, school.default_cycles, school.state)
        except UserError as exc:
            errors.append(f"line {row.line}: {str(exc).replace('`', '')}")
    _refuse_errors(Roster([], errors, ()))


def _refuse_errors(roster: Roster) -> None:
    if roster.errors:
        shown = roster.errors[:50] + ([f"... and {len(roster.errors) - 50} more"] if len(roster.errors) > 50 else [])
        raise UserError(f"{len(roster.errors)} problem{'s' if len(roster.errors) > 1 else ''} in the file; nothing was imported:\n"
                        + "\n".join(shown))


def _merged(row: Row, doc: dict[str, Any] | None, team_id: str, sid: str, created_at: str, who: str) -> School:
    """The school as it is to be after ``row`` (``doc``: as it is now, None for a new one)."""
    if doc is None:
        school = School(school_id=sid, name=row.school, team_id=team_id, channel_id=row.channel, model=row.model or "TSI",
                        cycles=list(row.cycles or []), default_cycles=row.cycles is None or row.default_cycles,
                        tz=row.tz or dates.DEFAULT_TZ, created_at=created_at, created_by=who)
    else:
        school = School.from_doc(doc)
        school.name = row.school
        if row.model and row.model != school.model:
            school.model = row.model
            if row.cycles is None:  # as /scep setup model: does: the new model's own cycles
                school.cycles, school.default_cycles = [], True
        if row.cycles is not None:
            school.cycles, school.default_cycles = list(row.cycles), row.default_cycles
        if row.tz:
            school.tz = row.tz
    roles = {k: list(v) for k, v in school.roles.items() if v}
    for role in ROLE_COLUMNS:
        if role in row.roles:
            roles.pop(role, None)
            if row.roles[role]:
                roles[role] = list(row.roles[role])
    school.roles = roles
    return school


def _change(row: Row, doc: dict[str, Any] | None, school: School, relink: bool = False) -> Change:
    """What the row changes (``relink``: an unlinked school linked back to the row's channel)."""
    if doc is None:
        what = [f"model {school.model}", f"cycles {', '.join(school.cycles)}", f"zone {school.tz}"]
        what += [f"{r} {', '.join(p)}" for r, p in school.roles.items() if p]
        return Change(row.line, school.name, row.channel, "create", what)
    before = School.from_doc(doc)
    what = []
    for name, label in (("name", "name"), ("model", "model"), ("cycles", "cycles"), ("tz", "zone")):
        old, new = getattr(before, name), getattr(school, name)
        if old != new:
            show = (lambda v: ", ".join(v)) if isinstance(new, list) else str
            what.append(f"{label} {show(old)} → {show(new)}")
    for role in ROLE_COLUMNS:
        old, new = before.roles.get(role) or [], school.roles.get(role) or []
        if old != new:
            what.append(f"{role} {', '.join(old) or 'nobody'} → {', '.join(new) or 'nobody'}")
    if relink:
        return Change(row.line, school.name, row.channel, "relink", ["its kept data linked back to this channel", *what])
    return Change(row.line, school.name, row.channel, "update" if what else "unchanged", what)
