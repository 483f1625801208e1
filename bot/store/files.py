"""The TinyDB adapter's files: atomic replace, rotating copies, the directory lock, checks, doctor.

Layout: ``DATA_DIR/index.json`` (plain JSON: schools and settings), ``DATA_DIR/schools/<id>.json``
(TinyDB's layout), ``DATA_DIR/scep-bot.lock`` (held by the one process using the directory).
Durability: temp file in the same folder, ``fsync``, ``os.replace``, ``fsync`` of the folder.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from tinydb import TinyDB
from tinydb.storages import JSONStorage

from bot.store.port import StoreError, StoreFull, StoreLocked

INDEX_FILE = "index.json"
LOCK_FILE = "scep-bot.lock"
SCHOOLS_DIR = "schools"
BACKUPS = 3  # earlier versions kept of every data file, as hidden hard links beside it


def backup_path(path: Path, n: int) -> Path:
    """The ``n``-th previous version of ``path`` (1 = the one before the current)."""
    return path.with_name(f".{path.name}.{n}")


def atomic_write(path: Path, text: str, keep: int = BACKUPS) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves the old or the new file, whole.

    The version being replaced is kept as ``.<name>.1`` (older ones shift to ``.2``, ``.3``) by
    hard links and renames, so ``scep-bot doctor`` can restore the last good copy of a damaged
    file without the write path ever copying data.
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise _full(exc, path) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if keep and path.exists():
            for n in range(keep - 1, 0, -1):
                older = backup_path(path, n)
                if older.exists():
                    os.replace(older, backup_path(path, n + 1))
            try:
                os.link(path, backup_path(path, 1))
            except FileExistsError:  # a crash between two renames: the link is already there
                pass
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _full(exc, path) from exc
        raise
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _full(exc: OSError, path: Path) -> OSError:
    """``StoreFull`` for a write that failed for want of space (ENOSPC, EDQUOT), else ``exc``."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreFull(f"no space left to write {path.name} in {path.parent}")
    return exc


def shred(path: Path) -> bool:
    """Overwrite ``path`` with zeros (fsync'd) and remove it; False when there was none.

    The bytes are overwritten in place where the file system does that (ext4, xfs); a
    copy-on-write file system (btrfs, zfs) or an SSD's wear levelling may keep the old blocks
    until they are reused: PRIVACY.md says to encrypt the disk for that. A file with another
    hard link (the live data file) is only unlinked, never zeroed.
    """
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return False
    try:
        st = os.fstat(fd)
        if st.st_nlink == 1:
            left, zeros = st.st_size, b"\0" * 65536
            while left > 0:
                left -= os.write(fd, zeros[: min(left, len(zeros))])
            os.fsync(fd)
    finally:
        os.close(fd)
    os.unlink(path)
    return True


UPGRADE_COPIES = "upgrade-backups"  # the copies kept before a data upgrade (bot.store.tinydb_migrations)


def drop_copies(path: Path) -> int:
    """Shred every rotating copy of ``path`` and its copies kept before data upgrades (after a
    deletion: neither doctor nor a restore may bring the deleted text back); how many there
    were. Syncs the folder."""
    n = sum(shred(backup_path(path, i)) for i in range(1, BACKUPS + 1))
    root = path.parent.parent if path.parent.name == "schools" else path.parent
    for kept in (root / UPGRADE_COPIES).glob(f"*/{path.relative_to(root)}"):
        n += shred(kept)
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):  # a crashed write's temp file
        shred(leftover)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    return n


def load_json(path: Path) -> dict[str, Any]:
    """A data file's JSON object ({} when missing or empty); a StoreError naming the file and
    ``scep-bot doctor`` when it is damaged."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(
            f"{path} is corrupt (line {exc.lineno}: {exc.msg}); run `scep-bot doctor` to restore "
            "it from its last good copy"
        ) from None
    if not isinstance(data, dict):
        raise StoreError(f"{path} is not a scep-bot data file (expected a JSON object)")
    return data


def data_files(root: Path) -> list[Path]:
    """The index and every school file of the data directory ``root`` that exist."""
    return [p for p in [root / INDEX_FILE, *sorted((root / SCHOOLS_DIR).glob("*.json"))] if p.exists()]


def check_file(path: Path) -> str | None:
    """Why ``path`` is not a sound data file, or None: it must parse as JSON and open as a
    TinyDB database whose tables all read."""
    try:
        data = load_json(path)
    except StoreError as exc:
        return str(exc)
    if path.name == INDEX_FILE or path.name.startswith(f".{INDEX_FILE}."):
        return _index_problem(path, data)  # the index is plain JSON, not a TinyDB database
    try:
        with TinyDB(path, storage=JSONStorage, access_mode="r") as db:
            for name in db.tables():
                db.table(name).all()
    except Exception as exc:  # noqa: BLE001 - any failure means TinyDB cannot read it
        return f"{path} is not a TinyDB database TinyDB can read ({exc.__class__.__name__}: {exc})"
    return None


def _index_problem(path: Path, data: dict[str, Any]) -> str | None:
    schools, settings = data.get("schools", {}), data.get("settings", {})
    if not isinstance(schools, dict) or not isinstance(settings, dict):
        return f"{path} is not a scep-bot index (schools and settings must be JSON objects)"
    for sid, entry in schools.items():
        if not isinstance(entry, dict) or entry.get("school_id") != sid:
            return f"{path} is not a sound scep-bot index (the entry of school '{sid}' is malformed)"
    return None


def lock_directory(root: Path) -> IO[str]:
    """Take the data directory's lock (one process per directory); the open lock file.
    ``StoreLocked`` naming the holder when another process has it."""
    path = root / LOCK_FILE
    fh = open(path, "a+")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        fh.seek(0)
        holder = fh.read().strip() or "another process"
        fh.close()
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            raise StoreLocked(
                f"the data directory {root} is in use by a running scep-bot ({holder}); "
                "stop it first, or point SCEP_DATA_DIR at another directory"
            ) from None
        raise
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()}\n")
    fh.flush()
    return fh


def unlock_directory(fh: IO[str]) -> None:
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    finally:
        fh.close()


def remove_temp_files(root: Path) -> None:
    """Temp files left by a process killed in the middle of ``atomic_write`` (never the data:
    the file they were to replace is whole). Only the lock holder may do this."""
    for folder in (root, root / SCHOOLS_DIR):
        for tmp in folder.glob(".*.tmp"):
            try:
                tmp.unlink()
            except OSError:
                pass


def make_data_dir(root: Path) -> None:
    try:
        (root / SCHOOLS_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the data directory {root}: {exc.strerror}; set SCEP_DATA_DIR") from None


def doctor(data_dir: str | os.PathLike[str]) -> list[str]:
    """Check every data file; restore each damaged one from its newest sound backup.

    Returns what was found and done, one line each. Run it with the bot stopped: it takes the
    data directory's lock like the bot does.
    """
    root = Path(data_dir)
    make_data_dir(root)
    lock = lock_directory(root)
    report: list[str] = []
    try:
        remove_temp_files(root)
        for path in data_files(root):
            problem = check_file(path)
            if problem is None:
                continue
            for n in range(1, BACKUPS + 1):
                candidate = backup_path(path, n)
                if candidate.exists() and check_file(candidate) is None:
                    atomic_write(path, candidate.read_text(encoding="utf-8"), keep=0)
                    when = datetime.fromtimestamp(candidate.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
                    report.append(f"restored {path} from its copy of {when} ({candidate.name}); changes after that are lost. It was: {problem}")
                    break
            else:
                report.append(f"cannot restore {path}: no sound copy is left ({problem}). Move it aside to start that school afresh.")
    finally:
        unlock_directory(lock)
    return report
