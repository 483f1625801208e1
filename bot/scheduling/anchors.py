"""``/scep data`` and ``/scep meeting``: the dates a school reports (data ready, a team
meeting, the first day of August PD), which the windows of some steps hang on. Days are local
days of the school."""

from __future__ import annotations

from datetime import date

from bot.calendar import dates, nlp_dates
from bot.calendar.cycles import Cycle
from bot.calendar.instances import span
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core import progress
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result, StepChanged
from bot.core.school_calendar import read_school
from bot.core.schools import SchoolState
from bot.core.steps import StepRef, set_anchor
from bot.errors import UserError
from bot.scheduling.schedule import window_text

DATA_KINDS = {
    "milestones": "milestones-data", "milestone": "milestones-data", "epm": "milestones-data",
    "benchmarks": "benchmarks-data", "benchmark": "benchmarks-data", "myb": "benchmarks-data",
    "year-end": "year-end-data", "yearend": "year-end-data", "year end": "year-end-data", "eoy": "year-end-data",
}
MEETING_KINDS = {
    "fall": "fall-team-meeting", "winter": "winter-team-meeting",
    "august-pd": "august-pd", "august": "august-pd", "pd": "august-pd", "august pd": "august-pd",
}


def _anchor_cycle(state: SchoolState, ctx: Ctx, anchor: str, what: str) -> Cycle:
    for cycle in progress.school_cycles(state, ctx.library):
        if anchor in cycle.anchors:
            return cycle
    users = [c.title for c in ctx.library.cycles.values() if anchor in c.anchors]
    hint = f" ({', '.join(users)} does)" if users else ""
    raise UserError(f"This school's cycles don't wait for {what}{hint}: nothing to record.")


AFTER_YEAR_DAYS = 62  # year-end data may come in July or August, after the school year it is for


def plausible(day: date, year, title: str, again: str) -> None:
    """A reported date belongs to the school year ``year`` (or its summer after): a date in a past
    or a later school year gets a question (``again``: the command to type), not silent acceptance."""
    if year.first_day <= day <= dates.add_days(year.last_day, AFTER_YEAR_DAYS):
        return
    guess = _same_day_in(day, year)
    side = "past" if day < year.first_day else "later"
    raise UserError(f"{dates.fmt_day(day)} is in {dates.SchoolYear.containing(day)}, a {side} school year, but {bk.esc(title)} is asked for "
                    f"{year}. Did you mean {dates.fmt_day(guess)}? If so: `{again} {guess:%b} {guess.day} {guess.year}`.")


def _same_day_in(day: date, year) -> date:
    """``day``'s month and day in school ``year`` (Feb 29 -> Feb 28)."""
    y = year.start if day.month >= 7 else year.start + 1
    try:
        return day.replace(year=y)
    except ValueError:
        return day.replace(year=y, day=28)


def _anchor_year(state: SchoolState, ctx: Ctx, cycle: Cycle, day: date):
    tz = state.school.tz
    year = progress.current_year(cycle, state, ctx.now)
    s = span(cycle, year, tz)
    if s and day > dates.local_today(s[1], tz) and dates.SchoolYear.containing(day) > year:
        return year + 1
    return year


def _set_anchor(ctx: Ctx, args: list[str], kinds: dict[str, str], what_word: str, usage: str) -> Result:
    state = ctx.state()
    words = [a for a in args]
    if not words:
        raise UserError(f"Which one? {usage}")
    kind = words[0].lower()
    rest = words[1:]
    if kind in ("year", "august") and rest and rest[0].lower() in ("end", "pd"):
        kind, rest = f"{kind}-{rest[0].lower()}", rest[1:]
    anchor = kinds.get(kind)
    if anchor is None:
        raise UserError(f"'{bk.esc(bk.clip(words[0], 80))}' isn't one I track. {usage}")
    R.require(ctx, state.school, "act")
    cycle = _anchor_cycle(state, ctx, anchor, cycle_title(ctx, anchor))
    title = cycle.anchors[anchor].title
    if rest and rest[0].lower() in ("ready", "is", "on", "at", "was", "available"):
        rest = rest[1:]
        if rest and rest[0].lower() in ("on", "since", "from", "at"):
            rest = rest[1:]
    tz = state.school.tz
    if rest and " ".join(rest).lower() in ("clear", "unknown", "not ready", "none", "cancel"):
        year = progress.current_year(cycle, state, ctx.now)
        if anchor not in state.anchor_dates(year):
            raise UserError(f"Nothing recorded for {bk.esc(title)} in {year}.")
        with ctx.store.transaction(state.school.school_id) as tx:
            set_anchor(tx, year, anchor, None, ctx.user_id, ctx.now)
        text = f":wastebasket: <@{ctx.user_id}> cleared the date for {bk.esc(title)} ({year})."
        return Result(text=text, blocks=[bk.section(text)], public=True)
    if not rest and what_word == "meeting":
        raise UserError(f"When is it? {usage}")
    cur = progress.current_year(cycle, state, ctx.now)
    s = span(cycle, cur, tz)
    within = (dates.local_today(s[0], tz), dates.local_today(s[1], tz)) if s else None
    when = nlp_dates.parse(" ".join(rest) or "today", ctx.now, tz, need_time=False, prefer="nearest", within=within)
    year = _anchor_year(state, ctx, cycle, when.day)
    plausible(when.day, year, title, f"/scep {what_word} {kind}" + (" ready" if what_word == "data" else ""))
    before = state.anchor_dates(year).get(anchor)
    with ctx.store.transaction(state.school.school_id) as tx:
        set_anchor(tx, year, anchor, when.day, ctx.user_id, ctx.now)
    new_state = read_school(ctx.store, state.school.school_id)
    text = f":pushpin: <@{ctx.user_id}> recorded {bk.esc(title)}: *{dates.fmt_day(when.day)}* ({year})"
    if before and before != when.day:
        text += f", was {dates.fmt_day(before)}"
    text += "."
    text += "".join("\n" + line for line in anchor_effects(new_state, cycle, year, anchor))
    changed = [StepChanged(state.school.school_id, StepRef(dated).state_key) for dated in progress._dated_steps(cycle, year, new_state)
               if anchor in (getattr(dated.step.anchors, "opens", None), getattr(dated.step.anchors, "closes", None)) or anchor in dated.step.needs]
    return Result(text=text, blocks=[bk.section(text)], public=True, changed=changed)


def cycle_title(ctx: Ctx, anchor: str) -> str:
    for c in ctx.library.cycles.values():
        if anchor in c.anchors:
            return c.anchors[anchor].title
    return anchor


def anchor_effects(state: SchoolState, cycle: Cycle, year, anchor: str) -> list[str]:
    """What the reported date changes: the windows of the steps that hang on it."""
    tz = state.school.tz
    out = []
    for dated in progress._dated_steps(cycle, year, state):
        a = dated.step.anchors
        if a and anchor in (a.opens, a.closes):
            if dated.waiting_for:
                names = [cycle.anchors[w].title if w in cycle.anchors else w for w in dated.waiting_for]
                hints = [cycle.anchors[w].hint for w in dated.waiting_for if w in cycle.anchors and cycle.anchors[w].hint]
                out.append(f"{bk.esc(dated.step.title)} now waits only for {bk.esc(' and '.join(names))}" + (f" (`{bk.esc(hints[0])}`)" if hints else "") + ".")
            else:
                out.append(f"{bk.esc(dated.step.title)} can be held {window_text(dated, tz)}.")
                if dated.opens_at and dated.closes_at and dates.local_today(dated.closes_at, tz) <= dates.local_today(dated.opens_at, tz):
                    out.append(":warning: The team meeting is not after the data is ready: there is no room for the session in between. Check both dates.")
        elif anchor in dated.step.needs:
            out.append(f"{bk.esc(dated.step.title)} needed it: it can go ahead.")
    return out


@subcommand(
    "data",
    usage="/scep data <milestones|benchmarks|year-end> ready [when]",
    summary="record when data is (or will be) ready: planning sessions and visit 5 hang on it",
    examples=["/scep data milestones ready", "/scep data benchmarks ready Jan 20", "/scep data year-end ready June 24", "/scep data milestones clear"],
    writes=True,
)
def cmd_data(ctx: Ctx, args: list[str]) -> Result:
    usage = "`/scep data milestones ready [date]`, `/scep data benchmarks ready Jan 20` or `/scep data year-end ready June 24`"
    return _set_anchor(ctx, args, DATA_KINDS, "data", usage)


@subcommand(
    "meeting",
    usage="/scep meeting <fall|winter|august-pd> <when>",
    summary="record the date of the fall or winter SCEP team meeting, or the first day of August PD",
    examples=["/scep meeting fall Nov 10", "/scep meeting winter Feb 2", "/scep meeting august-pd Aug 22"],
    writes=True,
)
def cmd_meeting(ctx: Ctx, args: list[str]) -> Result:
    usage = "`/scep meeting fall Nov 10`, `/scep meeting winter Feb 2` or `/scep meeting august-pd Aug 22`"
    return _set_anchor(ctx, args, MEETING_KINDS, "meeting", usage)
