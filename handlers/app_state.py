"""Typed state a group of listeners keeps for one app (one ``Services``): created on first use,
found by its class, so no listener reaches into another's state by a string key."""

from __future__ import annotations

import threading
from typing import TypeVar

T = TypeVar("T")

_LOCK = threading.Lock()


def app_state(services, kind: type[T]) -> T:
    """This app's one ``kind()`` (``kind`` is a class with no required arguments)."""
    with _LOCK:
        state = services.listener_state.get(kind)
        if state is None:
            state = services.listener_state[kind] = kind()
        return state
