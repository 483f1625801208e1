"""``/scep remind``'s views: the rows of a school's nudge calendar joined with its ledger (what
was sent, skipped, failed, what is planned) and the text of the school's nudge settings. Pure:
state, calendars and ledger in, mrkdwn (or plain text for the CLI) out; times in the school's zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.calendar import dates
from bot.calendar.dates import SchoolYear
from bot.core import blocks as bk
from bot.core.schools import SchoolState
from bot.nudges.planning import Nudge, calendar
from bot.nudges.rules import alias
from bot.nudges.school_days import DISTRICT_KEY, WEEKDAYS, school_days, school_policy

STATUS_ICON = {"sent": ":white_check_mark:", "planned": ":bell:", "due": ":bell:", "skipped": ":fast_forward:", "failed": ":x:",
               "retry": ":repeat:", "claimed": ":hourglass:"}


def nudge_status(n: Nudge, ledger: dict[str, dict[str, Any]], now: datetime, tz: str = "UTC") -> tuple[str, str]:
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


def rule_name(n: Nudge) -> str:
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
    for n in calendar(state, library, now, year):
        status, detail = nudge_status(n, ledger, now, tz)
        title = n.dated.step.title + (f" ({n.label.upper()})" if n.label in ("draft", "final") else "")
        when = dates.fmt_local(n.due_at, tz)
        extra = f" ({detail})" if detail else ""
        if plain:
            rows.append(f"{when:<32} {n.dated.year}  {title[:44]:<44} {rule_name(n):<28} {status}{extra}")
        else:
            icon = STATUS_ICON.get(status, ":heavy_minus_sign:")
            rows.append(f"{icon} {when} · *{bk.esc(title)}* · {rule_name(n)} · {status}{bk.esc(extra)}")
    return rows


def settings_text(state: SchoolState, library) -> str:
    school = state.school
    pol = school_policy(school)
    days = school_days(school)
    quiet = ", ".join(WEEKDAYS[d] for d in sorted(days.quiet))
    hol = ", ".join(bk.esc(h) for h in school.holidays) or "none"
    district = ", ".join(bk.esc(h) for h in (school.extra.get(DISTRICT_KEY) or {}).get("holidays") or []) or "none"
    lines = [
        f"Nudges: {'*off* for this school (`/scep remind on`)' if pol.get('enabled') is False else 'on'} · at {days.at:%H:%M} {school.tz} · quiet days: {quiet}",
        f"School holidays: {hol} · district holidays: {district}",
    ]
    if pol.get("all"):
        lines.append("All steps: " + rules_text(pol["all"]))
    for key, rules in sorted((pol.get("steps") or {}).items()):
        lines.append(f"`{bk.esc(key)}`: " + rules_text(rules))
    return "\n".join(lines)


def rules_text(rules: dict[str, Any]) -> str:
    out = []
    for k, v in rules.items():
        name = alias(k)
        if isinstance(v, bool):
            out.append(f"{name}:{'on' if v else 'off'}")
        elif isinstance(v, list):
            out.append(f"{name}:{','.join(str(x) for x in v) or 'off'}")
        else:
            out.append(f"{name}:{v}")
    return " ".join(out)

