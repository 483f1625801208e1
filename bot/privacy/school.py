"""One school exported whole, or deleted for good (archive = the export handed to the admin,
then deleted). After a deletion the channel is free and nothing the store keeps names the
school's data; the privacy log says which school id was deleted, by whom, when."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.privacy.links import drop_pointers
from bot.privacy.records import documents, log_privacy
from bot.store import schema
from bot.store.port import Store


def export_school(store: Store, school_id: str, now: datetime) -> dict[str, Any]:
    """Everything kept about one school: its index entry and every document, by kind and key."""
    out: dict[str, Any] = {"school": store.index_entry(school_id, unlinked=True) or {"school_id": school_id}, "exported_at": now.isoformat(),
                           "documents": {}}
    for kind, key, doc in documents(store, school_id):
        out["documents"].setdefault(kind, {})[key] = doc
    return out


def to_file(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False).encode()


def delete_school(store: Store, school_id: str, who: str, now: datetime, *, archived: bool) -> bool:
    """Delete the school for good (every copy); recorded in the privacy log."""
    gone = store.drop_school(school_id)
    drop_pointers(store, school_id, (schema.FEEDS_SETTING, schema.THREADS_SETTING))  # its feed links and threads point nowhere now
    store.purge_settings()
    log_privacy(store, who, now, "school archived and deleted" if archived else "school deleted", school_id=school_id)
    return gone
