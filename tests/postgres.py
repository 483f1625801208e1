"""A real PostgreSQL server for the tests, started from the machine's binaries.

``postgres_server`` (session scope) runs one throwaway server per pytest process (so one per
pytest-xdist worker): ``initdb`` into a fresh directory under the system temp dir, ``postgres``
listening on a Unix socket in that directory only (no TCP), trust authentication, durability off
(fsync, synchronous_commit, full_page_writes: a crash loses nothing we keep). At the end of the
session it stops the server and deletes its directory, whatever the tests did. ``postgres_url``
(session scope) is the URL of the server's ``postgres`` database. ``postgres_db`` (function scope)
is the URL of an empty database of the test's own, created from ``template0`` and dropped (WITH
FORCE) after the test.

PostgreSQL refuses to run as root and CI runs as root: then the server runs as the ``postgres``
system user (the Debian package's), and its directory is handed to that user.

Without the binaries the tests that use these fixtures are skipped, except where the ``CI``
environment variable is set: there they fail, since a CI run must never skip them silently.
Conftest registers the fixtures by importing them.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

INSTALL_HINT = "install PostgreSQL >= 13 with `apt-get install postgresql`"
SUPERUSER = "postgres"
PORT = 5432  # names the socket file only: each server has a socket directory of its own
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


def find_bin_dir() -> Path | None:
    """The directory holding both ``initdb`` and ``postgres``: from PATH, else the newest
    /usr/lib/postgresql/<version>/bin (where Debian puts them, outside PATH)."""
    initdb = shutil.which("initdb")
    if initdb:
        bin_dir = Path(os.path.realpath(initdb)).parent
        if (bin_dir / "postgres").exists():
            return bin_dir
    candidates = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    candidates = [d for d in candidates if (d / "postgres").exists()]
    if not candidates:
        return None
    return max(candidates, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else -1)


def _parent_death_signal(sig: int) -> None:
    """In the server's child process, after setuid: ask Linux to send ``sig`` to it when the
    test process dies without running its teardown (killed), so no server outlives the tests."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, ctypes.c_ulong(int(sig)), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class PostgresServer:
    """One throwaway PostgreSQL server on a Unix socket in a temporary directory; ``durable``:
    with PostgreSQL's default durability (benchmarks), not the tests' fsync off."""

    def __init__(self, bin_dir: Path, *, durable: bool = False) -> None:
        self.bin_dir = bin_dir
        self.durable = durable
        self.run_as: str | None = SUPERUSER if os.geteuid() == 0 else None
        self.base: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._admin: psycopg.Connection | None = None
        self._names = itertools.count(1)

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> None:
        # Under the system temp dir (/tmp, world-traversable), not pytest's tmp_path: root's
        # /tmp/pytest-of-root is mode 0700, which the postgres user cannot pass through.
        self.base = Path(tempfile.mkdtemp(prefix="scep-pg-"))
        if self.run_as:
            user = pwd.getpwnam(self.run_as)
            os.chown(self.base, user.pw_uid, user.pw_gid)
        data = self.base / "data"
        self._run([self.bin_dir / "initdb", "-D", data, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        fast = [] if self.durable else ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        log = open(self.base / "server.log", "wb")  # noqa: SIM115 - the server writes it until stop()
        try:
            self.process = subprocess.Popen(
                [
                    str(self.bin_dir / "postgres"), "-D", str(data), "-p", str(PORT),
                    "-c", f"unix_socket_directories={self.base}", "-c", "listen_addresses=",
                    *fast, "-c", "max_connections=50",
                ],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.base,
                **self._as_user(),
                preexec_fn=lambda: _parent_death_signal(signal.SIGQUIT),
            )
        finally:
            log.close()
        self._wait_until_ready()

    def stop(self) -> None:
        """Fast shutdown (SIGINT: disconnects clients), then SIGKILL if it hangs; deletes the files."""
        if self._admin is not None:
            with contextlib.suppress(psycopg.Error):
                self._admin.close()
            self._admin = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    # -- addresses and databases ----------------------------------------------------------
    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL for ``dbname`` over this server's socket, e.g.
        ``postgresql://postgres@/t1?host=/tmp/scep-pg-abc&port=5432``."""
        assert self.base is not None, "server not started"
        return f"postgresql://{SUPERUSER}@/{dbname}?host={self.base}&port={PORT}"

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A new empty database (a copy of template0) for the duration of the block: yields its URL."""
        name = f"t{next(self._names)}"
        self._execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
        try:
            yield self.url(name)
        finally:
            self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    # -- helpers -------------------------------------------------------------------------
    def _as_user(self) -> dict:
        if not self.run_as:
            return {}
        user = pwd.getpwnam(self.run_as)
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def _run(self, cmd: list) -> None:
        done = subprocess.run([str(c) for c in cmd], cwd=self.base, stdin=subprocess.DEVNULL, capture_output=True, text=True, **self._as_user())
        if done.returncode != 0:
            raise RuntimeError(f"{Path(cmd[0]).name} failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    def _wait_until_ready(self) -> None:
        assert self.process is not None and self.base is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.process.returncode}:\n{self._log_tail()}")
            try:
                self._admin = psycopg.connect(self.url(), autocommit=True, connect_timeout=2)
                return
            except psycopg.OperationalError as e:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"postgres did not accept connections within {START_TIMEOUT_S:.0f} s: {e}\n{self._log_tail()}") from e
                time.sleep(0.05)

    def _execute(self, statement: sql.Composable) -> None:
        assert self._admin is not None, "server not started"
        self._admin.execute(statement)

    def _log_tail(self, lines: int = 30) -> str:
        assert self.base is not None
        try:
            return "\n".join((self.base / "server.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _unavailable(reason: str) -> None:
    """Fail in CI (the CI variable is set), skip elsewhere, with how to install PostgreSQL."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so these tests fail rather than skip): {INSTALL_HINT}", pytrace=False)
    pytest.skip(f"{reason}: {INSTALL_HINT}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for this pytest process (each xdist worker has its own)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _unavailable("PostgreSQL server binaries (initdb, postgres) not found")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            _unavailable(f"running as root and there is no {SUPERUSER!r} system user to run the server as")
    server = PostgresServer(bin_dir)
    try:
        started = time.monotonic()
        server.start()
        print(f"postgres: {bin_dir} started in {time.monotonic() - started:.2f} s at {server.base}", file=sys.stderr)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of the session server's ``postgres`` database (for CREATE DATABASE and the like)."""
    return postgres_server.url()


@pytest.fixture
def postgres_db(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of an empty database of this test's own, dropped after the test."""
    with postgres_server.database() as url:
        yield url
