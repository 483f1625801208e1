"""The edition of the guidance a school follows, said in words, and the rollover notice.

A school following its model's defaults moves to another edition when the school year changes
(``bot.calendar.editions``). Its channel is told once, on the first school day of the new year at
09:00 in the school's zone (by its calendar of record), through the sweep's outbox: the message
key names the school and the year's start, so the ledger sends it exactly once.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.cycles import Cycle
from bot.calendar.dates import SchoolYear
from bot.calendar.editions import defaults_for
from bot.core import blocks as bk
from bot.core.outbox import Outgoing
from bot.core.school_calendar import school_calendar
from bot.core.schools import School, SchoolState, iso

NOTICE_AT = time(9, 0)  # local wall-clock time of the rollover notice
NOTICE_EXPIRES = timedelta(days=30)
LOOK_AHEAD_YEARS = 8  # how far the setup reply looks for the next change of edition


def _title(c: Cycle) -> str:
    return f"{bk.esc(c.title)} (`{c.id}`)"


def defaults_in(library: CycleLibrary, school: School, year: SchoolYear) -> list[Cycle]:
    """The model's default cycles in force in ``year`` (none when the school does not follow defaults)."""
    if not school.default_cycles:
        return []
    return defaults_for(library.cycles.values(), school.model, year)


def school_year_of(school: School, now: datetime) -> SchoolYear:
    """The school year the school is in at ``now`` (its pinned first year, if later)."""
    year = SchoolYear.containing(dates.local_today(now, school.tz))
    pinned = school.pinned_year
    return pinned if pinned and pinned > year else year


def cycles_text(library: CycleLibrary, school: School, now: datetime) -> str:
    """What the school follows, in words: this year's defaults (and the next change of edition),
    then the cycles the district named."""
    year = school_year_of(school, now)
    parts = []
    if school.default_cycles:
        now_ = defaults_in(library, school, year)
        text = (", ".join(_title(c) for c in now_) or "none") + f" (the {school.model} defaults in force in {year})"
        for y in range(1, LOOK_AHEAD_YEARS + 1):
            later = defaults_in(library, school, year + y)
            if [c.id for c in later] != [c.id for c in now_]:
                text += f"; from {year + y}: " + (", ".join(_title(c) for c in later) or "none")
                break
        parts.append(text)
    named = [library.get(c) for c in school.cycles]
    if named:
        parts.append(", ".join(_title(c) if c else f"`{c}`" for c in named) + (" (named by the district)" if school.default_cycles else ""))
    return "; plus ".join(parts) or "none"


def _notice_due(school: School, year: SchoolYear) -> datetime:
    day = school_calendar(school).roll(year.first_day, +1)
    return dates.local_instant(day, NOTICE_AT, school.tz)


def edition_notices(state: SchoolState, library: CycleLibrary, now: datetime) -> list[Outgoing]:
    """The outbox provider ``editions``: the notice of this school year's change of edition (or
    next year's, due later), for a school that followed the previous edition."""
    school = state.school
    if not school.default_cycles or not school.channel_id:
        return []
    out = []
    this = SchoolYear.containing(dates.local_today(now, school.tz))
    for year in (this, this + 1):
        old, new = defaults_in(library, school, year + (-1)), defaults_in(library, school, year)
        if [c.id for c in old] == [c.id for c in new]:
            continue
        start = dates.local_instant(year.first_day, dates.MIDNIGHT, school.tz)
        pinned = school.pinned_year
        created = dates.parse_instant(school.created_at) if school.created_at else None
        if (pinned and pinned >= year) or (created and created >= start):
            continue  # the school never followed the old edition here: nothing to tell
        due = _notice_due(school, year)
        if now > due + NOTICE_EXPIRES:
            continue
        out.append(Outgoing(
            key=f"{school.school_id}|edition|{iso(start)}",
            school_id=school.school_id,
            due_at=due,
            render=lambda at, y=year, o=old, n=new: notice_text(school, y, o, n),
            channel=school.channel_id,
            expires_at=due + NOTICE_EXPIRES,
            kind="edition",
            meta={"year": year.name},
        ))
    return out


def notice_text(school: School, year: SchoolYear, old: list[Cycle], new: list[Cycle]) -> tuple[str, list[dict]]:
    """The rollover notice: which edition the school moves to, in place of which."""
    gone = [c for c in old if c.id not in {n.id for n in new}]
    came = [c for c in new if c.id not in {o.id for o in old}]
    text = (f":books: New school year {year}: *{bk.esc(school.name)}* ({school.model}) now follows "
            + (", ".join(_title(c) for c in came) or "no default cycle")
            + (f", the edition of the guidance in force for {school.model} schools from {year}, in place of " + ", ".join(_title(c) for c in gone) if gone else "")
            + f".\nLast year's steps stay in `/scep timeline {year + (-1)}`. To keep following an older edition as well: "
            + (f"`/scep setup cycles:defaults,{gone[0].id}`." if gone else "`/scep setup cycles:defaults,<id>`."))
    return text, [bk.section(text)]
