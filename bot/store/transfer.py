"""A store's whole data copied into another store, checked afterwards.

``scep-bot migrate --from DATA_DIR --to postgresql://...`` copies a TinyDB data directory into
PostgreSQL; ``scep-bot export --all --to DIR`` copies a store (either backend) into a TinyDB data
directory, which ``migrate --from`` reads back. What is copied: every school with data (bound to
a channel or not, and the pseudo-school ``workspace``: the digests' ledger), every document of it
(profile, steps, notes, prompts, ledger, audit, ...), its channel binding (or its being unlinked), and every workspace
setting (including ``metadata_key``: an export is as sensitive as the database).

Idempotent: a document or setting already equal in the destination is not written again, so a
second run writes nothing and an interrupted run is finished by running it again. Nothing is
deleted from the destination. Each school is copied in one transaction of its own. Afterwards
every school is read back from the destination and its documents compared with the source's,
kind by kind (the counts in the report are of documents found equal there).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.store.port import ChannelTaken


class WholeStore(Protocol):
    """What both adapters offer for a copy (beyond the port)."""

    def stored_school_ids(self) -> list[str]: ...
    def documents(self, school_id: str) -> dict[str, dict[str, dict[str, Any]]]: ...
    def settings(self) -> dict[str, Any]: ...
    def index_entry(self, school_id: str) -> dict[str, Any] | None: ...
    def transaction(self, school_id: str): ...
    def get_setting(self, key: str, default: Any = None) -> Any: ...
    def set_setting(self, key: str, value: Any) -> None: ...


@dataclass
class TransferReport:
    """What a copy did: schools and documents (by kind) found equal in the destination
    afterwards, what this run wrote, and what did not match (one line each)."""

    schools: int = 0
    bound: int = 0
    unlinked: int = 0
    kinds: Counter = field(default_factory=Counter)  # kind -> documents equal in the destination
    written: int = 0  # documents written by this run (the rest were there already)
    settings: int = 0
    settings_written: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return sum(self.kinds.values())

    def lines(self, source: str, destination: str) -> list[str]:
        """The report, for the operator."""
        kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(self.kinds.items(), key=lambda kv: (-kv[1], kv[0])))
        out = [f"{source} -> {destination}: {self.schools:,} schools ({self.bound:,} bound to a channel, {self.unlinked:,} unlinked), "
               f"{self.documents:,} documents ({kinds or 'none'}), {self.settings:,} settings",
               f"written now: {self.written:,} documents, {self.settings_written:,} settings; already there: "
               f"{self.documents - min(self.written, self.documents):,} documents, {self.settings - self.settings_written:,} settings"]
        if self.problems:
            out += [f"NOT COPIED: {p}" for p in self.problems]
        else:
            out.append("checked: every school, document and setting of the source is in the destination, equal")
        return out


def transfer(source: WholeStore, destination: WholeStore, team: str | None = None) -> TransferReport:
    """Copy ``source`` into ``destination`` (``team``: only the schools of that workspace, and no
    pseudo-school), then check it. Never raises for one school's trouble: it is reported."""
    report = TransferReport()
    for sid in source.stored_school_ids():
        entry = _entry(source.index_entry(sid, unlinked=True))
        if team is not None and (entry is None or entry.get("team_id") != team):
            continue
        docs = source.documents(sid)
        try:
            report.written += _copy_school(destination, sid, entry, docs)
        except ChannelTaken:
            report.problems.append(f"school {sid} ({entry['name'] if entry else ''}): channel {entry['channel_id'] if entry else ''} "
                                   f"of workspace {entry['team_id'] if entry else ''} is linked to another school in the destination")
            continue
        _check_school(destination, sid, entry, docs, report)
    for key, value in source.settings().items():
        if destination.get_setting(key) != value:
            destination.set_setting(key, value)
            report.settings_written += 1
        if destination.get_setting(key) == value:
            report.settings += 1
        else:
            report.problems.append(f"setting {key}: differs in the destination after the copy")
    return report


def _copy_school(destination: WholeStore, sid: str, entry: dict[str, Any] | None, docs: dict[str, dict[str, dict[str, Any]]]) -> int:
    """One school in one transaction; the documents written (0: all there already)."""
    written = 0
    with destination.transaction(sid) as tx:
        for kind, table in docs.items():
            for key, doc in table.items():
                if tx.get(kind, key) != doc:
                    tx.put(kind, key, doc)
                    written += 1
        if entry is not None and _entry(destination.index_entry(sid, unlinked=True)) != entry:
            tx.bind(name=entry["name"], team_id=entry["team_id"], channel_id=entry["channel_id"])
    return written


def _check_school(destination: WholeStore, sid: str, entry: dict[str, Any] | None, docs: dict[str, dict[str, dict[str, Any]]],
                  report: TransferReport) -> None:
    """Read the school back from the destination: every source document there and equal."""
    there = destination.documents(sid)
    for kind, table in docs.items():
        have = there.get(kind) or {}
        equal = sum(1 for key, doc in table.items() if have.get(key) == doc)
        report.kinds[kind] += equal
        if equal != len(table):
            report.problems.append(f"school {sid}: {len(table) - equal} of {len(table)} '{kind}' documents differ in the destination")
    if entry is not None and _entry(destination.index_entry(sid, unlinked=True)) != entry:
        report.problems.append(f"school {sid}: its channel binding differs in the destination")
        return
    report.schools += 1
    report.bound += entry is not None and entry["channel_id"] is not None
    report.unlinked += entry is not None and entry["channel_id"] is None


def _entry(entry: dict[str, Any] | None) -> dict[str, str] | None:
    """An index entry's fields as the port defines them (an old index may lack ``team_id``;
    ``channel_id`` None: an unlinked school)."""
    if not entry:
        return None
    return {"school_id": entry["school_id"], "name": entry.get("name") or "", "team_id": entry.get("team_id") or "",
            "channel_id": entry.get("channel_id") or None}
