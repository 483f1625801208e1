"""The one place that builds the store: the TinyDB adapter in ``settings.data_dir``."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bot.store.port import Store
from bot.store.tinydb_store import ReadOnlyStore, TinyStore


class StoreSettings(Protocol):
    data_dir: Path


def open_store(settings: StoreSettings, read_only: bool = False) -> Store:
    """The store of ``settings.data_dir``, holding the directory's lock (``StoreLocked`` when a
    running bot has it); ``read_only``: without the lock, refusing every write (``StoreError``
    when the directory holds no scep-bot data)."""
    return ReadOnlyStore(settings.data_dir) if read_only else TinyStore(settings.data_dir)
