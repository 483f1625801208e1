"""``/scep remind``: a school's nudge calendar and its settings; the nudge buttons' core.

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
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from bot.calendar import dates
from bot.calendar.cycles import MAX_NUDGE_DAYS, ROLES
from bot.calendar.dates import DateError, SchoolYear
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import option_args, subcommand
from bot.core.context import Ctx
from bot.core.metadata import NudgeButton
from bot.core.result import Result
from bot.core.schools import School, SchoolState
from bot.core.steps import StepRef, audit, may_mark_done, resolve
from bot.errors import UserError
from bot.nudges import nudges
from bot.store.schema import DISTRICT_HOLIDAYS_SETTING, LEDGER, POLICY_KEY, PROFILE

RULE_KEYS = ("opens", "midpoint", "closing", "day-before", "notes-prompt", "before", "morning-of", "overdue", "escalate")
SCHOOL_KEYS = ("time", "quiet", "holiday", "unholiday", "district-holiday", "district-unholiday")
KEYS = RULE_KEYS + SCHOOL_KEYS
BOOL_WORDS = {"on": True, "yes": True, "true": True, "off": False, "no": False, "false": False, "none": False}
SHOW_NEXT = 15
EARLIEST, LATEST = time(5, 0), time(21, 0)
FORMS = (
    "`/scep remind visit 2 closing:5 midpoint:off`, `/scep remind priority levers before:10,3`, "
    "`/scep remind all overdue:off`, `/scep remind visit 2 off`, `/scep remind time:08:30 quiet:fri`, "
    "`/scep remind holiday:2021-12-24..2022-01-02`"
)
STATUS_ICON = {"sent": ":white_check_mark:", "planned": ":bell:", "due": ":bell:", "skipped": ":fast_forward:", "failed": ":x:",
               "retry": ":repeat:", "claimed": ":hourglass:"}


# ---------------------------------------------------------------- reading


def read_state(ctx: Ctx) -> SchoolState:
    state = ctx.state()
    return nudges.attach_district(state, ctx.store.get_setting(DISTRICT_HOLIDAYS_SETTING, []))


def nudge_status(n: nudges.Nudge, ledger: dict[str, dict[str, Any]], now: datetime, tz: str = "UTC") -> tuple[str, str]:
    """(status, detail) of a calendar nudge joined with the ledger: sent, skipped, failed, retry,
    claimed, due (not swept yet), planned, or why it will not be sent."""
    doc = ledger.get(n.key)
    if doc:
        state = doc.get("state", "?")
        detail = doc.get("reason") or ""
        if state in ("sent", "skipped", "failed", "retry") and doc.get("at"):
            detail = f"{dates.fmt_local(dates.parse_instant(doc['at']), tz)}" + (f": {detail}" if detail else "")
        return state, detail
    if n.status != "planned":
        return "not sent", n.status
    if n.due_at > now:
        return "planned", ""
    if n.expires_at is not None and now > n.expires_at:
        return "not sent", "no sweep ran while it meant something"
    return "due", "the next sweep sends it"


def _rule_name(n: nudges.Nudge) -> str:
    names = {"opens": "window opens", "midpoint": "midpoint, if unscheduled", "closing": "before the window closes", "day-before": "day before the visit",
             "notes-prompt": "notes prompt", "overdue": "overdue", "escalation": "overdue, DM to " + "/".join(n.roles), "morning-of": "morning of",
             "snoozed": "snoozed reminder"}
    if n.rule.startswith("before-"):
        return f"{n.rule.split('-')[1]} days before"
    return names.get(n.rule, n.rule)


def calendar_rows(state: SchoolState, library, now: datetime, year: SchoolYear | None, ledger: dict[str, dict[str, Any]], *, plain: bool = False) -> list[str]:
    """One line per nudge of the school's calendar, in the school's local time."""
    tz = state.school.tz
    rows = []
    for n in nudges.calendar(state, library, now, year):
        status, detail = nudge_status(n, ledger, now, tz)
        title = n.dated.step.title + (f" ({n.label.upper()})" if n.label in ("draft", "final") else "")
        when = dates.fmt_local(n.due_at, tz)
        extra = f" ({detail})" if detail else ""
        if plain:
            rows.append(f"{when:<32} {n.dated.year}  {title[:44]:<44} {_rule_name(n):<28} {status}{extra}")
        else:
            icon = STATUS_ICON.get(status, ":heavy_minus_sign:")
            rows.append(f"{icon} {when} · *{bk.esc(title)}* · {_rule_name(n)} · {status}{bk.esc(extra)}")
    return rows


def settings_text(state: SchoolState, library) -> str:
    school = state.school
    pol = nudges.school_policy(school)
    days = nudges.school_days(school)
    quiet = ", ".join(nudges.WEEKDAYS[d] for d in sorted(days.quiet))
    hol = ", ".join(bk.esc(h) for h in school.holidays) or "none"
    district = ", ".join(bk.esc(h) for h in (school.extra.get(nudges.DISTRICT_KEY) or {}).get("holidays") or []) or "none"
    lines = [
        f"Nudges: {'*off* for this school (`/scep remind on`)' if pol.get('enabled') is False else 'on'} · at {days.at:%H:%M} {school.tz} · quiet days: {quiet}",
        f"School holidays: {hol} · district holidays: {district}",
    ]
    if pol.get("all"):
        lines.append("All steps: " + _rules_text(pol["all"]))
    for key, rules in sorted((pol.get("steps") or {}).items()):
        lines.append(f"`{bk.esc(key)}`: " + _rules_text(rules))
    return "\n".join(lines)


def _rules_text(rules: dict[str, Any]) -> str:
    out = []
    for k, v in rules.items():
        name = nudges.alias(k)
        if isinstance(v, bool):
            out.append(f"{name}:{'on' if v else 'off'}")
        elif isinstance(v, list):
            out.append(f"{name}:{','.join(str(x) for x in v) or 'off'}")
        else:
            out.append(f"{name}:{v}")
    return " ".join(out)


# ---------------------------------------------------------------- the command


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
        pol = dict(nudges.school_policy(school))
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
                changes.append("every step: " + _rules_text(rules))
            else:
                steps = dict(pol.get("steps") or {})
                steps[ref.key] = {**steps.get(ref.key, {}), **rules}
                pol["steps"] = steps
                changes.append(f"{ref.dated.step.label}: " + _rules_text(rules))
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
        school.extra.pop(nudges.DISTRICT_KEY, None)
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
    for n in nudges.calendar(state, ctx.library, ctx.now):
        if n.status != "planned" or n.due_at < ctx.now or n.key in ledger:
            continue
        title = n.dated.step.title + (f" ({n.label.upper()})" if n.label in ("draft", "final") else "")
        rows.append(f":bell: {dates.fmt_local(n.due_at, tz)} · *{bk.esc(title)}* · {_rule_name(n)}")
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
    rules, changed = nudges.effective_rules(ref.dated.cycle, ref.dated.step.id, nudges.school_policy(state.school))
    tz = state.school.tz
    ledger = _ledger(ctx, state)
    rows = []
    for n in nudges.calendar(state, ctx.library, ctx.now, ref.year):
        if n.dated.key != ref.key:
            continue
        status, detail = nudge_status(n, ledger, ctx.now, tz)
        rows.append(f"{STATUS_ICON.get(status, ':heavy_minus_sign:')} {dates.fmt_local(n.due_at, tz)} · {_rule_name(n)} · {status}" + (f" ({bk.esc(detail)})" if detail else ""))
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


# ---------------------------------------------------------------- parsing


def parse_bool(key: str, value: str) -> bool:
    v = value.strip().lower()
    if v not in BOOL_WORDS:
        raise UserError(f"`{key}:` is on or off, like `{key}:off` (not '{bk.esc(value)}')")
    return BOOL_WORDS[v]


def parse_days(key: str, value: str, *, many: bool) -> Any:
    v = value.strip().lower()
    if v in ("off", "none", "no", "false", "0"):
        return [] if many else 0
    parts = [p for p in re.split(r"[,\s]+", v) if p]
    form = f"`{key}:14,7,2`" if many else f"`{key}:3`"
    if not parts or (not many and len(parts) > 1):
        raise UserError(f"`{key}:` takes {'days, like ' if many else 'a number of days, like '}{form} (whole days from 1 to {MAX_NUDGE_DAYS}, or `off`)")
    out = []
    for p in parts:
        if not re.fullmatch(r"-?\d+", p):
            raise UserError(f"'{bk.esc(p)}' is not a number of days: write {form} (whole days from 1 to {MAX_NUDGE_DAYS}, or `{key}:off`)")
        n = int(p)
        if not 1 <= n <= MAX_NUDGE_DAYS:
            raise UserError(f"{n} days is out of range for `{key}:`: use whole days from 1 to {MAX_NUDGE_DAYS}, like {form} (or `{key}:off`)")
        out.append(n)
    return sorted(set(out), reverse=True) if many else out[0]


def parse_rules(opts: dict[str, str], ref: StepRef | None) -> dict[str, Any]:
    """``key:value`` rule options -> NudgeRules fields (Python names), or a UserError."""
    out: dict[str, Any] = {}
    for key, value in opts.items():
        name = key.replace("-", "_")
        if key == "before":
            out[name] = parse_days(key, value, many=True)
        elif key == "closing":
            out[name] = parse_days(key, value, many=False)
        elif key == "escalate":
            v = value.strip().lower()
            roles = [] if v in ("none", "off", "nobody") else [r for r in re.split(r"[,\s]+", v) if r]
            bad = [r for r in roles if r not in ROLES]
            if bad:
                raise UserError(f"'{bk.esc(', '.join(bad))}' {'is' if len(bad) == 1 else 'are'} not a role: escalate to {', '.join(ROLES)}, like `escalate:liaison,district` (or `escalate:none`)")
            out[name] = roles
        else:
            out[name] = parse_bool(key, value)
    if ref is not None and out:
        d = ref.dated
        window_only = [nudges.alias(k) for k in out if k in ("opens", "midpoint", "closing", "day_before", "notes_prompt")]
        deadline_only = [nudges.alias(k) for k in out if k in ("before", "morning_of")]
        if d.deadlines and window_only:
            labels = "/".join(x.label.upper() for x in d.deadlines)
            raise UserError(f"{bk.esc(d.step.label)} has {labels} deadlines, not a window: its nudges are `before:`, `morning-of:`, `overdue:` (not {', '.join(window_only)})")
        if not d.deadlines and deadline_only:
            raise UserError(f"{bk.esc(d.step.label)} has a window, not deadlines: its nudges are `opens:`, `midpoint:`, `closing:`, `day-before:`, `notes-prompt:`, `overdue:` (not {', '.join(deadline_only)})")
    try:
        return nudges.validate_rules({nudges.alias(k): v for k, v in out.items()}) if out else {}
    except Exception as exc:  # pydantic: the same checks as the cycle files
        raise UserError(f"Those rules don't work: {exc}. For example: {FORMS}") from None


def parse_time(value: str) -> time:
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", value.strip().lower())
    if not m:
        raise UserError(f"'{bk.esc(value)}' is not a time: write `time:09:00` (24-hour, between {EARLIEST:%H:%M} and {LATEST:%H:%M})")
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3) == "pm" and hour < 12:
        hour += 12
    if m.group(3) == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise UserError(f"'{bk.esc(value)}' is not a time: write `time:09:00` (24-hour, between {EARLIEST:%H:%M} and {LATEST:%H:%M})")
    at = time(hour, minute)
    if not EARLIEST <= at <= LATEST:
        raise UserError(f"{at:%H:%M} is outside school hours: nudges go out between {EARLIEST:%H:%M} and {LATEST:%H:%M}, like `time:09:00`")
    return at


_DAY_NAMES = {"mon": "mon", "monday": "mon", "tue": "tue", "tues": "tue", "tuesday": "tue", "wed": "wed", "wednesday": "wed",
              "thu": "thu", "thur": "thu", "thurs": "thu", "thursday": "thu", "fri": "fri", "friday": "fri"}


def parse_quiet(value: str) -> list[str]:
    v = value.strip().lower()
    if v in ("none", "off", "-"):
        return []
    out = []
    for part in [p for p in re.split(r"[,\s]+", v) if p]:
        if part in ("sat", "saturday", "sun", "sunday"):
            continue  # always quiet
        if part not in _DAY_NAMES:
            raise UserError(f"'{bk.esc(part)}' is not a weekday: quiet days are mon, tue, wed, thu, fri (Saturday and Sunday are always quiet), like `quiet:fri` or `quiet:none`")
        out.append(_DAY_NAMES[part])
    if len(set(out)) >= 5:
        raise UserError("That leaves no school day for nudges: keep at least one weekday, or turn nudges off with `/scep remind off`")
    return sorted(set(out), key=nudges.WEEKDAYS.index)


def parse_holiday_list(value: str) -> list[str]:
    out = []
    for part in [p for p in re.split(r"[,\s]+", value.strip()) if p]:
        try:
            first, last = nudges.parse_holiday(part)
        except ValueError as exc:
            raise UserError(bk.esc(str(exc))) from None
        out.append(first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}")
    if not out:
        raise UserError("Give a date like `holiday:2021-11-25` or a range like `holiday:2021-12-24..2022-01-02`")
    return out


def edit_holidays(current: list[str], add: str | None, remove: str | None, who: str, whose: str) -> tuple[list[str], list[str]]:
    """Holidays after ``holiday:`` (add; ``none`` clears) and ``unholiday:`` (remove), and what
    changed in words. ``who``/``whose`` name the owner in messages ("school", "this school's")."""
    said: list[str] = []
    if add is not None:
        value = add.strip().lower()
        if value in ("none", "-"):
            current = []
            said.append(f"no {who} holidays")
        else:
            added = parse_holiday_list(value)
            current = sorted(set(current) | set(added))
            said.append(f"{who} holidays: + " + ", ".join(added))
    if remove is not None:
        gone = parse_holiday_list(remove)
        missing = [g for g in gone if g not in current]
        if missing:
            raise UserError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not among {whose} holidays ({', '.join(current) or 'none'}): remove one exactly as listed")
        current = [h for h in current if h not in gone]
        said.append(f"{who} holidays: − " + ", ".join(gone))
    return current, said


def _district_holidays(ctx: Ctx, state: SchoolState, opts: dict[str, str]) -> str:
    if not (R.is_workspace_admin(ctx) or ctx.user_id in (state.school.roles.get("district") or [])):
        raise UserError("Only workspace admins and the district admin can change the district's holidays.")
    current, said = edit_holidays(list(ctx.store.get_setting(DISTRICT_HOLIDAYS_SETTING, []) or []),
                                  opts.get("district-holiday"), opts.get("district-unholiday"), "district", "the district's")
    ctx.store.set_setting(DISTRICT_HOLIDAYS_SETTING, current)
    with ctx.store.transaction(state.school.school_id) as tx:
        audit(tx, ctx.user_id, ctx.now, "district holidays", holidays=current)
    return "; ".join(said)


# ---------------------------------------------------------------- buttons


def _button_target(ctx: Ctx, value: str):
    """(school state, step, label, rule) of a nudge's button (value ``NudgeButton``)."""
    button = NudgeButton.decode(value)
    if button is None:
        raise UserError("That button is from an older message I can't read any more: use `/scep next` in the school's channel.")
    state = SchoolState.read(ctx.store.view(button.school_id)) if button.school_id in ctx.store.school_ids() else None
    if state is None:
        raise UserError("That school is no longer tracked here.")
    dated = nudges.find_dated(state, ctx.library, button.year, button.cycle_id, button.step_id)
    if dated is None:
        raise UserError("That step is no longer in the school's cycles (`/scep timeline` shows them).")
    return state, StepRef(dated), button.label, button.rule


def _without_buttons(blocks: list[dict[str, Any]] | None, drop: tuple[str, ...], value: str) -> list[dict[str, Any]]:
    """The message's blocks without the ``drop`` buttons of the nudge whose button value is
    ``value`` (other nudges in the same message keep theirs)."""
    about = NudgeButton.decode(value)
    out = []
    for b in blocks or []:
        # a nudge message has sections, context lines and buttons: anything else in what the click
        # sent back is not the bot's, and is not sent to Slack again
        if not isinstance(b, dict) or b.get("type") not in ("section", "context", "divider", "header", "actions"):
            continue
        if b.get("type") == "actions":
            kept = [e for e in b.get("elements") or [] if isinstance(e, dict) and e.get("type") == "button"
                    and not (e.get("action_id") in drop and about is not None and about.same_nudge(NudgeButton.decode(e.get("value"))))]
            if not kept:
                continue
            b = {**b, "elements": kept}
        out.append(b)
    return out


def button_done(ctx: Ctx, value: str, message: dict[str, Any] | None) -> Result:
    """Mark done from a nudge: the step (or its DRAFT/FINAL/due deadline) is marked done through
    the one "mark done" use case, and the message loses its Mark done and Snooze buttons."""
    state, ref, label, _ = _button_target(ctx, value)
    marker = may_mark_done(ctx, state)
    title = bk.esc(ref.dated.step.title + (f" ({label.upper()})" if label in ("draft", "final") else ""))
    done = marker.mark(ref, label, unless_done=True)
    if done.label is None:  # it was done already: nothing written
        by = next((v for k, v in done.before.items() if label in (None, k) or (label == "draft" and k == "final")), {})
        who = f" by <@{by['by']}>" if str(by.get("by", "")).startswith(("U", "W")) else ""
        when = f" on {dates.fmt_local(dates.parse_instant(by['at']), state.school.tz, with_time=False)}" if by.get("at") else ""
        raise UserError(f"*{title}* is already marked done{who}{when}.")
    note = f":white_check_mark: *{title}* marked done by <@{ctx.user_id}> · {dates.fmt_local(ctx.now, state.school.tz)}. Its remaining nudges are cancelled."
    blocks = _without_buttons((message or {}).get("blocks"), ("nudge_done", "nudge_snooze"), value) + [bk.context(note)]
    return Result(text=_plain(note), blocks=blocks, public=True)


def button_snooze(ctx: Ctx, value: str, message: dict[str, Any] | None) -> Result:
    """Snooze from a nudge: its reminders wait two days and come back once, at the nudge hour."""
    state, ref, label, rule = _button_target(ctx, value)
    R.require(ctx, state.school, "act")
    title = bk.esc(ref.dated.step.title + (f" ({label.upper()})" if label in ("draft", "final") else ""))
    if nudges.is_done(state, ref.dated, label):
        raise UserError(f"*{title}* is already marked done: there is nothing to snooze.")
    with ctx.store.transaction(state.school.school_id) as tx:
        until = nudges.snooze(tx, ref.dated, label, rule, state.school, ctx.user_id, ctx.now)
    note = f":zzz: Snoozed by <@{ctx.user_id}>: I'll remind you again {dates.fmt_local(until, state.school.tz)}."
    blocks = _without_buttons((message or {}).get("blocks"), ("nudge_snooze",), value) + [bk.context(note)]
    return Result(text=_plain(note), blocks=blocks, public=True)
