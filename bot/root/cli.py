"""``scep-bot``: run the bot (Socket Mode, HTTP or the console) and operator commands."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from pathlib import Path

from bot.calendar import dates
from bot.calendar.cycles import CycleError, load_cycle_file
from bot.root.app import (
    DATABASE_URL_FORM,
    ConfigError,
    Settings,
    build_app,
    build_services,
    check_files_in_background,
    real_clock,
    start_clock,
    warm_up,
)
from bot.root.store import open_store
from bot.store.port import StoreError, StoreLocked
from bot.store.postgres_migrations import describe, migrate

log = logging.getLogger("scep-bot")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scep-bot", description="Keeps school improvement teams on their yearly SCEP cycle, in Slack.")
    sub = p.add_subparsers(dest="cmd")
    s = sub.add_parser("serve", help="HTTP mode: POST /slack/events, GET /healthz")
    s.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    s.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    s.add_argument("--now", help=argparse.SUPPRESS)  # staging and benchmarks: the clock starts at this instant and runs on
    sub.add_parser("socket", help="Socket Mode (needs SLACK_APP_TOKEN)")
    sub.add_parser("doctor", help="check every data file and restore damaged ones from their last good copy (bot stopped)")
    sub.add_parser("migrate", help="bring the PostgreSQL database of SCEP_DATABASE_URL to this version's schema")
    c = sub.add_parser("console", help="a local demo workspace in this terminal")
    c.add_argument("--now", help="pretend it is this instant (ISO-8601, e.g. 2021-11-02T09:00-04:00)")
    cy = sub.add_parser("cycles", help="list cycles, or check a district's cycle file")
    cy_sub = cy.add_subparsers(dest="cycles_cmd")
    chk = cy_sub.add_parser("check", help="validate cycle files")
    chk.add_argument("files", nargs="+")
    cy_sub.add_parser("list", help="the cycles available")
    ex = sub.add_parser("export", help="a visit summary (DOCX/Markdown), the year (CSV) or the calendar (.ics) of a school")
    ex_sub = ex.add_subparsers(dest="export_cmd")
    for name, helptext in (("summary", "a step's notes as the SCEP Support Visit summary"), ("year", "every step of the year as CSV"),
                           ("calendar", "windows, deadlines and scheduled visits as iCalendar")):
        e = ex_sub.add_parser(name, help=helptext)
        if name == "summary":
            e.add_argument("step", nargs="+", help="the step as people say it: visit 1, session 2, priority levers")
            e.add_argument("--format", choices=("docx", "md", "both"), default="docx")
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
    return p


def _setup_logging() -> None:
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":  # LOG_LEVEL=DEBUG shows the libraries' debug lines too (they redact tokens)
        for noisy in ("slack_bolt", "slack_sdk", "apscheduler"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup_logging()
    try:
        return _run(args)
    except (ConfigError, StoreError) as exc:
        print(f"scep-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args) -> int:
    if args.cmd == "doctor":
        return _doctor()
    if args.cmd == "migrate":
        return _migrate()
    if args.cmd == "cycles":
        return _cycles(args)
    if args.cmd == "export":
        return _export(args)
    if args.cmd == "sweep":
        return _sweep(args)
    if args.cmd == "nudges":
        return _nudges(args)
    settings = Settings.from_env()
    cmd = args.cmd
    if cmd is None:
        cmd = settings.mode()
        reason = {
            "socket": "SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set: Socket Mode",
            "http": "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set: HTTP mode on port 3000",
            "console": "no Slack credentials (SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET): the local console",
        }[cmd]
        print(f"scep-bot: {reason}", file=sys.stderr)
        if cmd == "http":
            args.host, args.port = os.environ.get("HOST", "0.0.0.0"), int(os.environ.get("PORT", "3000"))
    if cmd == "console":
        return _console(settings, getattr(args, "now", None))
    if cmd == "serve":
        return _serve(settings, args.host, args.port, getattr(args, "now", None))
    if cmd == "socket":
        return _socket(settings)
    raise AssertionError(cmd)


def _require(settings: Settings, *names: str) -> None:
    values = {"SLACK_BOT_TOKEN": settings.bot_token, "SLACK_SIGNING_SECRET": settings.signing_secret, "SLACK_APP_TOKEN": settings.app_token}
    missing = [n for n in names if not values[n]]
    if missing:
        raise ConfigError(f"{' and '.join(missing)} must be set for this mode (see the README's Slack set-up)")


def running_clock(start_text: str | None):
    """The real clock, or (``--now``) one that starts at that instant and runs at the real pace."""
    if not start_text:
        return real_clock
    from datetime import timedelta

    start, t0 = dates.parse_instant(start_text), time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - t0)


def _serve(settings: Settings, host: str, port: int, now_text: str | None = None) -> int:
    _require(settings, "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    started = time.monotonic()
    services = build_services(settings, clock=running_clock(now_text))
    check_files_in_background(services)
    app = build_app(services, token=settings.bot_token, signing_secret=settings.signing_secret)
    warm_up()
    wsgi = make_wsgi(app, services)
    from handlers.http_guard import serve

    clock = start_clock(services, app.client)
    log.info("scep-bot HTTP mode on %s:%s (POST /slack/events, GET /healthz), ready in %.2fs", host, port, time.monotonic() - started)
    try:
        serve(wsgi, host=host, port=port)  # waitress, as handlers/http_guard.py sets it up
    finally:
        clock.stop()
        services.store.close()
    return 0


def make_wsgi(app, services):
    """POST /slack/events to Bolt; GET /healthz; everything else 404.

    Refuses an app that does not verify Slack's signatures: over HTTP anyone can post."""
    if getattr(app, "scep_verifier", None) is None:
        raise ConfigError("HTTP mode needs SLACK_SIGNING_SECRET: without it anyone could send the bot commands")
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from bot.root.app import safe_dispatch

    class SafeHandler(SlackRequestHandler):
        def dispatch(self, request):  # noqa: ANN001 - Bolt's signature
            return safe_dispatch(self.app, request.get_body(), request.get_headers(), query=request.query_string)

    bolt = SafeHandler(app, path="/slack/events")
    from handlers.http_guard import SignedBodyGuard

    bolt = SignedBodyGuard(bolt, app.scep_verifier.signing_secret)  # size, signature, UTF-8: on the raw bytes, before Bolt reads them

    def wsgi(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            auth = services.extras.get("slack_auth")
            if auth is not None and auth.probe_due():
                try:  # Slack refused the token earlier: is it accepted again? (one call per probe interval)
                    app.client.auth_test()
                except Exception:  # noqa: BLE001 - SlackApiError: still refused, or Slack unreachable
                    pass
            ok = auth is None or auth.ok
            info = {"ok": ok, "schools": len(services.store.school_ids()), **(auth.health() if auth is not None else {})}
            body = json.dumps(info).encode()
            # 503 while Slack refuses the token: monitors alert; restarting does not help (fix the token)
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/slack/events":
            return bolt(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: Slack posts to /slack/events\n"]

    return wsgi


def _socket(settings: Settings) -> int:
    _require(settings, "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    from bot.root.app import socket_mode_handler

    services = build_services(settings)
    check_files_in_background(services)
    app = build_app(services, token=settings.bot_token, signing_secret=None)
    warm_up()
    clock = start_clock(services, app.client)
    log.info("scep-bot Socket Mode: connecting")
    try:
        socket_mode_handler(app, settings.app_token).start()
    finally:
        clock.stop()
        services.store.close()
    return 0


def _console(settings: Settings, now_text: str | None) -> int:
    from bot.root.console import DEMO_CHANNEL, DEMO_USER, SIGNING_SECRET, Console

    clock_box = [dates.parse_instant(now_text) if now_text else None]

    def clock():
        return clock_box[0] or real_clock()

    if not os.environ.get("SCEP_DATA_DIR"):
        settings.data_dir = settings.data_dir / "console"
    services = build_services(settings, clock=clock)
    _seed_demo(services, DEMO_CHANNEL[0], DEMO_USER[0])

    def build(fake):
        settings.api_url = fake.url
        return build_app(services, token="xoxb-console", signing_secret=SIGNING_SECRET, process_before_response=True)

    def sweeper(client, dry_run: bool) -> list[str]:
        from bot.root.app import run_sweep

        return run_sweep(services, client, None, dry_run).lines()

    console = Console(build, clock_box, sweeper=sweeper)
    try:
        return console.run(sys.stdin)
    finally:
        console.close()
        services.store.close()


def _seed_demo(services, channel: str, user: str) -> None:
    """A demo school in the console's demo channel, the first time."""
    from bot.core.context import Ctx
    from bot.root.emulator import TEAM_ID
    from bot.setup.apply import apply_setup

    if services.store.school_for_channel(TEAM_ID, channel):
        return
    ctx = Ctx(services.store, services.library, services.clock(), TEAM_ID, channel, user)
    apply_setup(ctx, {"name": "Lincoln Elementary", "model": "TSI"})


def _doctor() -> int:
    from bot.store.files import doctor

    settings = Settings.from_env()
    if settings.database_url:  # PostgreSQL keeps its own data sound: check it answers at the right version
        store = open_store(settings)
        problems = store.check_files()
        store.close()
        print("\n".join(problems) or "scep-bot doctor: the database of SCEP_DATABASE_URL answers and its schema is current")
        return 1 if problems else 0
    report = doctor(settings.data_dir)
    if not report:
        print(f"scep-bot doctor: every data file in {settings.data_dir} is sound")
        return 0
    for line in report:
        print(line)
    return 1 if any(line.startswith("cannot restore") for line in report) else 0


def _migrate() -> int:
    """``scep-bot migrate``: apply the pending migrations to SCEP_DATABASE_URL; print the version."""
    settings = Settings.from_env()
    if not settings.database_url:
        raise ConfigError(f"SCEP_DATABASE_URL must be set to the PostgreSQL database to migrate ({DATABASE_URL_FORM})")
    version, applied = migrate(settings.database_url)
    done = f"applied {', '.join(map(str, applied))}" if applied else "already up to date"
    print(f"scep-bot migrate: {describe(settings.database_url)} is at schema version {version} ({done})")
    return 0


def _sweep(args) -> int:
    """``scep-bot sweep --at ISO [--dry-run]``: here if the data directory is free, else by the
    running bot's admin endpoint."""
    from bot.root.admin import AdminUnavailable, BadRequest, call

    try:
        at = dates.parse_instant(args.at)
    except dates.DateError as exc:
        print(f"scep-bot sweep: {exc}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    try:
        services = build_services(settings)
    except StoreLocked as exc:
        try:
            report = call(settings.data_dir, "/sweep", {"at": at.isoformat(), "dry_run": args.dry_run})
        except BadRequest as bad:
            print(f"scep-bot sweep: {bad}", file=sys.stderr)
            return 2
        except AdminUnavailable as why:
            print(f"scep-bot sweep: {exc}. It does not take admin requests ({why}): stop it and run this again, or run "
                  "`scep-bot sweep` where that bot runs (serve and socket modes hand the sweep over themselves).", file=sys.stderr)
            return 2
        print("(handed to the running bot)")
        _print_report(report)
        return 0
    try:
        if not settings.bot_token and not args.dry_run:
            raise ConfigError("SLACK_BOT_TOKEN must be set to post nudges (or add --dry-run to see what would be sent)")
        client = None
        if settings.bot_token:
            from handlers.slack_client import web_client

            client = web_client(settings.bot_token, settings.api_url, timeout=settings.slack_timeout)
        from bot.root.app import run_sweep

        _print_report(run_sweep(services, client, at, args.dry_run).as_dict())
    finally:
        services.store.close()
    return 0


def _print_report(report: dict) -> None:
    sent = [d for d in report["deliveries"] if d["status"] == "sent"]
    would = [d for d in report["deliveries"] if d["status"] == "would send"]
    others = [d for d in report["deliveries"] if d["status"] not in ("sent", "would send")]
    mode = " (dry run: nothing claimed or posted)" if report.get("dry_run") else ""
    print(f"sweep as of {report['at']}{mode}: {report['schools']} schools, {len(sent)} posted, {len(would)} would be posted, "
          f"{len(others)} other, {report['seconds']:.3f}s")
    for d in report["deliveries"]:
        text = d["text"].replace("\n", " ")[:160]
        why = f" ({d['reason']})" if d.get("reason") else ""
        ts = f" ts={d['ts']}" if d.get("ts") else ""
        print(f"  {d['status']:<10} {d['school'] or '(workspace)'} -> {d['target']} [{d['kind']}] {text}{why}{ts}")


def _nudges(args) -> int:
    """``scep-bot nudges --school NAME [--year Y]``: read-only, without the process lock."""
    from bot.calendar.cycles import CycleLibrary
    from bot.core.command import load_features
    from bot.core.schools import SchoolState
    from bot.nudges import school_days as N
    from bot.nudges.remind_view import calendar_rows
    from bot.store.files import INDEX_FILE
    from bot.store.schema import DISTRICT_HOLIDAYS_SETTING, LEDGER

    settings = Settings.from_env()
    if not settings.database_url and not (settings.data_dir / INDEX_FILE).exists():
        print(f"scep-bot nudges: no scep-bot data in {settings.data_dir}: set SCEP_DATA_DIR", file=sys.stderr)
        return 2
    year = None
    if args.year:
        try:
            year = dates.SchoolYear.parse(args.year)
        except dates.DateError as exc:
            print(f"scep-bot nudges: {exc}", file=sys.stderr)
            return 2
    load_features()
    store = open_store(settings, read_only=True)
    library = CycleLibrary.load(settings.data_dir / "cycles")
    want = args.school.strip().lower()
    entries = [e for e in (store.index_entry(s) for s in store.school_ids()) if e]
    exact = [e for e in entries if e["name"].lower() == want or e["school_id"] == args.school.strip()]
    found = exact or [e for e in entries if want in e["name"].lower()]
    if len(found) != 1:
        names = ", ".join(sorted(e["name"] for e in (found or entries)))[:2000]
        print(f"scep-bot nudges: {'no school' if not found else str(len(found)) + ' schools'} called '{args.school}'. "
              f"{'Matches' if found else 'Schools'}: {names or 'none'}", file=sys.stderr)
        return 2
    sid = found[0]["school_id"]
    view = store.view(sid)
    state = SchoolState.read(view)
    if state is None:
        print(f"scep-bot nudges: the school file of '{found[0]['name']}' has no profile", file=sys.stderr)
        return 2
    N.attach_district(state, store.get_setting(DISTRICT_HOLIDAYS_SETTING, []))
    now = real_clock()
    days = N.school_days(state.school)
    print(f"{state.school.name} ({sid}) · channel {state.school.channel_id} · {state.school.tz} · nudges at {days.at:%H:%M} on school days "
          f"(quiet: {', '.join(N.WEEKDAYS[d] for d in sorted(days.quiet))}; holidays: {len(days.holidays)} days)"
          + (" · NUDGES OFF" if N.school_policy(state.school).get("enabled") is False else ""))
    rows = calendar_rows(state, library, now, year, view.all(LEDGER), plain=True)
    print(f"{len(rows)} nudges ({year.name if year else 'current cycle years'}), local time:")
    for row in rows:
        print("  " + row)
    return 0


def _cycles(args) -> int:
    if args.cycles_cmd == "check":
        bad = 0
        for f in args.files:
            try:
                cycle = load_cycle_file(Path(f))
            except CycleError as exc:
                bad += 1
                print(exc, file=sys.stderr)
                continue
            print(f"{f}: ok: '{cycle.id}' ({cycle.title}), {len(cycle.steps)} steps, dates of {cycle.reference_year}")
        return 1 if bad else 0
    from bot.calendar.cycles import CycleLibrary

    settings = Settings.from_env()
    lib = CycleLibrary.load(settings.data_dir / "cycles")
    for cid in lib.ids():
        c = lib.get(cid)
        print(f"{cid}\t{c.title}\t{len(c.steps)} steps\t{lib.origins[cid]}")
    for err in lib.errors:
        print(err, file=sys.stderr)
    return 1 if lib.errors else 0


def _open_store_for_reading(settings: Settings):
    """The store, or, while the bot runs and holds it, a read-only view of its files."""
    try:
        return open_store(settings)
    except StoreLocked:
        print("scep-bot: the bot is running; reading its data read-only (what is on disk now)", file=sys.stderr)
        return open_store(settings, read_only=True)


def find_school(store, text: str) -> str:
    """A school id by id, exact name (any case) or a unique part of its name."""
    from bot.errors import UserError

    entries = [e for e in (store.index_entry(s) for s in store.school_ids()) if e]
    want = " ".join(text.split()).lower()
    for e in entries:
        if e["school_id"] == text or e["name"].lower() == want:
            return e["school_id"]
    part = [e for e in entries if want and want in e["name"].lower()]
    if len(part) == 1:
        return part[0]["school_id"]
    names = ", ".join(sorted(e["name"] for e in (part or entries))[:20]) or "none yet"
    raise UserError(f"{'Several' if part else 'No'} schools match '{text}': {names}. Give the name as `scep-bot export ... --school \"Lincoln Elementary\"`.")


def _export(args) -> int:
    from bot.calendar.cycles import CycleLibrary
    from bot.calendar.dates import DateError, SchoolYear
    from bot.core.command import load_features
    from bot.core.schools import SchoolState
    from bot.core.steps import resolve
    from bot.errors import UserError
    from bot.exports.calendar_ics import calendar_ics
    from bot.exports.summary import summary, summary_docx, summary_markdown
    from bot.exports.year_csv import year_csv

    if not args.export_cmd:
        print("scep-bot export: say what: summary <step>, year or calendar (with --school NAME)", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    load_features()
    library = CycleLibrary.load(settings.data_dir / "cycles")
    store = _open_store_for_reading(settings)
    try:
        now = dates.parse_instant(args.now) if args.now else real_clock()
        sid = find_school(store, args.school)
        view = store.view(sid)
        state = SchoolState.read(view)
        if state is None:
            raise UserError(f"'{args.school}' has no profile yet: run /scep setup in its channel")
        year = SchoolYear.parse(args.year) if args.year else None
        stem = re.sub(r"[^A-Za-z0-9]+", "-", state.school.name).strip("-") or "school"
        outputs: list[tuple[str, bytes]] = []
        if args.export_cmd == "summary":
            ref = resolve(state, library, now, " ".join(args.step))
            s = summary(view, state, ref, now)
            if args.format in ("docx", "both"):
                outputs.append((f"{s.filename_stem}.docx", summary_docx(s)))
            if args.format in ("md", "both"):
                outputs.append((f"{s.filename_stem}.md", summary_markdown(s).encode()))
        elif args.export_cmd == "year":
            outputs.append((f"{stem}-{year or 'current'}-year.csv", year_csv(view, state, library, now, year).encode("utf-8-sig")))
        else:
            outputs.append((f"{stem}-{year or 'current'}.ics", calendar_ics(state, library, now, year)))
    except (UserError, DateError) as exc:
        print(f"scep-bot: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    for i, (name, data) in enumerate(outputs):
        if args.output == "-":
            sys.stdout.buffer.write(data)
            continue
        path = Path(args.output) if args.output else Path(name)
        if args.output and len(outputs) > 1:
            path = path.with_suffix(Path(name).suffix)
        path.write_bytes(data)
        print(f"wrote {path} ({len(data):,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
