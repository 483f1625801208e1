"""``/scep dates``: the dates and times the documents do not give (the bot's defaults, labelled
"default: ..." wherever they are shown), and the district's own in their place.

``/scep dates`` lists the defaults of the school's cycles and the district's changes;
``/scep dates <step> window <date>..<date>``, ``/scep dates <step> <due|draft|final> <time or
date or both>`` set the district's own (for the step's current school year; other years carry
them as the same month and day); ``/scep dates <step> reset`` goes back to the default. The
changes are a setting shared by the district's schools, one per workspace (``DISTRICT_DATES_SETTING``);
changing them takes a workspace admin or the school's district admin. Only dates the document
does not give can be changed here: the document's own are changed with a cycle file.
"""

from __future__ import annotations

import re
from datetime import date, time

from bot.calendar.cycles import Step
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core import progress
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result
from bot.core.schools import SchoolState, iso
from bot.core.steps import audit, resolve
from bot.errors import UserError
from bot.core.school_calendar import district_dates_of
from bot.store.schema import DISTRICT_DATES_SETTING

WHATS = ("window", "due", "draft", "final", "reset")
FORMS = ("`/scep dates`, `/scep dates session 3 window 2025-03-10..2025-04-04`, `/scep dates sps optional services due 3pm`, "
         "`/scep dates first draft due 2026-05-08 15:00`, `/scep dates session 3 reset`")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?$", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")


@subcommand(
    "dates",
    usage="/scep dates [<step> window <date>..<date> | <step> due|draft|final <time or date> | <step> reset]",
    summary="the dates and times the documents don't give (defaults), and the district's own in their place",
    examples=["/scep dates", "/scep dates session 3 window 2025-03-10..2025-04-04", "/scep dates sps optional services due 3pm",
              "/scep dates session 3 reset"],
    aliases=("defaults",),
    writes=True,
)
def cmd_dates(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    if not args:
        return _show(ctx, state)
    at = max((i for i, w in enumerate(args) if w.lower() in WHATS), default=-1)
    if at <= 0:
        raise UserError(f"Say the step and what to change: {FORMS}")
    what, value = args[at].lower(), " ".join(args[at + 1:]).strip()
    ref = resolve(state, ctx.library, ctx.now, " ".join(args[:at]))
    if not (R.is_workspace_admin(ctx) or ctx.user_id in (state.school.roles.get("district") or [])):
        raise UserError("Only workspace admins and the district admin can change the district's dates.")
    original = ctx.library.get(ref.dated.cycle.id)
    step = original.step(ref.dated.step.id) if original else None
    if step is None:
        raise UserError("That step is no longer in its cycle file.")
    key = ref.dated.key
    if what == "reset":
        if value:
            raise UserError(f"`reset` stands alone: `/scep dates {bk.esc(step.label.lower())} reset`")
        return _commit(ctx, state, key, None, f"{step.label}: back to the default dates")
    change = _change(step, original, what, value, ref.year.name)
    said = f"{step.label}: {what} " + (f"{change['opens']} – {change['closes']}" if what == "window" else " ".join(v for v in (change.get("on"), change.get("at")) if v))
    return _commit(ctx, state, key, (what, change), said)


def _change(step: Step, cycle, what: str, value: str, year: str) -> dict:
    """The change of one date of ``step`` (only a default may be changed), or a UserError."""
    if what == "window":
        if not step.window:
            raise UserError(f"{bk.esc(step.label)} has no window to change ({'its deadlines: ' + ', '.join(step.deadlines) if step.deadlines else 'it has no dates'}).")
        if not step.default_why(None, cycle):
            raise UserError(f"The window of {bk.esc(step.label)} is the document's own, not a default: change it in a cycle file (docs/cycle-files.md).")
        example = f"`/scep dates {bk.esc(step.label.lower())} window 2025-03-10..2025-04-04`"
        m = _RANGE.match(value)
        if not m:
            raise UserError(f"Give the window's first and last day, like {example}")
        try:
            first, last = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
        except ValueError:
            raise UserError(f"'{bk.esc(value[:40])}' has a date that does not exist: {example}") from None
        if last < first:
            raise UserError(f"The window closes before it opens: {example}")
        if (last - first).days > 366:
            raise UserError("A window of more than a year is not a window: give its first and last day.")
        return {"opens": first.isoformat(), "closes": last.isoformat(), "year": year}
    spec = step.deadlines.get(what)
    if spec is None:
        has = ", ".join(step.deadlines) or ("a window" if step.window else "no dates")
        raise UserError(f"{bk.esc(step.label)} has no {what} deadline (it has {has}).")
    if not step.default_why(spec, cycle):
        raise UserError(f"The {what} deadline of {bk.esc(step.label)} is the document's own, not a default: change it in a cycle file (docs/cycle-files.md).")
    out: dict = {"year": year}
    for word in _tokens(value):
        if _DATE.match(word):
            try:
                out["on"] = date.fromisoformat(word).isoformat()
            except ValueError:
                raise UserError(f"'{bk.esc(word)}' is not a real date.") from None
        else:
            at = _clock(word)
            if at is None:
                raise UserError(f"'{bk.esc(word[:30])}' is neither a date (2026-05-08) nor a time (3pm, 15:00). Try: {FORMS}")
            out["at"] = at.strftime("%H:%M")
    if "on" not in out and "at" not in out:
        raise UserError(f"Give a time, a date or both: `/scep dates {bk.esc(step.label.lower())} {what} 3pm`")
    return out


def _tokens(value: str) -> list[str]:
    """``2026-05-08 4:00 PM`` -> [``2026-05-08``, ``4:00PM``]."""
    return re.sub(r"(\d)\s+([ap]\.?m\.?)\b", r"\1\2", value.strip(), flags=re.IGNORECASE).split()


def _clock(text: str) -> time | None:
    m = _TIME.match(text.strip())
    if not m:
        return None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower().replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif m.group(2) is None:
        return None  # a bare number is not a time
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _commit(ctx: Ctx, state: SchoolState, key: str, change: tuple[str, dict] | None, said: str) -> Result:
    def edit(setting):
        setting = dict(setting or {}) if isinstance(setting, dict) else {}
        current = dict(setting.get(ctx.team_id) or {})
        if change is None:
            current.pop(key, None)
        else:
            entry = dict(current.get(key) or {})
            entry[change[0]] = change[1]
            entry.update(by=ctx.user_id, at=iso(ctx.now))
            current[key] = entry
        setting[ctx.team_id] = current
        return setting

    ctx.store.update_setting(DISTRICT_DATES_SETTING, edit, {})
    with ctx.store.transaction(state.school.school_id) as tx:
        audit(tx, ctx.user_id, ctx.now, "district dates", change=said)
    text = f":spiral_calendar_pad: District dates: {bk.esc(said)} (by <@{ctx.user_id}>), for every school of the district. `/scep dates` lists them."
    return Result(text=text, blocks=[bk.section(text)], public=True)


def _show(ctx: Ctx, state: SchoolState) -> Result:
    changes = district_dates_of(ctx.store.get_setting(DISTRICT_DATES_SETTING, {}), ctx.team_id)
    rows = []
    for cycle in progress.school_cycles(state, ctx.library):
        year = progress.current_year(cycle, state, ctx.now)
        for dated in progress._dated_steps(cycle, year, state):
            step = dated.step
            orig = cycle.step(step.id)
            ours = changes.get(dated.key) if isinstance(changes, dict) else None
            has_default = orig is not None and ((orig.window and orig.default_why(None, cycle)) or any(orig.default_why(s, cycle) for s in orig.deadlines.values()))
            if not (has_default or ours):
                continue
            items = progress._step_items(dated, state.step_state(year, dated.key), ctx.now)
            when = "; ".join(bk.when_phrase(i, ctx.now, state.school.tz) for i in items)
            by = f" _(the district's, by <@{ours.get('by', '?')}>)_" if ours else ""
            rows.append(f"• *{bk.esc(step.label)}* ({bk.esc(cycle.title)} {year}): {when}{by}")
    head = f"*Dates the documents don't give, for {bk.esc(state.school.name)}*"
    if not rows:
        rows = ["none: every date of this school's cycles is the document's own"]
    note = f"The district sets its own (admins and the district admin): {FORMS}"
    blocks = [bk.section(head)] + [bk.section("\n".join(rows[i:i + 20])) for i in range(0, len(rows), 20)] + [bk.context(note)]
    return Result(text=head + "\n" + "\n".join(rows), blocks=bk.fit(blocks))
