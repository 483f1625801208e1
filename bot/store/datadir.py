"""Whether the bot may write its data directory, said in one line that names SCEP_DATA_DIR.

The bot (``serve``, ``socket``, ``sweep``, the console) holds a lock file in the data directory and
replaces files there; on a read-only mount, or a directory another user owns, the first write
failed with a traceback ending in ``OSError ... scep-bot.lock``. ``write_problem`` is asked before
the store takes its lock; the store turns the answer into a ``StoreError`` (exit code 2).
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.store.files import LOCK_FILE


def write_problem(root: Path, subdirs: tuple[str, ...] = ("schools",)) -> str | None:
    """Why the bot cannot write ``root`` (its data directory), or None if it can."""
    for path in (root, *(root / d for d in subdirs)):
        if path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
            return _why(path, root)
    lock = root / LOCK_FILE
    if lock.exists() and not os.access(lock, os.W_OK):
        return _why(lock, root)
    return None


def _why(path: Path, root: Path) -> str:
    where = "" if path == root else f" ({path.relative_to(root)} in it)"
    try:
        read_only = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        what = "is on a read-only file system"
        fix = "point SCEP_DATA_DIR at a writable directory, or mount it read-write"
    else:
        what = f"is not writable by this user (uid {os.getuid()})" if hasattr(os, "getuid") else "is not writable by this user"
        fix = "point SCEP_DATA_DIR at a directory this user owns, or fix its permissions"
    return f"SCEP_DATA_DIR {root}{where} {what}: scep-bot keeps its data and its lock file there; {fix}"
