"""The layers are rules: import-linter's contracts (pyproject.toml) hold, the domain reads no clock,
and no module grows past the yardstick. Each check is also shown to fail on a tree that breaks it."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_EXCLUDED = ("bot/root",)  # the composition root may read the clock and talk to Slack
MAX_LINES = 450  # the yardstick: one idea per module, none much over ~400 lines

# Calls that read the clock: the domain receives ``now`` (a UTC instant) instead.
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"), ("time", "time"),
               ("time", "time_ns"), ("time", "monotonic"), ("time", "monotonic_ns"), ("time", "perf_counter"), ("time", "localtime"),
               ("time", "gmtime")}


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(exe), "--config", str(root / "pyproject.toml"), "--no-cache"], cwd=root, capture_output=True,
                          text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=300)


def domain_files(root: Path) -> list[Path]:
    return [f for f in sorted((root / "bot").rglob("*.py")) if not any(str(f.relative_to(root)).startswith(x) for x in DOMAIN_EXCLUDED)]


def clock_reads(source: str) -> list[tuple[int, str]]:
    """(line, call) of every clock read in ``source``: ``datetime.now()``, ``time.time()``, ``date.today()``..."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else None
            if (name, node.func.attr) in CLOCK_CALLS:
                out.append((node.lineno, f"{name}.{node.func.attr}()"))
    return out


def test_import_contracts_hold():
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_import_contracts_fail_when_the_domain_imports_slack_or_a_cycle_appears(tmp_path):
    tree = tmp_path / "repo"
    for part in ("bot", "handlers", "schedules"):
        shutil.copytree(ROOT / part, tree / part, ignore=shutil.ignore_patterns("__pycache__", "*.yaml"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    result = tree / "bot" / "core" / "result.py"
    result.write_text(result.read_text() + "\n\ndef _bad():\n    import slack_sdk  # noqa\n    from bot.timeline import commands  # noqa\n")
    proc = lint_imports(tree)
    assert proc.returncode != 0
    assert "bot.core.result -> slack_sdk" in proc.stdout
    assert "bot.core is not allowed to import bot.timeline" in proc.stdout


def test_the_domain_reads_no_clock():
    found = [f"{f.relative_to(ROOT)}:{line} {call}" for f in domain_files(ROOT) for line, call in clock_reads(f.read_text())]
    assert not found, "the domain must receive `now`, not read the clock:\n" + "\n".join(found)


def test_the_clock_check_finds_a_clock_read():
    src = "import time\nfrom datetime import datetime, date\n\ndef f():\n    return datetime.now(), time.time(), date.today()\n"
    assert [c for _, c in clock_reads(src)] == ["datetime.now()", "time.time()", "date.today()"]
    assert clock_reads("def f(now):\n    return now.replace(hour=9)\n") == []


def test_no_module_holds_too_much():
    big = []
    for part in ("bot", "handlers", "schedules"):
        for f in sorted((ROOT / part).rglob("*.py")):
            n = sum(1 for _ in f.open(encoding="utf-8"))
            if n > MAX_LINES:
                big.append(f"{f.relative_to(ROOT)}: {n} lines")
    assert not big, f"modules over {MAX_LINES} lines (split them by idea):\n" + "\n".join(big)
