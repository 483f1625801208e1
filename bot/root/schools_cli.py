"""``scep-bot schools import FILE [--dry-run]`` and ``scep-bot schools export``: a district's
schools and their roles from and to a roster CSV (bot/onboarding). Names of channels and people
are looked up in Slack with SLACK_BOT_TOKEN (users.list, conversations.list); without a token
only ids are accepted."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.root.settings import ConfigError, Settings

OPERATOR = "operator"  # who the audit log names for an import from the command line


def add_schools_parser(sub) -> None:
    sp = sub.add_parser("schools", help="set up many schools at once from a CSV, or export them in the same format")
    sp_sub = sp.add_subparsers(dest="schools_cmd")
    imp = sp_sub.add_parser("import", help="create or update schools and roles from a CSV (columns: docs/onboarding.md)")
    imp.add_argument("file", help="the CSV file (- for standard input)")
    imp.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    imp.add_argument("--team", help="the workspace id (T…) when the token or the data does not tell")
    imp.add_argument("--now", help=argparse.SUPPRESS)  # tests: the instant the audit log records
    exp = sp_sub.add_parser("export", help="every school of the workspace as a CSV that import reads back")
    exp.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    exp.add_argument("--team", help="only this workspace's schools (default: every school)")


def schools_command(args) -> int:
    from bot.calendar import dates
    from bot.errors import UserError
    from bot.onboarding.export import roster_csv
    from bot.root.operator import open_store_for_reading
    from bot.root.services import real_clock
    from bot.root.store import open_store

    if args.schools_cmd not in ("import", "export"):
        print("scep-bot schools: say import FILE [--dry-run] or export [-o FILE]", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    if args.schools_cmd == "export":
        store = open_store_for_reading(settings)
        try:
            text = roster_csv(store, args.team)
        finally:
            store.close()
        if args.output == "-":
            sys.stdout.write(text)
        else:
            Path(args.output).write_text(text, encoding="utf-8")
            print(f"scep-bot schools export: {text.count(chr(10)) - 1} schools written to {args.output}", file=sys.stderr)
        return 0
    text = _read(args.file)
    directory, token_team = _directory(settings)
    from bot.calendar.cycle_files import CycleLibrary
    from bot.onboarding import imports
    from bot.onboarding.roster import read_roster

    library = CycleLibrary.load(settings.data_dir / "cycles")
    store = open_store_for_reading(settings) if args.dry_run else open_store(settings)
    try:
        team = args.team or token_team or _only_team(store)
        roster = read_roster(text, library, directory)
        now = dates.parse_instant(args.now) if args.now else real_clock()
        try:
            changes = imports.plan(store, team, roster) if args.dry_run else imports.apply(store, team, roster, OPERATOR, now)
        except UserError as exc:
            print(f"scep-bot schools import: {exc}", file=sys.stderr)
            return 1
    finally:
        store.close()
    for change in changes:
        if change.action != "unchanged":
            print(change.describe())
    print(imports.summary(changes, args.dry_run))
    return 0


def _read(name: str) -> str:
    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {name}: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{name} is not UTF-8 text: save the spreadsheet as CSV UTF-8") from None


def _directory(settings: Settings):
    """The Slack directory and the token's workspace with SLACK_BOT_TOKEN, else ids only."""
    from bot.onboarding.roster import IdsOnly

    if not settings.bot_token:
        print("scep-bot schools import: no SLACK_BOT_TOKEN: channels and people must be given as ids, and are not checked", file=sys.stderr)
        return IdsOnly(), None
    from handlers.slack_client import web_client
    from handlers.workspace_directory import SlackDirectory

    from slack_sdk.errors import SlackApiError

    client = web_client(settings.bot_token, settings.api_url, timeout=settings.slack_timeout)
    try:
        team = client.auth_test().get("team_id")
    except SlackApiError as exc:
        raise ConfigError(f"Slack did not accept SLACK_BOT_TOKEN ({exc.response.get('error') if exc.response else exc}): "
                          "names cannot be looked up; fix the token, or unset it and give ids") from None
    return SlackDirectory(client), team


def _only_team(store) -> str:
    teams = {(store.index_entry(s) or {}).get("team_id", "") for s in store.school_ids()}
    if len(teams) == 1:
        return teams.pop()
    if not teams:
        raise ConfigError("which workspace? give --team T0123ABCD (its id: a Slack URL's first part after /client/)")
    raise ConfigError(f"the data holds {len(teams)} workspaces: give --team with one of {', '.join(sorted(teams))}")
