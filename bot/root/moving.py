"""Moving in and out: ``scep-bot migrate --from DATA_DIR --to postgresql://...`` (a TinyDB data
directory into PostgreSQL) and ``scep-bot export --all --to DIR`` (the store's data out, as a
TinyDB data directory that ``migrate --from`` reads back). Both copy with bot/store/transfer.py
(idempotent, checked) and print its report; exit 0 when everything matched, 1 otherwise, 2 for a
bad argument (one line saying what to type instead)."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.root.settings import DATABASE_URL_FORM, ConfigError, Settings, check_database_url
from bot.root.store import open_store
from bot.store.files import INDEX_FILE


def migrate_from_command(data_dir: str, url: str | None) -> int:
    """Copy the TinyDB data directory ``data_dir`` into the database ``url`` (default
    SCEP_DATABASE_URL), after bringing its schema up to date. The directory's lock is held
    while copying: stop the bot that uses it first."""
    from bot.store.postgres_migrations import describe, migrate
    from bot.store.postgres_store import PostgresStore
    from bot.store.tinydb_store import TinyStore
    from bot.store.transfer import transfer

    url = url or Settings.from_env().database_url
    if not url:
        raise ConfigError(f"say where to copy to: --to {DATABASE_URL_FORM} (or set SCEP_DATABASE_URL)")
    try:
        check_database_url(url)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("SCEP_DATABASE_URL", "--to", 1)) from None
    root = Path(data_dir)
    if not root.is_dir():
        raise ConfigError(f"--from {root}: no such directory; give the bot's data directory (SCEP_DATA_DIR, e.g. ./data)")
    if not (root / INDEX_FILE).exists():
        raise ConfigError(f"--from {root} holds no scep-bot data (no {INDEX_FILE}); give the bot's data directory (SCEP_DATA_DIR)")
    version, _ = migrate(url)
    source = TinyStore(root)  # the directory's lock: a running bot there is refused (StoreLocked)
    try:
        destination = PostgresStore(url, pool_size=2)
        try:
            report = transfer(source, destination)
        finally:
            destination.close()
    finally:
        source.close()
    for line in report.lines(str(root), f"{describe(url)} (schema version {version})"):
        print(f"scep-bot migrate: {line}")
    return 1 if report.problems else 0


def export_all_command(to: str | None, team: str | None) -> int:
    """Copy the store of SCEP_DATABASE_URL (or SCEP_DATA_DIR) into a TinyDB data directory
    ``to`` (created; an earlier export there is brought up to date); ``team``: one workspace's
    schools only."""
    from bot.store.tinydb_store import TinyStore
    from bot.store.transfer import transfer

    if not to:
        raise ConfigError("say where to write: scep-bot export --all --to DIR (a new directory, or an earlier export)")
    settings = Settings.from_env()
    target = Path(to)
    if target.exists() and not target.is_dir():
        raise ConfigError(f"--to {target} is a file: give a directory (it is created)")
    if settings.database_url is None and target.resolve() == settings.data_dir.resolve():
        raise ConfigError(f"--to {target} is the data directory itself (SCEP_DATA_DIR): give another directory")
    source = open_store(settings)
    try:
        destination = TinyStore(target)
        try:
            report = transfer(source, destination, team=team)
        finally:
            destination.close()
    finally:
        source.close()
    what = "the database of SCEP_DATABASE_URL" if settings.database_url else str(settings.data_dir)
    if team:
        what += f" (workspace {team})"
    for line in report.lines(what, str(target)):
        print(f"scep-bot export: {line}")
    if team and report.schools == 0:
        print(f"scep-bot export: no school of workspace {team} (team ids look like T012AB3C4)", file=sys.stderr)
        return 1
    return 1 if report.problems else 0
