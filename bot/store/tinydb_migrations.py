"""The TinyDB data directory's schema version and the migrations that bring it up to date on start.

``index.json`` holds ``"data_version"``: the layout of the data files it and ``schools/*.json``
have. When the bot (the process holding the directory's lock) opens a directory of an older
version, it first copies the data files to ``DATA_DIR/upgrade-backups/v<old>[-n]/``, then runs
each migration newer than the directory's, in order, stamping the version in ``index.json`` after
each one (a crash resumes at the migration that did not finish; each must be safe to run again).
A directory written by a newer scep-bot is refused with a message, never read.

Adding a migration: bump ``DATA_VERSION``, append ``Migration(DATA_VERSION, what, run)`` to
``MIGRATIONS`` (``run(root, index)`` rewrites files with ``atomic_write`` and returns the index),
add a line to CHANGELOG.md, and a test with a directory of the old layout.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bot.store.files import INDEX_FILE, SCHOOLS_DIR, UPGRADE_COPIES, atomic_write, data_files
from bot.store.port import StoreError

log = logging.getLogger("scep-bot")

VERSION_KEY = "data_version"
BACKUPS_DIR = UPGRADE_COPIES  # "upgrade-backups": a deletion shreds its files there too (files.drop_copies)


@dataclass(frozen=True)
class Migration:
    to: int  # the version the data has after it
    what: str  # one line for the log and the CHANGELOG
    run: Callable[[Path, dict[str, Any]], dict[str, Any]]  # (data dir, index) -> the new index


def _stamp(root: Path, index: dict[str, Any]) -> dict[str, Any]:
    """Version 1: the layout of scep-bot 0.1 unchanged, now with its version in index.json."""
    return index


def _unlinked(root: Path, index: dict[str, Any]) -> dict[str, Any]:
    """Version 2: an index entry may have no channel (an unlinked school). The files are as they
    were; the version keeps an older scep-bot, which would take such a school for a bound one,
    from opening the directory."""
    return index


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "the data schema version is recorded in index.json", _stamp),
    Migration(2, "a school may stay in the index without a channel (unlinked)", _unlinked),
)
DATA_VERSION = MIGRATIONS[-1].to


def version_of(index: dict[str, Any]) -> int:
    """The data version of a directory whose index is ``index`` ({}: a new directory, current)."""
    if not index:
        return DATA_VERSION
    v = index.get(VERSION_KEY, 0)  # before versions were recorded: 0
    if not isinstance(v, int) or v < 0:
        raise StoreError(f"index.json's {VERSION_KEY} is {v!r}, not a version number: run `scep-bot doctor`")
    return v


def too_new(root: Path, version: int, latest: int = DATA_VERSION) -> str | None:
    """Why this scep-bot must not read ``root`` (written by a newer one), or None."""
    if version <= latest:
        return None
    return (f"the data directory {root} was written by a newer scep-bot (data version {version}; this one reads up to "
            f"{latest}): run the newer version again, or restore the copy kept before it upgraded the data "
            f"({root / BACKUPS_DIR}; docs/runbook.md, \"Upgrading\")")


def upgrade(root: Path, index: dict[str, Any], migrations: tuple[Migration, ...] = MIGRATIONS) -> dict[str, Any]:
    """``index`` of ``root`` at the newest version of ``migrations``: a copy of the data files
    kept first, then each pending migration in order. Only the lock holder may call it."""
    latest = migrations[-1].to if migrations else 0
    version = version_of(index) if index else latest
    if (why := too_new(root, version, latest)) is not None:
        raise StoreError(why)
    pending = [m for m in migrations if m.to > version]
    if not pending:
        return index
    kept = _keep_copy(root, version)
    for m in pending:
        index = m.run(root, index)
        index[VERSION_KEY] = m.to
        atomic_write(root / INDEX_FILE, _dumps(index))
        log.warning("data directory %s upgraded to data version %d: %s", root, m.to, m.what)
    log.warning("data directory upgraded from version %d to %d; the files as they were are in %s "
                "(remove it once the bot works: it holds everything the data held)", version, latest, kept)
    return index


def _keep_copy(root: Path, version: int) -> Path:
    base = root / BACKUPS_DIR / f"v{version}"
    target, n = base, 1
    while target.exists():
        n += 1
        target = base.with_name(f"{base.name}-{n}")
    (target / SCHOOLS_DIR).mkdir(parents=True, mode=0o700)
    for path in data_files(root):
        shutil.copy2(path, target / path.relative_to(root))
    return target


def _dumps(index: dict[str, Any]) -> str:
    import json

    return json.dumps(index, sort_keys=True)
