"""``/scep remind``: a school's nudge calendar and its settings.

    /scep remind                                  the next nudges and this school's settings
    /scep remind 2021-22                          every nudge of that school year, with what happened
    /scep remind visit 2                          one step's nudges and rules
    /scep remind visit 2 closing:5 midpoint:off   change one step's rules
    /scep remind priority levers before:10,3      days before each deadline
    /scep remind all before:10,5,1                the same for every step of the school
    /scep remind visit 2 off | on | reset         one step's nudges off, on, or back to the cycle's
    /scep remind off | on | reset                 the whole school
    /scep remind time:08:30 quiet:fri             the nudge hour; extra quiet weekdays (quiet:none)
    /scep remind holiday:2021-12-24..2022-01-02   a school holiday (unholiday:<date> removes one)
    /scep remind district-holiday:2021-11-25      a holiday for every school of the workspace

Changes need the ``setup`` permission; the district's holidays alone, a workspace admin or
the school's district admin.
"""

from __future__ import annotations

import re
from typing import Any

from bot.calendar import dates
from bot.calendar.dates import DateError, SchoolYear
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import option_args, subcommand
from bot.core.context import Ctx
from bot.core.result import Result
from bot.core.schools import School, SchoolState
from bot.core.steps import StepRef, audit, resolve
from bot.errors import UserError
from bot.nudges.planning import calendar
from bot.nudges.remind_options import (
    FORMS,
    KEYS,
    RULE_KEYS,
    SCHOOL_KEYS,
    edit_holidays,
    parse_quiet,
    parse_rules,
    parse_time,
)
from bot.nudges.remind_view import (
    STATUS_ICON,
    calendar_rows,
    nudge_status,
    rule_name,
    rules_text,
    settings_text,
)
from bot.nudges.rules import effective_rules
from bot.core.school_calendar import district_entries_of, with_district_entries
from bot.nudges.school_days import DISTRICT_KEY, attach_district, school_policy
from bot.store.schema import DISTRICT_HOLIDAYS_SETTING, LEDGER, POLICY_KEY, PROFILE

SHOW_NEXT = 15


def read_state(ctx: Ctx) -> SchoolState:
    state = ctx.state()
    return attach_district(state, ctx.store.get_setting(DISTRICT_HOLIDAYS_SETTING, []))


@subcommand(
    "remind",
    usage="/scep remind [step] [rule:value …] | [year] | off|on|reset | time:HH:MM | quiet:<days> | holiday:<date>[..<date>]",
    summary="this school's nudges: when they go out, and which (liaison changes them)",
    examples=["/scep remind", "/scep remind 2021-22", "/scep remind visit 2 closing:5 midpoint:off", "/scep remind priority levers before:10,3",
              "/scep remind holiday:2021-12-24..2022-01-02"],
    writes=True,
)
def cmd_remind(ctx: Ctx, args: list[str]) -> Result:
    state = read_state(ctx)
    words, opts = option_args(args, KEYS)
    action = None
    if words and words[-1].lower() in ("off", "on", "reset"):
        action = words[-1].lower()
        words = words[:-1]
    target = " ".join(words).strip()
    if not opts and action is None:
        if not target:
            return _overview(ctx, state)
        year = _year_or_none(target)
        if year is not None:
            return _whole_year(ctx, state, year)
        if target.lower() == "all":
            return _whole_year(ctx, state, None)
        return _step_view(ctx, state, resolve(state, ctx.library, ctx.now, target))
    district_only = not words and action is None and set(opts) <= {"district-holiday", "district-unholiday"}
    if not district_only:  # the district's holidays alone: workspace admins and district admins (checked below)
        R.require(ctx, state.school, "setup")
    school_opts = {k: v for k, v in opts.items() if k in SCHOOL_KEYS}
    rule_opts = {k: v for k, v in opts.items() if k in RULE_KEYS}
    if school_opts and target:
        raise UserError(f"`{', '.join(k + ':' for k in school_opts)}` apply to the whole school: write them without a step, like `/scep remind {next(iter(school_opts))}:…`")
    if action and rule_opts:
        raise UserError(f"Either turn nudges {action} or change rules, not both at once. For example: {FORMS}")
    ref: StepRef | None = None
    scope = "school"
    if target.lower() == "all":
        scope = "all"
    elif target:
        ref = resolve(state, ctx.library, ctx.now, target)
        scope = "step"
    if rule_opts and scope == "school":
        raise UserError(f"Say which step the rules are for, or `all` for every step: `/scep remind visit 2 {next(iter(rule_opts))}:…` or `/scep remind all {next(iter(rule_opts))}:…`")
    rules = parse_rules(rule_opts, ref)
    changes: list[str] = []
    district_change = None
    if school_opts.get("district-holiday") or school_opts.get("district-unholiday"):
        district_change = _district_holidays(ctx, state, school_opts)
        changes.append(district_change)
    with ctx.store.transaction(state.school.school_id) as tx:
        school = School.from_doc(tx.get(*PROFILE))
        pol = dict(school_policy(school))
        if action and scope == "school":
            if action == "reset":
                for k in ("all", "steps", "time", "quiet", "enabled"):
                    pol.pop(k, None)
                changes.append("nudge settings back to the cycles' defaults (holidays kept)")
            else:
                pol["enabled"] = action == "on"
                changes.append(f"nudges {action} for the whole school")
        elif action and scope == "all":
            pol["all"] = {} if action == "reset" else {**(pol.get("all") or {}), "enabled": action == "on"}
            changes.append(f"every step's nudges {'back to the defaults' if action == 'reset' else action}")
        elif action and ref is not None:
            steps = dict(pol.get("steps") or {})
            if action == "reset":
                steps.pop(ref.key, None)
            else:
                steps[ref.key] = {**steps.get(ref.key, {}), "enabled": action == "on"}
            pol["steps"] = steps
            changes.append(f"{ref.dated.step.label}: nudges {'back to the defaults' if action == 'reset' else action}")
        if rules:
            if scope == "all":
                pol["all"] = {**(pol.get("all") or {}), **rules}
                changes.append("every step: " + rules_text(rules))
            else:
                steps = dict(pol.get("steps") or {})
                steps[ref.key] = {**steps.get(ref.key, {}), **rules}
                pol["steps"] = steps
                changes.append(f"{ref.dated.step.label}: " + rules_text(rules))
        if "time" in school_opts:
            pol["time"] = parse_time(school_opts["time"]).strftime("%H:%M")
            changes.append(f"nudges at {pol['time']}")
        if "quiet" in school_opts:
            pol["quiet"] = parse_quiet(school_opts["quiet"])
            changes.append("quiet days: " + (", ".join(["sat", "sun", *pol["quiet"]])))
        holidays, said = edit_holidays(list(school.holidays or []), school_opts.get("holiday"), school_opts.get("unholiday"), "school", "this school's")
        changes.extend(said)
        school.holidays = holidays
        school.extra[POLICY_KEY] = pol
        school.extra.pop(DISTRICT_KEY, None)
        school.extra.pop("_district_dates", None)  # attached by readers (school_calendar.DATES_KEY), never stored
        if changes != ([district_change] if district_change else []):
            tx.put(*PROFILE, school.to_doc())
            audit(tx, ctx.user_id, ctx.now, "nudges", changes=changes)
    fresh = read_state(ctx)
    text = f"Nudges for *{bk.esc(fresh.school.name)}* changed: " + "; ".join(bk.esc(c) for c in changes)
    blocks = [bk.section(text), bk.section(settings_text(fresh, ctx.library))]
    if ref is not None:
        blocks.extend(_step_blocks(ctx, fresh, ref))
    else:
        nxt = _next_rows(ctx, fresh)
        blocks.append(bk.section("*Next nudges*\n" + ("\n".join(nxt) or "none planned")))
    return Result(text=_plain(text), blocks=bk.fit(blocks), public=True)


def _year_or_none(text: str) -> SchoolYear | None:
    if re.fullmatch(r"\s*\d{4}\s*", text):
        raise UserError(f"'{text.strip()}' is not a school year: write it like 2021-22 (`/scep remind 2021-22`), or name a step (`/scep remind visit 2`)")
    if not re.match(r"^\s*\d{4}\s*[-/–]\s*\d{2,4}\s*$", text):
        return None
    try:
        return SchoolYear.parse(text)
    except DateError as exc:
        raise UserError(str(exc)) from None


def _plain(text: str) -> str:
    return text.replace("*", "")


def _ledger(ctx: Ctx, state: SchoolState) -> dict[str, dict[str, Any]]:
    return ctx.store.view(state.school.school_id).all(LEDGER)


def _next_rows(ctx: Ctx, state: SchoolState) -> list[str]:
    ledger = _ledger(ctx, state)
    rows = []
    tz = state.school.tz
    for n in calendar(state, ctx.library, ctx.now):
        if n.status != "planned" or n.due_at < ctx.now or n.key in ledger:
            continue
        title = n.dated.step.title + (f" ({n.label.upper()})" if n.label in ("draft", "final") else "")
        rows.append(f":bell: {dates.fmt_local(n.due_at, tz)} · *{bk.esc(title)}* · {rule_name(n)}")
        if len(rows) >= SHOW_NEXT:
            break
    return rows


def _overview(ctx: Ctx, state: SchoolState) -> Result:
    name = bk.esc(state.school.name)
    rows = _next_rows(ctx, state)
    head = f"*Nudges for {name}*"
    blocks = [bk.section(head), bk.section(settings_text(state, ctx.library)),
              bk.section("*Next nudges*\n" + ("\n".join(rows) or "none planned"))]
    blocks.append(bk.context("Every nudge of the year: `/scep remind 2021-22` · one step: `/scep remind visit 2` · change: " + FORMS))
    return Result(text=_plain(head + "\n" + "\n".join(rows)), blocks=bk.fit(blocks))


def _whole_year(ctx: Ctx, state: SchoolState, year: SchoolYear | None) -> Result:
    rows = calendar_rows(state, ctx.library, ctx.now, year, _ledger(ctx, state))
    label = year.name if year else "the current cycles"
    head = f"*Every nudge for {bk.esc(state.school.name)}, {label}* ({len(rows)}, times in {state.school.tz})"
    if not rows:
        return Result(text=_plain(head) + ": none", blocks=[bk.section(head + "\nNo nudges: the school follows no dated cycle for that year.")])
    blocks = [bk.section(head)] + [bk.section("\n".join(rows[i : i + 15])) for i in range(0, len(rows), 15)]
    return Result(text=_plain(head + "\n" + "\n".join(rows)), blocks=bk.fit(blocks, "…more not shown: `scep-bot nudges --school NAME` prints them all"))


def _step_blocks(ctx: Ctx, state: SchoolState, ref: StepRef) -> list[dict[str, Any]]:
    rules, changed = effective_rules(ref.dated.cycle, ref.dated.step.id, school_policy(state.school))
    tz = state.school.tz
    ledger = _ledger(ctx, state)
    rows = []
    for n in calendar(state, ctx.library, ctx.now, ref.year):
        if n.dated.key != ref.key:
            continue
        status, detail = nudge_status(n, ledger, ctx.now, tz)
        rows.append(f"{STATUS_ICON.get(status, ':heavy_minus_sign:')} {dates.fmt_local(n.due_at, tz)} · {rule_name(n)} · {status}" + (f" ({bk.esc(detail)})" if detail else ""))
    d = ref.dated
    if d.deadlines:
        rule_line = f"before: {','.join(map(str, rules.before)) or 'off'} · morning-of: {'on' if rules.morning_of else 'off'} · overdue: {'on' if rules.overdue else 'off'}"
    else:
        rule_line = (f"opens: {'on' if rules.opens else 'off'} · midpoint: {'on' if rules.midpoint else 'off'} · closing: {rules.closing or 'off'} · "
                     f"day-before: {'on' if rules.day_before else 'off'} · notes-prompt: {'on' if rules.notes_prompt else 'off'} · overdue: {'on' if rules.overdue else 'off'}")
    rule_line += f" · escalate: {','.join(rules.escalate) or 'nobody'}" + ("" if rules.enabled else " · *off*")
    if changed:
        rule_line += f"\n_Changed for this school: {', '.join(changed)}_ (`/scep remind {bk.esc(d.step.label.lower())} reset` undoes)"
    waiting = ""
    if d.step.anchors and d.estimated:
        waiting = "\n:hourglass: No nudges until the school reports when it happens (" + ", ".join(bk.esc(d.cycle.anchors[a].hint or a) for a in d.waiting_for if a in d.cycle.anchors) + ")."
    head = f"*{bk.esc(d.step.title)}* · {d.cycle.title} {d.year}\n{rule_line}{waiting}"
    return [bk.section(head), bk.section("\n".join(rows) or "No nudges for this step this year.")]


def _step_view(ctx: Ctx, state: SchoolState, ref: StepRef) -> Result:
    blocks = _step_blocks(ctx, state, ref)
    return Result(text=_plain(blocks[0]["text"]["text"]), blocks=blocks)


def _district_holidays(ctx: Ctx, state: SchoolState, opts: dict[str, str]) -> str:
    if not (R.is_workspace_admin(ctx) or ctx.user_id in (state.school.roles.get("district") or [])):
        raise UserError("Only workspace admins and the district admin can change the district's holidays.")
    current, said = edit_holidays(district_entries_of(ctx.store.get_setting(DISTRICT_HOLIDAYS_SETTING, []), ctx.team_id),
                                  opts.get("district-holiday"), opts.get("district-unholiday"), "district", "the district's")
    ctx.store.update_setting(DISTRICT_HOLIDAYS_SETTING, lambda cur: with_district_entries(cur, ctx.team_id, current), {})
    with ctx.store.transaction(state.school.school_id) as tx:
        audit(tx, ctx.user_id, ctx.now, "district holidays", holidays=current)
    return "; ".join(said)

