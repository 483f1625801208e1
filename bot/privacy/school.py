"""One school exported whole, or deleted for good (archive = the export handed to the admin,
then deleted). After a deletion the channel is free and nothing the store keeps names the
school's data; the privacy log says which school id was deleted, by whom, when."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.privacy.records import documents, log_privacy
from bot.store import schema
from bot.store.port import Store


def export_school(store: Store, school_id: str, now: datetime) -> dict[str, Any]:
    """Everything kept about one school: its index entry and every document, by kind and key."""
    out: dict[str, Any] = {"school": store.index_entry(school_id) or {"school_id": school_id}, "exported_at": now.isoformat(),
                           "documents": {}}
    for kind, key, doc in documents(store, school_id):
        out["documents"].setdefault(kind, {})[key] = doc
    return out


def to_file(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False).encode()


def _points_to(entry: Any, school_id: str) -> bool:
    return entry == school_id or (isinstance(entry, dict) and entry.get("school_id") == school_id)


def delete_school(store: Store, school_id: str, who: str, now: datetime, *, archived: bool) -> bool:
    """Delete the school for good (every copy); recorded in the privacy log."""
    gone = store.drop_school(school_id)
    for name in (schema.FEEDS_SETTING, schema.THREADS_SETTING):  # its feed links and threads point nowhere now
        value = store.get_setting(name)
        if isinstance(value, dict) and any(_points_to(v, school_id) for v in value.values()):
            store.update_setting(name, lambda v: {k: e for k, e in (v or {}).items() if not _points_to(e, school_id)}, {})
    store.purge_settings()
    log_privacy(store, who, now, "school archived and deleted" if archived else "school deleted", school_id=school_id)
    return gone
