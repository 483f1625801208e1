"""The deployment files (Dockerfile, compose.yaml, deploy/) and the table of settings agree with
the code: every variable they set is one bot/root/settings.py knows, every command they run is
one the CLI accepts, and docs/runbook.md's table is the one rendered from ``VARIABLES``.

Docker is not run here: the image's install is deploy/install.sh, which CI runs too (.ci/run).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from bot.root.cli import _parser
from bot.root.settings import VARIABLES, variables_table

ROOT = Path(__file__).resolve().parent.parent
NAMES = {name for name, _, _ in VARIABLES}
NOT_OURS = {"PATH", "PYTHONUNBUFFERED", "POSTGRES_PASSWORD"}  # the image's, Python's, compose's own interpolation
WSGI_KEYS = re.compile(r"^(PATH_INFO|REQUEST_METHOD|REMOTE_ADDR|CONTENT_LENGTH|CONTENT_TYPE|QUERY_STRING|HTTP_[A-Z_]+)$")


def accepted(argv: list[str]) -> None:
    """The CLI parses ``argv`` (the program name first) or the test fails naming it."""
    assert argv[0] in ("scep-bot", "/opt/scep-bot/bin/scep-bot"), argv
    try:
        _parser().parse_args(argv[1:])
    except SystemExit as exc:
        raise AssertionError(f"scep-bot does not accept {argv}") from exc


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_two_replicas_behind_a_load_balancer_on_postgresql():
    services = compose()["services"]
    serving = [name for name, s in services.items() if s.get("command") == ["scep-bot", "serve"]]
    assert len(serving) == 2, serving
    assert services["db"]["image"].startswith("postgres:")
    assert services["migrate"]["command"] == ["scep-bot", "migrate"]
    for name in serving:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["environment"]["SCEP_DATABASE_URL"].startswith("postgresql://scep:")
        assert "@db:5432/scep" in services[name]["environment"]["SCEP_DATABASE_URL"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert sorted(re.findall(r"server (\w+):3000", nginx)) == sorted(serving)
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["lb"]["volumes"]


def test_every_variable_compose_sets_is_a_setting_and_every_command_parses():
    for name, service in compose()["services"].items():
        if service.get("image") != "scep-bot":
            continue
        unknown = set(service["environment"]) - NAMES
        assert not unknown, f"compose.yaml's {name} sets {unknown}, which bot/root/settings.py does not read"
        accepted(service["command"])


def test_the_dockerfile_installs_with_the_script_ci_runs_and_starts_serve():
    docker = (ROOT / "Dockerfile").read_text()
    runs = re.findall(r"^RUN (.+)$", docker, re.M)
    assert any(r.startswith("/src/deploy/install.sh /opt/scep-bot") for r in runs), runs
    assert re.search(r"^deploy/install\.sh ", (ROOT / ".ci" / "run").read_text(), re.M), ".ci/run must run deploy/install.sh"
    assert (ROOT / "deploy" / "install.sh").stat().st_mode & 0o111
    cmd = re.search(r"^CMD (\[.+\])$", docker, re.M).group(1)
    accepted(yaml.safe_load(cmd))
    env_block = re.search(r"^ENV (.+?)\n(?=\S)", docker, re.M | re.S).group(1)
    set_here = set(re.findall(r"([A-Z_]+)=", env_block))
    assert set_here - NOT_OURS <= NAMES, set_here - NAMES
    assert "USER scep" in docker  # never root


def test_the_systemd_unit_and_the_env_file_example_name_real_settings():
    unit = (ROOT / "deploy" / "scep-bot.service").read_text()
    exec_start = re.search(r"^ExecStart=(.+)$", unit, re.M).group(1)
    accepted(shlex.split(exec_start))
    assert re.search(r"^User=scep$", unit, re.M) and "EnvironmentFile=/etc/scep-bot/env" in unit
    names = set(re.findall(r"^Environment=([A-Z_]+)=", unit, re.M))
    assert names - NOT_OURS <= NAMES, names - NAMES
    example = (ROOT / "deploy" / "env.example").read_text()
    keys = set(re.findall(r"^#?([A-Z][A-Z_]+)=", example, re.M))
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SCEP_DATABASE_URL"} <= keys
    assert keys - NOT_OURS <= NAMES, keys - NAMES


def read_in_code() -> set[str]:
    """Every environment variable name the code reads (settings' helpers and os.environ)."""
    pattern = re.compile(r"""(?:environ(?:\.get)?[\[(]|getenv\(|\bget\(|_env\(env, |port_setting\(|flag_setting\()["']([A-Z][A-Z0-9_]{2,})["']""")
    names: set[str] = set()
    for folder in ("bot", "handlers", "schedules"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return {n for n in names if not WSGI_KEYS.match(n) and n not in {"SUMMARY", "DTSTART", "DTEND", "UID", "RRULE", "EXDATE"}}


def test_every_variable_the_code_reads_is_in_the_table_and_none_is_dead():
    read = read_in_code()
    assert read - NAMES == set(), (f"the code reads {sorted(read - NAMES)} but bot/root/settings.py's VARIABLES "
                                   "does not list them: add a row (docs/runbook.md's table is rendered from it)")
    assert NAMES - read == set(), f"VARIABLES lists {sorted(NAMES - read)}, which no code reads"


def test_the_runbook_table_is_the_one_rendered_from_settings():
    runbook = (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")
    assert variables_table() in runbook, "docs/runbook.md's table of variables is stale: paste the output of `scep-bot settings`"


def test_the_readme_names_only_real_settings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tables = re.findall(r"^\| variable \|.*?\n(?=[^|])", readme, re.M | re.S)
    rows = [name for t in tables for name in re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", t, re.M)]
    assert rows, "README has a table of production settings"
    assert set(rows) <= NAMES, set(rows) - NAMES


def code_text() -> str:
    """The code's text with string literals continued over lines joined (``"a "\\n  "b"`` -> ``"a b"``)."""
    text = "\n".join(p.read_text(encoding="utf-8") for folder in ("bot", "handlers", "schedules") for p in sorted((ROOT / folder).rglob("*.py")))
    return re.sub(r"""["']\s*\n\s*f?["']""", "", text)


def test_the_runbook_quotes_the_errors_as_the_bot_says_them():
    runbook = (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")
    table = runbook.split("## Troubleshooting", 1)[1]
    quotes = [q for row in re.findall(r"^\| (.+?) \|", table, re.M) for q in re.findall(r"`([^`]+)`", row)]
    assert len(quotes) >= 15, quotes
    code = code_text()
    missing = [q for q in quotes if q not in code]
    assert not missing, f"docs/runbook.md quotes messages the code does not say: {missing}"
