"""A workspace's schools as a roster CSV (the columns ``scep-bot schools import`` reads), so a
district can export, edit and import again: the export of an import is the same file."""

from __future__ import annotations

import csv
import io

from bot.setup.validate import DEFAULTS_WORD
from bot.core.schools import School
from bot.onboarding.roster import COLUMNS, ROLE_COLUMNS
from bot.store.port import Store
from bot.store.schema import PROFILE


def roster_csv(store: Store, team_id: str | None) -> str:
    """Every school of workspace ``team_id`` (None: of every workspace), by name then channel;
    channels and people as Slack ids."""
    schools = []
    for sid in store.school_ids():
        entry = store.index_entry(sid) or {}
        if team_id is not None and entry.get("team_id", "") != team_id:
            continue
        doc = store.view(sid).get(*PROFILE)
        if doc is not None and entry.get("channel_id"):
            schools.append(School.from_doc(doc))
    schools.sort(key=lambda s: (s.name.lower(), s.channel_id))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for s in schools:
        writer.writerow([s.name, s.channel_id, s.model, ", ".join(([DEFAULTS_WORD] if s.default_cycles and s.cycles else []) + list(s.cycles)), s.tz,
                         *(", ".join(s.roles.get(role) or []) for role in ROLE_COLUMNS)])
    return out.getvalue()
