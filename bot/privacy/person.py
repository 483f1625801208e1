"""Everything the bot keeps about one person (a Slack user id), found and deleted: for a
departing staff member. Their roles are removed, their authorship of notes and of every
recorded change is replaced by ``FORMER``, mentions of them in text become ``@former staff``,
their calendar feed links stop working, and no copy the store keeps holds their id."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from bot.core.steps import audit
from bot.privacy.records import documents, log_privacy, school_ids, setting_names
from bot.store import schema
from bot.store.port import Store

FORMER = "former staff"  # what stands where a forgotten person's id was
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def valid_user(text: str) -> str | None:
    """``<@U123>``, ``<@U123|name>`` or ``U123`` -> ``U123``; None otherwise."""
    m = re.fullmatch(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|([UW][A-Z0-9]{2,})", text.strip())
    return (m.group(1) or m.group(2)) if m else None


def names_of(user: dict[str, Any] | None) -> tuple[str, ...]:
    """The person's full names as Slack gives them (``users.info``), at least 5 characters: the
    bot keeps a note author's name beside the id. Short names are left (they would match words)."""
    profile = (user or {}).get("profile") or {}
    found = {(user or {}).get("real_name"), profile.get("real_name"), profile.get("display_name")}
    return tuple(sorted(n for n in found if isinstance(n, str) and len(n.strip()) >= 5))


def mentions(value: Any, uid: str, names: tuple[str, ...] = ()) -> bool:
    text = json.dumps(value, ensure_ascii=False)
    return uid in text or any(n in text for n in names)


def scrub(value: Any, uid: str, names: tuple[str, ...] = ()) -> Any:
    """``value`` with the person taken out: list items equal to ``uid`` dropped, dict entries
    keyed by it dropped, the id elsewhere in text replaced (``<@uid…>`` by ``@former staff``),
    and their full names too."""
    if isinstance(value, str):
        if value == uid:
            return FORMER
        value = re.sub(rf"<@{uid}(?:\|[^>]*)?>", "@" + FORMER, value)
        for n in names:
            value = value.replace(n, FORMER)
        return value.replace(uid, FORMER)
    if isinstance(value, list):
        return [scrub(v, uid, names) for v in value if v != uid]
    if isinstance(value, dict):
        out = {scrub(k, uid, names): scrub(v, uid, names) for k, v in value.items() if k != uid}
        if value.get("author") == uid and "author_name" in out:  # the name kept beside the id
            out["author_name"] = FORMER
        return out
    return value


def _scrub_setting(name: str, value: Any, uid: str, names: tuple[str, ...]) -> Any:
    if name == schema.FEEDS_SETTING and isinstance(value, dict):  # their feed links stop working
        value = {h: f for h, f in value.items() if not (isinstance(f, dict) and f.get("user") == uid)}
    return scrub(value, uid, names)


def forget_person(store: Store, uid: str, who: str, now: datetime, names: tuple[str, ...] = (), team_id: str | None = None) -> dict[str, int]:
    """Take ``uid`` out of every school, the workspace ledger and the settings; every copy the
    store keeps purged; ``team_id``: only that workspace's schools. Each school touched records "person forgotten" (by whom, when, how many
    documents; never the person's id). Returns {"schools", "documents", "settings"}."""
    counts = {"schools": 0, "documents": 0, "settings": 0}
    for sid in school_ids(store, team_id):
        hits = [(kind, key, doc) for kind, key, doc in documents(store, sid) if uid in key or mentions(doc, uid, names)]
        if not hits:
            continue
        with store.transaction(sid) as tx:
            for kind, key, doc in hits:
                tx.delete(kind, key)
                tx.put(kind, scrub(key, uid, names), scrub(doc, uid, names))
            if sid in store.school_ids(unlinked=True):
                audit(tx, who if who != uid else FORMER, now, "person forgotten", documents=len(hits))
            tx.purge()
        counts["schools"] += 1
        counts["documents"] += len(hits)
    for name in setting_names():
        value = store.get_setting(name)
        if value is not None and mentions(value, uid, names):
            store.update_setting(name, lambda v, name=name: _scrub_setting(name, v, uid, names))
            counts["settings"] += 1
    log_privacy(store, who if who != uid else FORMER, now, "person forgotten", schools=counts["schools"], documents=counts["documents"])
    store.purge_settings()
    return counts


def export_person(store: Store, uid: str, now: datetime, names: tuple[str, ...] = (), team_id: str | None = None) -> dict[str, Any]:
    """Everything kept that names ``uid``: per school, each document (kind, key, document); the
    settings' entries."""
    out: dict[str, Any] = {"person": uid, "exported_at": now.isoformat(), "schools": {}, "settings": {}}
    for sid in school_ids(store, team_id):
        hits = [{"kind": k, "key": key, "document": doc} for k, key, doc in documents(store, sid) if uid in key or mentions(doc, uid, names)]
        if hits:
            entry = store.index_entry(sid, unlinked=True) or {"school_id": sid}
            out["schools"][sid] = {"school": entry, "documents": hits}
    for name in setting_names():
        value = store.get_setting(name)
        if value is not None and mentions(value, uid, names):
            out["settings"][name] = value
    return out
