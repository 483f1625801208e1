"""``/scep remind`` options: rule options (``closing:5``, ``before:10,3``, ``escalate:...``), the
nudge hour (``time:``), quiet weekdays (``quiet:``) and holidays (``holiday:``/``unholiday:``,
the school's or the district's), parsed into settings or refused with a UserError that shows
the right form.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from bot.calendar.cycles import MAX_NUDGE_DAYS, ROLES
from bot.core import blocks as bk
from bot.core.steps import StepRef
from bot.errors import UserError
from bot.nudges.rules import alias, validate_rules
from bot.nudges.school_days import WEEKDAYS, parse_holiday

RULE_KEYS = ("opens", "midpoint", "closing", "day-before", "notes-prompt", "before", "morning-of", "overdue", "escalate")
SCHOOL_KEYS = ("time", "quiet", "holiday", "unholiday", "district-holiday", "district-unholiday")
KEYS = RULE_KEYS + SCHOOL_KEYS
BOOL_WORDS = {"on": True, "yes": True, "true": True, "off": False, "no": False, "false": False, "none": False}
EARLIEST, LATEST = time(5, 0), time(21, 0)
FORMS = (
    "`/scep remind visit 2 closing:5 midpoint:off`, `/scep remind priority levers before:10,3`, "
    "`/scep remind all overdue:off`, `/scep remind visit 2 off`, `/scep remind time:08:30 quiet:fri`, "
    "`/scep remind holiday:2021-12-24..2022-01-02`"
)


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
        window_only = [alias(k) for k in out if k in ("opens", "midpoint", "closing", "day_before", "notes_prompt")]
        deadline_only = [alias(k) for k in out if k in ("before", "morning_of")]
        if d.deadlines and window_only:
            labels = "/".join(x.label.upper() for x in d.deadlines)
            raise UserError(f"{bk.esc(d.step.label)} has {labels} deadlines, not a window: its nudges are `before:`, `morning-of:`, `overdue:` (not {', '.join(window_only)})")
        if not d.deadlines and deadline_only:
            raise UserError(f"{bk.esc(d.step.label)} has a window, not deadlines: its nudges are `opens:`, `midpoint:`, `closing:`, `day-before:`, `notes-prompt:`, `overdue:` (not {', '.join(deadline_only)})")
    try:
        return validate_rules({alias(k): v for k, v in out.items()}) if out else {}
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
    return sorted(set(out), key=WEEKDAYS.index)


def parse_holiday_list(value: str) -> list[str]:
    out = []
    for part in [p for p in re.split(r"[,\s]+", value.strip()) if p]:
        try:
            first, last = parse_holiday(part)
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

