"""What this process has seen (bounded, in memory): deliveries, events, messages reacted to.

Slack's retries come within minutes, so the most recent ``size`` keys are enough.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class Seen:
    """Keys of requests handled or in flight, the most recent ``size`` of them."""

    def __init__(self, size: int = 50_000) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def first(self, key: str) -> bool:
        """True the first time ``key`` is offered (and remember it)."""
        with self._lock:
            if key in self._keys:
                self._keys.move_to_end(key)
                return False
            self._keys[key] = None
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)
            return True

    def forget(self, key: str) -> None:
        """Offering ``key`` again is a first time (its handling failed: a retry is handled)."""
        with self._lock:
            self._keys.pop(key, None)
