"""Operator commands: doctor, migrate, sweep, nudges, cycles and exports, from the command line."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from bot.calendar import dates
from bot.calendar.cycle_files import load_cycle_file
from bot.calendar.cycles import CycleError
from bot.root.services import build_services, real_clock
from bot.root.settings import DATABASE_URL_FORM, ConfigError, Settings
from bot.root.store import open_store
from bot.store.port import StoreLocked


def doctor_command() -> int:
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


def migrate_command() -> int:
    """``scep-bot migrate``: apply the pending migrations to SCEP_DATABASE_URL; print the version."""
    settings = Settings.from_env()
    if not settings.database_url:
        raise ConfigError(f"SCEP_DATABASE_URL must be set to the PostgreSQL database to migrate ({DATABASE_URL_FORM})")
    from bot.store.postgres_migrations import (  # psycopg loads only where it is used
        describe,
        migrate,
    )

    version, applied = migrate(settings.database_url)
    done = f"applied {', '.join(map(str, applied))}" if applied else "already up to date"
    print(f"scep-bot migrate: {describe(settings.database_url)} is at schema version {version} ({done})")
    from bot.root.installs import create_tables

    created = create_tables(settings.database_url)  # slack_sdk's installation and OAuth state tables (many workspaces)
    print(f"scep-bot migrate: installation tables {'created: ' + ', '.join(created) if created else 'already there'}")
    return 0


def sweep_command(args) -> int:
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
        print_report(report)
        return 0
    try:
        if not settings.bot_token and not args.dry_run:
            raise ConfigError("SLACK_BOT_TOKEN must be set to post nudges (or add --dry-run to see what would be sent)")
        client = None
        if settings.bot_token:
            from handlers.slack_client import web_client

            client = web_client(settings.bot_token, settings.api_url, timeout=settings.slack_timeout)
        from bot.root.clock import run_sweep

        print_report(run_sweep(services, client, at, args.dry_run).as_dict())
    finally:
        services.store.close()
    return 0


def print_report(report: dict) -> None:
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


def nudges_command(args) -> int:
    """``scep-bot nudges --school NAME [--year Y]``: read-only, without the process lock."""
    from bot.calendar.cycle_files import CycleLibrary
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
          f"(quiet: {', '.join(N.WEEKDAYS[d] for d in sorted(days.quiet))}; closed days: public holidays of {days.calendar.state or 'no state'}, "
          f"{len(days.calendar.closures)} closures: `/scep holidays`)"
          + (" · NUDGES OFF" if N.school_policy(state.school).get("enabled") is False else ""))
    rows = calendar_rows(state, library, now, year, view.all(LEDGER), plain=True)
    print(f"{len(rows)} nudges ({year.name if year else 'current cycle years'}), local time:")
    for row in rows:
        print("  " + row)
    return 0


def cycles_command(args) -> int:
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
    from bot.calendar.cycle_files import CycleLibrary

    settings = Settings.from_env()
    lib = CycleLibrary.load(settings.data_dir / "cycles")
    for cid in lib.ids():
        c = lib.get(cid)
        print(f"{cid}\t{c.title}\t{len(c.steps)} steps\t{lib.origins[cid]}")
    for err in lib.errors:
        print(err, file=sys.stderr)
    return 1 if lib.errors else 0


def open_store_for_reading(settings: Settings):
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


def export_command(args) -> int:
    from bot.calendar.cycle_files import CycleLibrary
    from bot.calendar.dates import DateError, SchoolYear
    from bot.core.command import load_features
    from bot.core.school_calendar import read_school
    from bot.core.steps import resolve_in, school_steps
    from bot.errors import UserError
    from bot.exports.calendar_ics import calendar_ics
    from bot.exports.summary import summary, summary_docx, summary_markdown
    from bot.exports.year_csv import year_csv
    from bot.exports.year_docx import year_docx
    from bot.pictures.year import year_png

    if not args.export_cmd:
        print("scep-bot export: say what: summary <step>, year or calendar (with --school NAME)", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    load_features()
    library = CycleLibrary.load(settings.data_dir / "cycles")
    store = open_store_for_reading(settings)
    try:
        now = dates.parse_instant(args.now) if args.now else real_clock()
        sid = find_school(store, args.school)
        view = store.view(sid)
        state = read_school(store, sid)  # with the district's closures, as in Slack
        if state is None:
            raise UserError(f"'{args.school}' has no profile yet: run /scep setup in its channel")
        year = SchoolYear.parse(args.year) if args.year else None
        stem = re.sub(r"[^A-Za-z0-9]+", "-", state.school.name).strip("-") or "school"
        outputs: list[tuple[str, bytes]] = []
        if args.export_cmd == "summary":
            # --year: the step of that school year (its notes, its dates), else of the current one
            ref = resolve_in(school_steps(state, library, now, year), " ".join(args.step))
            s = summary(view, state, ref, now)
            if args.format in ("docx", "both"):
                outputs.append((f"{s.filename_stem}.docx", summary_docx(s, year_png(state, library, now, ref.year, highlight=ref.key))))
            if args.format in ("md", "both"):
                outputs.append((f"{s.filename_stem}.md", summary_markdown(s).encode()))
        elif args.export_cmd == "year" and args.format == "docx":
            outputs.append((f"{stem}-{year or 'current'}-year.docx", year_docx(view, state, library, now, year)))
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
