"""How ``/scep next`` and ``/scep timeline`` show a school's items (pure: data in, messages out).

``now`` is a UTC instant; dates are shown in the school's time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.calendar import dates
from bot.calendar.cycles import Cycle
from bot.calendar.dates import SchoolYear
from bot.core import blocks as bk
from bot.core import progress
from bot.core.result import Result
from bot.core.schools import SchoolState
from bot.timeline import badges

PICTURE_ACTION = "timeline_picture"  # the button under /scep timeline: value "" or a school year like 2021-22


def owner_text(state: SchoolState, role: str) -> str:
    """``liaison <@U1> <@U2>``: a step's owner role and who holds it in this school."""
    people = state.school.roles.get(role) or []
    return role + (" " + " ".join(f"<@{u}>" for u in people) if people else "")


def item_blocks(item: progress.Item, state: SchoolState, now: datetime, *, detail: bool = True) -> list[dict[str, Any]]:
    """One item: status, when, badges, what it waits for; with ``detail`` its purpose, owner and what to bring."""
    tz = state.school.tz
    step = item.dated.step
    icon = bk.STATUS_ICON.get(item.status, "")
    line = f"{icon} *{bk.esc(item.title)}*: {bk.when_phrase(item, now, tz)}" + badges.suffix(state, item, checklist_always=detail)
    if item.scheduled_at:
        line += f"\n:calendar: scheduled for {dates.fmt_local(item.scheduled_at, tz)}"
    if item.status == "waiting":
        cycle = item.dated.cycle
        waits = []
        for a in item.dated.waiting_for:
            ad = cycle.anchors.get(a)
            waits.append(f"{bk.esc(ad.title)}" + (f" (tell me: `{bk.esc(ad.hint)}`)" if ad and ad.hint else "") if ad else a)
        line += "\n:hourglass: waiting for " + "; and ".join(waits)
    if detail and step.purpose:
        line += f"\n{bk.esc(step.purpose)}"
    out = [bk.section(line)]
    if detail:
        ctx_bits = [f"Owner: {owner_text(state, step.owner)}", f"{item.dated.cycle.title} {item.dated.year}"]
        if step.bring:
            ctx_bits.append("Bring: " + "; ".join(bk.esc(b) for b in step.bring))
        out.append(bk.context(" · ".join(ctx_bits)))
    return out


def item_text(item: progress.Item, now: datetime, tz: str) -> str:
    """One item as a plain-text line (the message's ``text`` fallback)."""
    return f"[{item.status}] {item.title}: {bk.when_phrase(item, now, tz)}".replace("*", "")


def next_reply(state: SchoolState, items: list[progress.Item], now: datetime) -> Result:
    """The answer to ``/scep next``: ``items`` in order, each with its details."""
    tz = state.school.tz
    head = f"Next for {bk.esc(state.school.name)} · {dates.fmt_local(now, tz)}"
    if not items:
        msg = f"{head}\nNothing open, due or coming in the school's cycles. `/scep timeline` shows the whole year."
        return Result(text=msg, blocks=[bk.section(msg)])
    blocks: list[dict[str, Any]] = [bk.section(f"*{head}*")]
    for item in items:
        blocks.extend(item_blocks(item, state, now))
    text = head + "\n" + "\n".join(item_text(i, now, tz) for i in items)
    return Result(text=text, blocks=bk.fit(blocks))


def timeline_reply(state: SchoolState, cycles: list[tuple[Cycle, SchoolYear, list[progress.Item]]], now: datetime) -> Result:
    """The answer to ``/scep timeline``: per cycle and school year, every item with its status."""
    tz = state.school.tz
    blocks: list[dict[str, Any]] = []
    lines = []
    for cycle, y, items in cycles:
        blocks.append(bk.header(f"{cycle.title} · {y}"))
        lines.append(f"{cycle.title} · {y}")
        rows = []
        for item in items:
            icon = bk.STATUS_ICON.get(item.status, "")
            row = f"{icon} *{bk.esc(item.title)}* · {item.status} · {bk.when_phrase(item, now, tz)}" + badges.suffix(state, item)
            if item.scheduled_at:
                row += f" · scheduled {dates.fmt_local(item.scheduled_at, tz)}"
            rows.append(row)
            lines.append("  " + item_text(item, now, tz))
        for i in range(0, len(rows), 8):
            blocks.append(bk.section("\n".join(rows[i : i + 8])))
    if not blocks:
        return Result(text="This school follows no cycles: `/scep setup cycles:&lt;id&gt;`; see `/scep cycles`.")
    text = f"Timeline for {bk.esc(state.school.name)}\n" + "\n".join(lines)
    years = sorted({y.name for _c, y, _i in cycles})
    picture = bk.actions(bk.button("Picture of the year", PICTURE_ACTION, years[0] if len(years) == 1 else ""))
    shown = bk.fit([bk.section(f"*Timeline for {bk.esc(state.school.name)}*"), *blocks])
    if len(shown) >= bk.MAX_BLOCKS:  # room for the button; keep the "…more" line fit() ends with
        shown = shown[: bk.MAX_BLOCKS - 2] + shown[-1:]
    return Result(text=text, blocks=[*shown, picture])
