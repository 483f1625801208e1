"""When the store's due index (port.py) can be trusted: it was computed from the providers, the
cycle library and the workspace settings the providers read, at some instant. A sweep that sees
any of these differ from what the index was computed with, or that runs more than
``BACKWARDS`` before the latest instant anything was computed at (``scep-bot sweep --at`` in the
past), makes every school's next due instant unknown first (``Store.forget_due``): the next sweep
computes each school once and the index holds again.

Kept in the store as the setting ``DUE_SETTING`` ({"signature", "latest"}), shared by the
replicas on one database; written only when it changes (``latest`` at most every ``LATEST_STEP``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from bot.calendar import dates

DUE_SETTING = "due_index"  # setting: {"signature": hex, "latest": ISO instant}
BACKWARDS = timedelta(hours=1)  # a sweep this much before the latest computed instant starts afresh
LATEST_STEP = timedelta(minutes=10)

_LIBRARY_PRINTS: dict[int, str] = {}


def library_print(library: Any) -> str:
    """A fingerprint of the cycle library's content (computed once per library object)."""
    key = id(library)
    if key not in _LIBRARY_PRINTS:
        cycles = getattr(library, "cycles", {})
        text = repr(sorted((cid, repr(c)) for cid, c in cycles.items()))
        _LIBRARY_PRINTS[key] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return _LIBRARY_PRINTS[key]


def signature_of(library: Any, settings: dict[str, Any], providers: Any) -> str:
    """What the due index depends on, as one short hex string."""
    text = json.dumps([library_print(library), sorted(providers.school), sorted(providers.workspace), sorted(providers.every),
                       {k: v for k, v in sorted(settings.items())}], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def check_index(store: Any, signature: str, now: datetime) -> bool:
    """Make the store's due index fit for a sweep as of ``now``; True when it was reset."""
    current = store.get_setting(DUE_SETTING) or {}
    latest = _instant(current.get("latest"))
    reset = current.get("signature") != signature or (latest is not None and now < latest - BACKWARDS)
    if reset:
        store.forget_due()
        store.set_setting(DUE_SETTING, {"signature": signature, "latest": now.isoformat()})
    elif latest is None or now - latest >= LATEST_STEP:
        store.update_setting(DUE_SETTING, lambda cur: {**(cur or {}), "signature": signature,
                                                       "latest": max(now, _instant((cur or {}).get("latest")) or now).isoformat()})
    return reset


def _instant(text: Any) -> datetime | None:
    try:
        return dates.parse_instant(text) if text else None
    except Exception:  # noqa: BLE001 - a damaged setting: start afresh
        return None
