"""The one place that builds the store: PostgreSQL when ``settings.database_url`` is set
(SCEP_DATABASE_URL), else the TinyDB adapter in ``settings.data_dir`` (the embedded default)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bot.store.port import Store
from bot.store.tinydb_store import ReadOnlyStore, TinyStore


class StoreSettings(Protocol):
    data_dir: Path
    database_url: str | None
    database_pool_size: int


def open_store(settings: StoreSettings, read_only: bool = False) -> Store:
    """The PostgreSQL store of ``settings.database_url`` (``StoreError`` when the database is
    down or not at the schema version this code needs; several processes may open it, so
    ``read_only`` changes nothing), else the TinyDB store of ``settings.data_dir``, holding the
    directory's lock (``StoreLocked`` when a running bot has it); ``read_only``: without the
    lock, refusing every write (``StoreError`` when the directory holds no scep-bot data)."""
    if settings.database_url:
        from bot.store.postgres_store import (
            PostgresStore,  # psycopg loads only where it is used
        )

        return PostgresStore(settings.database_url, pool_size=settings.database_pool_size)
    return ReadOnlyStore(settings.data_dir) if read_only else TinyStore(settings.data_dir)
