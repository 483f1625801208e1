#!/usr/bin/env python3
"""Set up and run scep-bot with nothing but python3 and pip.

    python3 tasks.py run [scep-bot arguments]   # the bot (the local console without Slack credentials)
    python3 tasks.py test [pytest arguments]    # the test suite

Both create ./.venv and install the project into it the first time (and again when
pyproject.toml changes), then run inside it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"


def ensure_venv() -> None:
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == want:
        return
    if not (BIN / "python").exists():
        print("tasks.py: creating .venv", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("tasks.py: installing scep-bot and its test tools into .venv", file=sys.stderr)
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(want)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ensure_venv()
    if argv[0] == "run":
        # where the caller stands: `cycles check my.yaml` and `-o out.csv` are relative to it
        return subprocess.call([str(BIN / "scep-bot"), *argv[1:]])
    return subprocess.call([str(BIN / "python"), "-m", "pytest", "-n", "2", *argv[1:]], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
