"""``/scep roster``: a workspace admin's district roster from Slack. ``/scep roster`` uploads the
schools as a CSV (``scep-bot schools export``'s format); ``/scep roster import <file link>`` checks a
CSV shared in Slack and says what it would change (a dry run), ``... confirm`` imports it. The file
is read on the Slack side (files.info, url_private: ``ImportRoster``, handlers/roster_import.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.calendar.cycle_files import CycleLibrary
from bot.core import blocks as bk
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.permissions import is_workspace_admin
from bot.core.result import Result, Upload
from bot.errors import UserError
from bot.onboarding import imports
from bot.onboarding.export import roster_csv
from bot.onboarding.roster import Directory, read_roster
from bot.store.port import Store

USAGE = "/scep roster | /scep roster import <link to a CSV shared in Slack> [confirm]"
MAX_LINES = 40  # changes listed in the answer (the rest counted)


@dataclass(frozen=True)
class ImportRoster:
    """A request to the Slack side: read the shared file ``file_id``, then import it (``confirm``)
    or say what importing it would change."""

    file_id: str
    confirm: bool


@subcommand("roster", usage=USAGE, writes=True,
            summary="workspace admins: the schools as a CSV, or set up many schools at once from a CSV shared in Slack (docs/onboarding.md)",
            examples=["/scep roster", "/scep roster import https://example.slack.com/files/U0ADA/F0ROSTER1/schools.csv",
                      "/scep roster import F0ROSTER1 confirm"])
def cmd_roster(ctx: Ctx, args: list[str]) -> Result:
    if not is_workspace_admin(ctx):
        raise UserError("Only workspace admins can export or import the district's roster of schools.")
    if not args:
        data = roster_csv(ctx.store, ctx.team_id or "").encode("utf-8")
        count = data.count(b"\n") - 1
        return Result(text=f"The roster of {count} school{'s' if count != 1 else ''}: edit it, share it here, then `/scep roster import <its link>`.",
                      uploads=[Upload(ctx.channel_id, "schools.csv", data, "Schools", "school, channel, model, cycles, zone and roles")])
    if args[0].lower() != "import" or len(args) < 2:
        raise UserError(f"Use `{USAGE}`")
    found = re.search(r"\b(F[A-Z0-9]{6,})\b", args[1])
    if not found:
        raise UserError("Give the link to the CSV file shared in Slack (its ⋮ menu → Copy link), like `/scep roster import https://….slack.com/files/U…/F…/schools.csv`")
    rest = [a.lower() for a in args[2:]]
    if rest not in ([], ["confirm"]):
        raise UserError(f"After the link, only `confirm` (to import after checking): `{USAGE}`")
    return Result(text="Reading the file…", followups=[ImportRoster(found.group(1), bool(rest))])


def import_report(store: Store, library: CycleLibrary, team_id: str, text: str, directory: Directory,
                  who: str, now: datetime, confirm: bool, file_id: str) -> str:
    """What importing the CSV ``text`` changes (``confirm``: does it), as the answer to the admin."""
    roster = read_roster(text, library, directory)
    try:
        changes = imports.apply(store, team_id, roster, who, now) if confirm else imports.plan(store, team_id, roster)
    except UserError as exc:
        return bk.esc(str(exc))
    listed = [c.describe() for c in changes if c.action != "unchanged"]
    shown = listed[:MAX_LINES] + ([f"… and {len(listed) - MAX_LINES} more"] if len(listed) > MAX_LINES else [])
    head = imports.summary(changes, dry_run=not confirm)
    tail = "" if confirm or not listed else f"\nTo import it: `/scep roster import {file_id} confirm`"
    return bk.esc(head + ("\n" + "\n".join(shown) if shown else "")) + tail
