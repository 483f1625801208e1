"""Run one benchmark on an earlier commit and on the working tree, in one run, one after the other.

The earlier commit is checked out in a temporary git worktree; both runs use this virtual
environment's packages (the benchmarks import the code of their own tree), the same arguments and
the same machine, so the figures can be read side by side.

    .venv/bin/python benchmarks/compare.py --base 8057f4c next_command --schools 1000 --requests 500
    .venv/bin/python benchmarks/compare.py --base 8057f4c --rounds 2 sweep --schools 1000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(tree: Path, name: str, args: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.run([sys.executable, str(tree / "benchmarks" / f"{name}.py"), *args], cwd=tree, env=env,
                          capture_output=True, text=True)
    out = proc.stdout + (f"\n(exit {proc.returncode})\n{proc.stderr[-2000:]}" if proc.returncode else "")
    return out.strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="the earlier commit (a sha, tag or branch)")
    ap.add_argument("--rounds", type=int, default=1, help="alternate base and current this many times")
    ap.add_argument("benchmark", help="a script in benchmarks/, without .py (next_command, sweep, notes_capture...)")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the benchmark")
    opts = ap.parse_args(argv)
    if not (ROOT / "benchmarks" / f"{opts.benchmark}.py").exists():
        print(f"no benchmark called {opts.benchmark!r} in benchmarks/", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="scep-base-") as tmp:
        base = Path(tmp) / "base"
        made = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), opts.base], capture_output=True, text=True)
        if made.returncode:
            print(f"can't check out {opts.base!r}: {made.stderr.strip()}", file=sys.stderr)
            return 2
        for pkg in ("bot", "handlers", "schedules"):  # older trees had namespace packages, which
            init = base / pkg / "__init__.py"       # the editable install of this tree would shadow
            if (base / pkg).is_dir() and not init.exists():
                init.write_text("")
        if (base / "bot" / "cli.py").exists() and not (base / "bot" / "root").exists():
            # the installed `scep-bot` script imports bot.root.cli: point it at the older tree's CLI
            (base / "bot" / "root").mkdir()
            (base / "bot" / "root" / "__init__.py").write_text("")
            (base / "bot" / "root" / "cli.py").write_text("from bot.cli import main  # noqa: F401\n")
        try:
            for n in range(1, opts.rounds + 1):
                for label, tree in ((f"base {opts.base}", base), ("current", ROOT)):
                    print(f"=== round {n}: {label}: {opts.benchmark} {' '.join(opts.args)}", flush=True)
                    print(run(tree, opts.benchmark, opts.args), flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
