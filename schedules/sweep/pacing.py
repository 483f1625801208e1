"""Per-channel pacing: at most one post a second to each channel (Slack's chat.postMessage limit),
and an order of messages that takes turns between channels, so one busy channel's pacing never
holds up the others.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Callable, TypeVar

T = TypeVar("T")


class Pacer:
    """At most one post per ``interval`` seconds to each channel (Slack's chat.postMessage limit).
    ``reserve(target, interval, now)`` (the store's ``reserve_slot``: shared by every replica on the
    store) answers the seconds to wait; without it the pace is kept here. ``sleep`` and
    ``clock`` are parameters so tests can keep time themselves."""

    def __init__(self, interval: float = 1.0, sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 reserve: Callable[[str, float, float], float] | None = None) -> None:
        self.reserve = reserve
        self.interval = interval
        self.sleep = sleep
        self.clock = clock
        self.last: dict[str, float] = {}
        self.lock = threading.Lock()
        self.waited = 0.0

    def wait(self, target: str) -> None:
        """Sleep until ``target`` may be posted to, and reserve that moment."""
        if self.reserve is not None:
            pause = self.reserve(target, self.interval, self.clock())
            if pause > 0:
                self.waited += pause
                self.sleep(pause)
            return
        with self.lock:
            now = self.clock()
            last = self.last.get(target)
            ready = now if last is None else max(now, last + self.interval)
            self.last[target] = ready
        pause = ready - now
        if pause > 0:
            self.waited += pause
            self.sleep(pause)


def round_robin(messages: list[T], target: Callable[[T], str]) -> list[T]:
    """``messages`` reordered to take turns between targets (each target's own order kept)."""
    queues: dict[str, list[T]] = defaultdict(list)
    for msg in messages:
        queues[target(msg)].append(msg)
    order: list[T] = []
    while queues:
        for key in list(queues):
            order.append(queues[key].pop(0))
            if not queues[key]:
                del queues[key]
    return order
