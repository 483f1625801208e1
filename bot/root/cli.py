"""``scep-bot``: run the bot (Socket Mode, HTTP or the console) and operator commands."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from bot.core.logtext import show_user_text
from bot.root.console import console_command
from bot.root.health import SlackUnreachable
from bot.root.moving import export_all_command, migrate_from_command
from bot.root.operator import (
    cycles_command,
    doctor_command,
    export_command,
    migrate_command,
    nudges_command,
    sweep_command,
)
from bot.root.schools_cli import add_schools_parser, schools_command
from bot.root.serving import serve_calendars_command, serve_command, socket_command
from bot.root.settings import (
    DATABASE_URL_FORM,
    ConfigError,
    Settings,
    flag_setting,
    log_level_setting,
    port_setting,
    variables_table,
)
from bot.store.port import StoreError

log = logging.getLogger("scep-bot")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scep-bot", description="Keeps school improvement teams on their yearly SCEP cycle, in Slack.")
    sub = p.add_subparsers(dest="cmd")
    s = sub.add_parser("serve", help="HTTP mode: POST /slack/events, GET /healthz")
    s.add_argument("--host", default=None, help="address to listen on (default: $HOST, else 0.0.0.0)")
    s.add_argument("--port", type=int, default=None, help="port to listen on (default: $PORT, else 3000)")
    s.add_argument("--now", help=argparse.SUPPRESS)  # staging and benchmarks: the clock starts at this instant and runs on
    sub.add_parser("socket", help="Socket Mode (needs SLACK_APP_TOKEN; SCEP_CALENDAR_PORT also serves the calendar feeds)")
    sc = sub.add_parser("serve-calendars", help="only the calendar feeds (GET /calendar/<token>.ics), read-only, for Socket Mode deployments")
    sc.add_argument("--host", default=None, help="address to listen on (default: $HOST, else 0.0.0.0)")
    sc.add_argument("--port", type=int, default=None, help="port to listen on (default: $PORT, else 3001)")
    sc.add_argument("--now", help=argparse.SUPPRESS)
    sub.add_parser("doctor", help="check every data file and restore damaged ones from their last good copy (bot stopped)")
    mg = sub.add_parser("migrate", help="bring the PostgreSQL database of SCEP_DATABASE_URL to this version's schema; "
                        "with --from, copy a TinyDB data directory into it")
    mg.add_argument("--from", dest="from_dir", help="a TinyDB data directory to copy into the database (bot stopped)")
    mg.add_argument("--to", help=f"the database to copy into (default: $SCEP_DATABASE_URL), like {DATABASE_URL_FORM}")
    c = sub.add_parser("console", help="a local demo workspace in this terminal")
    c.add_argument("--now", help="pretend it is this instant (ISO-8601, e.g. 2021-11-02T09:00-04:00)")
    cy = sub.add_parser("cycles", help="list cycles, or check a district's cycle file")
    cy_sub = cy.add_subparsers(dest="cycles_cmd")
    chk = cy_sub.add_parser("check", help="validate cycle files")
    chk.add_argument("files", nargs="+")
    cy_sub.add_parser("list", help="the cycles available")
    ex = sub.add_parser("export", help="a visit summary (DOCX/Markdown), the year (CSV) or the calendar (.ics) of a school")
    ex.add_argument("--all", action="store_true", help="every school's data, as a data directory `migrate --from` reads back")
    ex.add_argument("--to", dest="all_to", help="with --all: the directory to write")
    ex.add_argument("--team", help="with --all: only this workspace's schools (its team id)")
    ex_sub = ex.add_subparsers(dest="export_cmd")
    for name, helptext in (("summary", "a step's notes as the SCEP Support Visit summary"), ("year", "every step of the year as CSV, or Word with its picture"),
                           ("calendar", "windows, deadlines and scheduled visits as iCalendar")):
        e = ex_sub.add_parser(name, help=helptext)
        if name == "summary":
            e.add_argument("step", nargs="*", help="the step as people say it: visit 1, session 2, priority levers")
            e.add_argument("--format", choices=("docx", "md", "both"), default="docx")
        if name == "year":
            e.add_argument("--format", choices=("csv", "docx"), default="csv", help="docx: a Word summary with the picture of the year")
        e.add_argument("--school", required=True, help="the school's name (or id), as /scep schools lists it")
        e.add_argument("--year", help="school year like 2021-22 (default: each cycle's current year)")
        e.add_argument("-o", "--output", help="file to write (default: a name in the current directory; - for stdout)")
        e.add_argument("--now", help=argparse.SUPPRESS)
    sw = sub.add_parser("sweep", help="run one sweep of the nudges as of an instant, and print what it posted")
    sw.add_argument("--at", required=True, help="the instant (ISO-8601, e.g. 2021-11-01T09:00-04:00)")
    sw.add_argument("--dry-run", action="store_true", help="claim and post nothing: print what would be sent")
    nu = sub.add_parser("nudges", help="print a school's whole nudge calendar in its local time")
    nu.add_argument("--school", required=True, help="the school's name (or a unique part of it), or its id")
    nu.add_argument("--year", help="a school year like 2021-22 (default: the cycles' current years)")
    sub.add_parser("settings", help="every environment variable scep-bot reads, as a markdown table")
    add_schools_parser(sub)
    return p


def _setup_logging() -> None:
    """LOG_LEVEL (default INFO) for scep-bot's lines. The Slack libraries log request bodies and
    Web API arguments (what people typed) at DEBUG: their DEBUG lines are shown only when the
    operator also sets SCEP_LOG_USER_TEXT=1 (their other lines at WARNING unless LOG_LEVEL=DEBUG)."""
    level = log_level_setting()
    show_text = flag_setting("SCEP_LOG_USER_TEXT")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    show_user_text(show_text)
    library_level = logging.WARNING if level != "DEBUG" else (logging.DEBUG if show_text else logging.INFO)
    for noisy in ("slack_bolt", "slack_sdk", "apscheduler", "urllib3", "waitress", "websocket"):
        logging.getLogger(noisy).setLevel(max(library_level, logging.getLevelName(level)))
    if show_text:
        log.warning("SCEP_LOG_USER_TEXT=1: the log shows what people type (notes may name students); turn it off after debugging")


def http_address(args) -> tuple[str, int]:
    """Where ``serve`` listens: --host/--port, else $HOST/$PORT, else 0.0.0.0:3000."""
    host = args.host if getattr(args, "host", None) else (os.environ.get("HOST") or "").strip() or "0.0.0.0"
    port = args.port if getattr(args, "port", None) is not None else port_setting("PORT", 3000)
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port} is not a port number (0-65535)")
    return host, port


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _setup_logging()
        return _run(args)
    except (ConfigError, StoreError) as exc:
        print(f"scep-bot: {exc}", file=sys.stderr)
        return 2
    except SlackUnreachable as exc:
        print(f"scep-bot: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


def _run(args) -> int:
    if args.cmd == "doctor":
        return doctor_command()
    if args.cmd == "migrate":
        if args.from_dir or args.to:
            if not args.from_dir:
                raise ConfigError("--to goes with --from: scep-bot migrate --from DATA_DIR --to " + DATABASE_URL_FORM)
            return migrate_from_command(args.from_dir, args.to)
        return migrate_command()
    if args.cmd == "cycles":
        return cycles_command(args)
    if args.cmd == "export":
        if args.all:
            return export_all_command(args.all_to, args.team)
        return export_command(args)
    if args.cmd == "sweep":
        return sweep_command(args)
    if args.cmd == "nudges":
        return nudges_command(args)
    if args.cmd == "settings":
        print(variables_table())
        return 0
    if args.cmd == "schools":
        return schools_command(args)
    settings = Settings.from_env()
    cmd = args.cmd
    if cmd is None:
        cmd = settings.mode()
        reason = {
            "socket": "SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set: Socket Mode",
            "http": "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set: HTTP mode (scep-bot serve)",
            "console": "no Slack credentials (SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET): the local console",
        }[cmd]
        if settings.oauth:
            reason = "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET are set: HTTP mode for many workspaces on port 3000"
        print(f"scep-bot: {reason}", file=sys.stderr)
        if cmd == "http":
            cmd, args.host, args.port = "serve", None, None
    if cmd == "console":
        return console_command(settings, getattr(args, "now", None))
    if cmd == "serve":
        host, port = http_address(args)
        return serve_command(settings, host, port, getattr(args, "now", None))
    if cmd == "socket":
        return socket_command(settings)
    if cmd == "serve-calendars":
        host = args.host or (os.environ.get("HOST") or "").strip() or "0.0.0.0"
        port = args.port if args.port is not None else port_setting("PORT", 3001)
        return serve_calendars_command(settings, host, port, getattr(args, "now", None))
    raise AssertionError(cmd)


if __name__ == "__main__":
    sys.exit(main())
