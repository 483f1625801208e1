"""Every command the docs quote, run from a fresh point of view (a working directory outside the
repository, an empty HOME, the data directory seeded with one school and its notes).

Commands are taken from README.md, RELIABILITY.md, BENCHMARKS.md and docs/*.md (code spans and
code blocks) and from the benchmarks' usage lines. Each ``scep-bot`` / ``.venv/bin/scep-bot`` /
``python3 tasks.py run`` command must name a real subcommand with options it accepts (checked
with ``--help`` for those that would start a server or change data: serve, serve-calendars, socket, doctor,
migrate, sweep); the safe ones run for real: ``cycles check`` and ``cycles list``, ``nudges``,
``export`` into files, the console with piped input. Placeholders (``FILE``, ``NAME``,
``<step>``, ``a|b``, ``[optional]``) are filled in as a reader would. Benchmarks' scripts must
exist. A command the docs quote that does not work as written fails this test.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from bot.calendar import dates
from tests.harness import Bot
from tests.test_notes_exports_digest import visit_with_notes
from tests.test_running import ROOT, env_for

DOCS = [ROOT / "README.md", ROOT / "RELIABILITY.md", ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").glob("*.md"))]
PREFIX = re.compile(r"^(?:printf '([^']*)' \| )?(?:\.venv/bin/scep-bot|scep-bot|python3 tasks\.py run)(?=\s|$)(.*)$")
UNSAFE = {"serve", "serve-calendars", "socket", "doctor", "migrate", "sweep"}  # start a server or change data: --help only
CYCLE_FILE = str(ROOT / "schedules" / "cycles" / "nysed-tsi-visits.yaml")


def quoted_commands() -> list[tuple[str, str]]:
    """(where, command) for every scep-bot command in the docs' code spans and code blocks."""
    out: list[tuple[str, str]] = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        pieces = re.findall(r"`([^`\n]+)`", text)
        for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
            pieces += [ln.strip() for ln in block.splitlines()]
        for piece in pieces:
            piece = piece.replace("\\|", "|").split("  #")[0].strip()
            for part in piece.split(" · "):
                part = part.strip()
                if PREFIX.match(part) and "..." not in part and "…" not in part:
                    out.append((doc.name, part))
    return sorted(set(out))


def argv_of(command: str) -> tuple[list[str], str]:
    """The arguments after the program, placeholders filled in, and the piped input."""
    m = PREFIX.match(command)
    stdin = (m.group(1) or "").encode().decode("unicode_escape")
    rest = m.group(2)
    rest = re.sub(r"\[-o FILE\|-\]|\[-o FILE\]", "", rest)
    rest = re.sub(r"\[(--[a-z-]+)(?: [^\]]*)?\]", "", rest)  # optional parts left out
    rest = rest.replace("<step>|year|calendar", "summary-visit-1").replace("summary summary-visit-1", "summary visit 1")
    rest = rest.replace("<step>", "visit 1").replace("ISO-8601", "2021-12-01T09:00-05:00").replace(" ISO", " 2021-11-02T09:00-04:00")
    rest = re.sub(r"\bdocx\|md\|both\b", "md", rest)
    args = shlex.split(rest)
    args = [{"FILE": CYCLE_FILE, "my-district.yaml": CYCLE_FILE, "NAME": "Lincoln"}.get(a, a) for a in args]
    return args, stdin


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A data directory with Lincoln Elementary and notes of visit 1 (2021-22)."""
    from bot.root.emulator import FakeSlack

    root = tmp_path_factory.mktemp("docs")
    fake = FakeSlack().start()
    fake.add_user("U0ADMIN01", "ada.admin", admin=True)
    bot = Bot(root / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"))
    try:
        visit_with_notes(bot)
    finally:
        bot.close()
        fake.stop()
    return root


def scep(args: list[str], root: Path, stdin: str = "") -> subprocess.CompletedProcess:
    exe = ROOT / ".venv" / "bin" / "scep-bot"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.root.cli"]
    work = root / "work"
    work.mkdir(exist_ok=True)
    env = env_for(root, SCEP_DATA_DIR=str(root / "data"))
    if args[0] == "console":  # the console's own demo directory (under the empty HOME), as a newcomer gets it
        del env["SCEP_DATA_DIR"]
    return subprocess.run([*cmd, *args], cwd=work, input=stdin, capture_output=True, text=True, timeout=120, env=env)


def test_the_docs_quote_the_commands_people_need():
    names = {argv_of(c)[0][0] if argv_of(c)[0] else "" for _, c in quoted_commands()}
    assert {"cycles", "export", "nudges", "doctor", "serve", "console"} <= names, names


@pytest.mark.parametrize("where,command", quoted_commands())
def test_a_quoted_command_works_as_written(seeded, where, command):
    args, stdin = argv_of(command)
    if not args:  # the bare command: the console without credentials
        args, stdin = ["console", "--now", "2021-11-02T09:00-04:00"], "/scep next\n"
    if args[:2] == ["cycles", "check"] and len(args) == 2:  # named in prose: a reader adds the file
        args = [*args, CYCLE_FILE]
    if args[0] == "sweep" and "--at" not in args[:-1]:  # `scep-bot sweep` named in prose: a reader adds the instant
        args = ["sweep", "--at", "2021-12-01T09:00-05:00", *[a for a in args[1:] if a != "--at"]]
    if args[0] in UNSAFE:  # parsed as the program parses it (hidden options too), and its --help runs
        from bot.root.cli import _parser

        try:
            _parser().parse_args(args)
        except SystemExit as exc:
            raise AssertionError(f"{where}: `{command}` is not accepted by scep-bot's arguments ({args})") from exc
        proc = scep([args[0], "--help"], seeded)
        assert proc.returncode == 0, f"{where}: `{command}`: {proc.stderr}"
        return
    if args[0] == "export" and "--all" in args:  # the whole data, into a directory under the scratch one
        args = [a if a != "exported" else str(seeded / "work" / "exported") for a in args]
    elif args[0] == "export":
        args = [*args, "-o", str(seeded / "work" / "out"), "--now", "2021-11-04T12:00:00Z"]
        if args[1] == "summary":
            args = [*args, "--format", "md"] if "--format" not in args else args
    if args[:2] == ["schools", "import"]:  # the file a reader has: the export of the seeded school; a dry run
        assert scep(["schools", "export", "-o", str(seeded / "work" / "roster.csv")], seeded).returncode == 0
        args = ["schools", "import", str(seeded / "work" / "roster.csv"), "--dry-run"]
    if args[0] == "nudges":
        args = [*args, "--year", "2021-22"] if "--year" not in args else args
    proc = scep(args, seeded, stdin)
    assert proc.returncode == 0, f"{where}: `{command}` -> {args}: exit {proc.returncode}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr


def test_the_benchmarks_usage_lines_name_scripts_that_exist():
    for doc in [*DOCS, *sorted((ROOT / "benchmarks").glob("*.py"))]:
        for script in re.findall(r"(benchmarks/[a-z_]+\.py)", doc.read_text(encoding="utf-8")):
            assert (ROOT / script).exists(), f"{doc.name} quotes {script}, which does not exist"
