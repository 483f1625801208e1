"""``/scep holidays``: the school's calendar of record, the closed days of a school year and
where each comes from; district closures added, removed and imported from an iCalendar file.

Closures of the district are a workspace setting (``DISTRICT_HOLIDAYS_SETTING``, shared by the
workspace's schools, the same list ``/scep remind district-holiday:`` edits); changing them
takes a workspace admin or the school's district admin. A change that would close every day of
a step's window is refused with the window named; a file that cannot be read changes nothing.
Dates are local dates of the school.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from bot.calendar import district_ical
from bot.calendar.closures import Calendar, Closure, closure_from_entry, parse_range
from bot.calendar.dates import SchoolYear, zone
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core import progress
from bot.core.command import option_args, subcommand
from bot.core.context import Ctx
from bot.core.result import Result
from bot.core.school_calendar import (
    PUBLIC_KEY,
    attach_district,
    district_entries,
    read_school,
    school_calendar,
    school_state_code,
    with_district_entries,
)
from bot.core.schools import School, SchoolState
from bot.core.steps import audit
from bot.errors import UserError
from bot.store.schema import DISTRICT_HOLIDAYS_SETTING, PROFILE

USAGE = ("/scep holidays [2026-27] | add <date>[..<date>] <name> | remove <date>[..<date>] | import <https URL of an .ics, or the link "
         "of an .ics file shared in Slack> [all] | public:off|on")
# a file shared in Slack: its link (https://<workspace>.slack.com/files/<user>/<file id>/<name>) or its id
SLACK_FILE = re.compile(r"^(?:https://[a-z0-9.-]*slack\.com/files/[A-Z0-9]+/)?(F[A-Z0-9]{6,})(?:/.*)?$")
SHARE_HINT = ("share the district's .ics file in this channel with the message `holidays import` (`holidays import all` takes every "
              "all-day event), or give its link: `/scep holidays import https://your-workspace.slack.com/files/...`")
FORMS = ("`/scep holidays`, `/scep holidays add 2026-12-24..2027-01-01 Winter recess`, `/scep holidays remove 2026-12-24..2027-01-01`, "
         "`/scep holidays import https://district.example.org/calendar.ics`")


@subcommand(
    "holidays",
    usage=USAGE,
    summary="the school's closed days (public holidays, district closures) that nothing is due, nudged or sent on",
    examples=["/scep holidays", "/scep holidays add 2026-12-24..2027-01-01 Winter recess", "/scep holidays remove 2026-12-24..2027-01-01",
              "/scep holidays import https://district.example.org/calendar.ics"],
    aliases=("closures", "calendar-of-record"),
    writes=True,
)
def cmd_holidays(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    words, opts = option_args(args, ("public", "https", "http"))
    url = next((f"{k}:{opts.pop(k)}" for k in ("https", "http") if k in opts), None)
    verb = words[0].lower() if words else ""
    if "public" in opts:
        if words:
            raise UserError(f"`public:` stands alone: `/scep holidays public:off`. Other forms: {FORMS}")
        return _public(ctx, state, opts["public"])
    if verb == "add":
        return _add(ctx, state, words[1:])
    if verb == "remove":
        return _remove(ctx, state, words[1:])
    if verb == "import":
        rest = words[1:]
        every = bool(rest) and rest[-1].lower() == "all"
        rest = rest[:-1] if every else rest
        if url is None and rest:
            url = rest[0].strip("<>").split("|", 1)[0]
        if not url:
            raise UserError("Give the address of the district's calendar: `/scep holidays import https://district.example.org/calendar.ics`, "
                            f"or {SHARE_HINT}")
        shared = SLACK_FILE.match(url.strip())
        if shared:
            return import_shared_file(ctx, shared.group(1), every)
        return _import(ctx, state, url, every)
    if len(words) > 1 or url:
        raise UserError(f"I don't know `/scep holidays {bk.esc(' '.join(words)[:60])}`. Try: {FORMS}")
    year = _year(words[0]) if words else SchoolYear.containing(ctx.now.date())
    return _show(state, year)


def _year(text: str) -> SchoolYear:
    try:
        return SchoolYear.parse(text)
    except Exception:  # noqa: BLE001 - the message below says the form
        raise UserError(f"'{bk.esc(text[:40])}' is not a school year like 2026-27. Try: {FORMS}") from None


def _show(state: SchoolState, year: SchoolYear) -> Result:
    school = state.school
    cal = school_calendar(school)
    days = cal.closed_days(year.first_day, year.last_day)
    rows = _grouped(days)
    code = school_state_code(school)
    public = (f"public holidays of {code}" if cal.state else
              ("public holidays off (`/scep holidays public:on`)" if code else "no state, so no public holidays (`/scep setup state:NY`)"))
    head = f"*Closed days of {bk.esc(school.name)}, {year}* ({len(days)} weekdays: {public}; district and school closures)"
    note = "Nothing is due, nudged or sent on these days or weekends: deadlines move to the school day before (or as the cycle says), nudges and digests to the next."
    text = head + "\n" + "\n".join(rows or ["none"])
    blocks = [bk.section(head)] + [bk.section("\n".join(rows[i:i + 25])) for i in range(0, len(rows), 25)] + [bk.context(note + " Change: " + FORMS)]
    return Result(text=text, blocks=bk.fit(blocks))


def _grouped(days: list[tuple[date, str, str]]) -> list[str]:
    """Consecutive closed weekdays of one name and source as one line."""
    rows: list[list[Any]] = []
    for d, why, source in days:
        last = rows[-1] if rows else None
        if last and last[2] == why and last[3] == source and _next_weekday(last[1]) == d:
            last[1] = d
        else:
            rows.append([d, d, why, source])
    fmt = lambda d: f"{d:%a} {d:%b} {d.day}"  # noqa: E731
    return [f"• {fmt(a)}{'' if a == b else ' – ' + fmt(b)}: {bk.esc(why)} _({bk.esc(src)})_" for a, b, why, src in rows]


def _next_weekday(d: date) -> date:
    d += timedelta(days=1)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _require_district(ctx: Ctx, state: SchoolState) -> None:
    if not (R.is_workspace_admin(ctx) or ctx.user_id in (state.school.roles.get("district") or [])):
        raise UserError("Only workspace admins and the district admin can change the district's closures.")


def _add(ctx: Ctx, state: SchoolState, words: list[str]) -> Result:
    _require_district(ctx, state)
    if not words:
        raise UserError(f"Say which days and why: {FORMS}")
    try:
        first, last = parse_range(words[0])
    except ValueError as exc:
        raise UserError(bk.esc(exc)) from None
    name = " ".join(" ".join(words[1:]).split())[:100]
    if not name:
        raise UserError(f"Name the closure, so people know why nothing is sent: `/scep holidays add {words[0]} Winter recess`")
    entry = {"dates": Closure(first, last).dates_text, "name": name, "source": "district"}
    return _commit(ctx, state, lambda current: [*current, entry], f"added {entry['dates']} {name}", [Closure(first, last, name, "district")])


def _remove(ctx: Ctx, state: SchoolState, words: list[str]) -> Result:
    _require_district(ctx, state)
    if len(words) != 1:
        raise UserError(f"Say which closure to remove, by its dates as listed: {FORMS}")
    try:
        first, last = parse_range(words[0])
    except ValueError as exc:
        raise UserError(bk.esc(exc)) from None
    current = list(district_entries(state.school))
    keep = []
    gone = []
    for e in current:
        c = closure_from_entry(e, "district")
        if c and ((c.first, c.last) == (first, last) or (first == last and c.first <= first <= c.last)):
            gone.append(c)
        else:
            keep.append(e)
    if not gone:
        cal = school_calendar(state.school)
        why = cal.why_closed(first)
        if why and why != "weekend":
            raise UserError(f"{first:%a %b} {first.day} is {bk.esc(why)}, a public holiday of {cal.state}, not a district closure: "
                            "`/scep holidays public:off` stops using the state's holidays.")
        listed = ", ".join(c.dates_text for c in (closure_from_entry(e, "district") for e in current) if c) or "none"
        raise UserError(f"No district closure is on {bk.esc(words[0])}. The district's closures: {listed}")
    return _commit(ctx, state, lambda _current: keep, "removed " + ", ".join(f"{c.dates_text} {c.name}".strip() for c in gone), [])


def import_shared_file(ctx: Ctx, file_id: str, every: bool = False) -> Result:
    """Import the closures of an .ics file shared in Slack (read with the bot token); the same
    checks as a URL: a file that cannot be read or parsed changes nothing and says why."""
    state = ctx.state()
    _require_district(ctx, state)
    if ctx.read_file is None:
        raise UserError("I can't read files shared in Slack here: give the calendar's https address instead.")

    def read() -> tuple[str, bytes]:
        try:
            name, data = ctx.read_file(file_id)
        except ValueError as exc:
            raise district_ical.CalendarFileError(f"could not read the shared file: {exc}") from None
        if len(data) > district_ical.MAX_BYTES:
            raise district_ical.CalendarFileError(f"{name} is larger than {district_ical.MAX_BYTES // 1_000_000} MB: not a school calendar")
        return f"the shared file {name}", data

    return _import(ctx, state, "", every, read)


def _import(ctx: Ctx, state: SchoolState, url: str, every: bool, read=None) -> Result:
    """Import from ``url``, or from ``read()`` -> (where it came from, bytes) for a shared file."""
    _require_district(ctx, state)
    year = SchoolYear.containing(ctx.now.date())
    try:
        where, data = read() if read else (url, district_ical.fetch(url))
        found, skipped = district_ical.closures(data, f"imported from {where}", year.first_day, (year + 1).last_day, every_all_day=every)
    except district_ical.CalendarFileError as exc:
        raise UserError(f"Nothing imported: {bk.esc(exc)}") from None
    url = where
    source = f"imported from {url}"
    entries = [{"dates": c.dates_text, "name": c.name, "source": source} for c in found]

    def change(current: list) -> list:
        return [e for e in current if not (isinstance(e, dict) and e.get("source") == source)] + entries

    said = f"imported {len(found)} closure{'s' if len(found) != 1 else ''} from {url} ({year} and {year + 1})"
    if skipped:
        said += f"; left out {len(skipped)} event{'s' if len(skipped) != 1 else ''} that do not close the school (" + "; ".join(skipped[:5]) + ("…" if len(skipped) > 5 else "") + "; add `all` to take every all-day event)"
    return _commit(ctx, state, change, said, found)


def _commit(ctx: Ctx, state: SchoolState, change, said: str, added: list[Closure]) -> Result:
    """Check the new calendar against every school of the workspace, then store it."""
    proposed = change(list(district_entries(state.school)))
    _refuse_closed_windows(ctx, proposed, added)
    ctx.store.update_setting(DISTRICT_HOLIDAYS_SETTING, lambda cur: with_district_entries(cur, ctx.team_id, proposed), {})
    with ctx.store.transaction(state.school.school_id) as tx:
        audit(tx, ctx.user_id, ctx.now, "district closures", change=said, holidays=proposed)
    text = f":calendar: District closures {bk.esc(said)} (by <@{ctx.user_id}>). `/scep holidays` lists the closed days."
    return Result(text=text, blocks=[bk.section(text)], public=True)


def _refuse_closed_windows(ctx: Ctx, proposed: list, added: list[Closure]) -> None:
    """A UserError naming the first step window that ``added`` would close entirely."""
    if not added:
        return
    for sid in ctx.store.school_ids():
        entry = ctx.store.index_entry(sid) or {}
        if entry.get("team_id") not in (None, ctx.team_id):
            continue
        st = read_school(ctx.store, sid)
        if st is None:
            continue
        attach_district(st, proposed)
        cal = school_calendar(st.school)
        years = {SchoolYear.containing(c.first) for c in added} | {SchoolYear.containing(c.last) for c in added}
        for cycle in progress.school_cycles(st, ctx.library):
            for y in sorted(years, key=lambda y: y.start):
                for dated in progress._dated_steps(cycle, y, st):
                    if not (dated.opens_at and dated.closes_at) or dated.estimated:
                        continue
                    first = dated.opens_at.astimezone(_zone(st.school)).date()
                    last = dated.closes_at.astimezone(_zone(st.school)).date()
                    if any(c.first <= last and c.last >= first for c in added) and _all_closed(cal, first, last):
                        raise UserError(
                            f"Refused, nothing changed: that would close every school day of *{bk.esc(dated.step.title)}* "
                            f"({first:%a %b} {first.day} – {last:%a %b} {last.day} {last.year}, {bk.esc(cycle.title)}) at {bk.esc(st.school.name)}, "
                            "so it could never be held. Shorten the closure, or change the step's window in the cycle file.")


def _zone(school: School):
    return zone(school.tz)


def _all_closed(cal: Calendar, first: date, last: date) -> bool:
    d = first
    while d <= last:
        if cal.is_open(d):
            return False
        d += timedelta(days=1)
    return True


def _public(ctx: Ctx, state: SchoolState, value: str) -> Result:
    R.require(ctx, state.school, "setup")
    v = value.strip().lower()
    if v not in ("on", "off"):
        raise UserError("`public:` is on or off: `/scep holidays public:off` (the state's public holidays are on by default)")
    with ctx.store.transaction(state.school.school_id) as tx:
        school = School.from_doc(tx.get(*PROFILE))
        if v == "off":
            school.extra[PUBLIC_KEY] = False
        else:
            school.extra.pop(PUBLIC_KEY, None)
        tx.put(*PROFILE, school.to_doc())
        audit(tx, ctx.user_id, ctx.now, "public holidays", public=v)
    code = school_state_code(state.school) or "none"
    text = f":calendar: Public holidays of {code} {'no longer close' if v == 'off' else 'close'} *{bk.esc(state.school.name)}* (by <@{ctx.user_id}>)."
    return Result(text=text, blocks=[bk.section(text)], public=True)
