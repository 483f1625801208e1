"""Block Kit built by pure functions, each with a plain-text fallback.

Text that came from people (school names, notes, commitments) goes through ``esc`` so that
``<!channel>`` or ``<@U123>`` typed by a user is shown, never acted on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.calendar import dates

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000

STATUS_ICON = {
    "overdue": ":red_circle:",
    "open": ":large_green_circle:",
    "upcoming": ":white_circle:",
    "waiting": ":hourglass_flowing_sand:",
    "done": ":white_check_mark:",
    "passed": ":black_small_square:",
    "undated": ":grey_question:",
    "untracked": ":heavy_minus_sign:",
}


def esc(text: Any) -> str:
    """Escape user text for mrkdwn: ``&``, ``<`` and ``>`` (Slack's control characters)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int = MAX_SECTION_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}, **extra}


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(t, 2000)} for t in texts[:10] if t]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, 150), "emoji": True}}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", style: str | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": clip(text, 75)}, "action_id": action_id}
    if value:
        b["value"] = value[:2000]
    if style:
        b["style"] = style
    return b


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def fit(blocks: list[dict[str, Any]], more_text: str = "") -> list[dict[str, Any]]:
    """Keep a message within Slack's 50-block limit, saying what was left out."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    kept = blocks[: MAX_BLOCKS - 1]
    left = len(blocks) - len(kept)
    kept.append(context(more_text or f"…and {left} more blocks not shown"))
    return kept


def when_phrase(item, now: datetime, tz: str) -> str:
    """The dates of an item in the school's zone with the days left, as a person says them."""
    d = item.dated
    status = item.status
    if status == "waiting":
        typical = ""
        if d.opens_at and d.closes_at:
            typical = f" (typically {dates.fmt_local(d.opens_at, tz, with_time=False)} – {dates.fmt_local(d.closes_at, tz, with_time=False)})"
        return "waiting" + typical + d.window_note()
    if status == "undated":
        return esc(d.step.undated or "no date given")
    if status == "untracked":
        when = f"due {dates.fmt_local(item.at, tz)}" if item.label else "window " + " – ".join(
            dates.fmt_local(p, tz, with_time=False) for p in (d.opens_at, d.closes_at) if p)
        return f"{when}: closed before tracking began"
    if status == "overdue" and not item.label and d.waiting_for and item.at:
        # an event-anchored step whose dates were never reported: the typical window has passed
        days = dates.days_between(now, item.at, tz)
        never = " and ".join(esc(d.cycle.anchors[a].title) if a in d.cycle.anchors else a for a in d.waiting_for)
        return f"typical window closed {dates.fmt_local(item.at, tz, with_time=False)} ({dates.days_phrase(days)}), *overdue*: never reported: {never}"
    if item.label:  # a deadline
        days = dates.days_between(now, item.at, tz)
        moved = next((dl.moved_note() for dl in d.deadlines if dl.label == item.label), "")
        default = next((dl.default_note() for dl in d.deadlines if dl.label == item.label), "")
        base = f"due {dates.fmt_local(item.at, tz)}{moved}{esc(default)}"
        if status == "overdue":
            return f"{base}, *overdue* ({'today' if days == 0 else dates.days_phrase(days)})"
        if status in ("done", "passed"):
            return base
        return f"{base} ({dates.days_phrase(days)})"
    opens, closes = d.opens_at, d.closes_at
    if status == "open" and closes and now > closes and item.scheduled_at:  # a late date the step allows
        return (f"scheduled after the window: {esc(d.step.late_allowed)} (window closed {dates.fmt_local(closes, tz, with_time=False)}; "
                f"scheduled {dates.fmt_local(item.scheduled_at, tz)})")
    if status == "open":
        if closes is None:
            return "window open now"
        days = dates.days_between(now, closes, tz)
        left = "closes today" if days == 0 else f"{dates.plural(days, 'day')} left"
        return f"window open until {dates.fmt_local(closes, tz, with_time=False)} ({left}){esc(d.window_note())}"
    if status == "upcoming":
        days = dates.days_between(now, opens, tz)
        rng = f"{dates.fmt_local(opens, tz, with_time=False)} – {dates.fmt_local(closes, tz, with_time=False)}" if closes else dates.fmt_local(opens, tz, with_time=False)
        return f"window {rng} (opens {dates.days_phrase(days)}){esc(d.window_note())}"
    rng = " – ".join(dates.fmt_local(p, tz, with_time=False) for p in (opens, closes) if p)
    if status == "overdue":
        days = dates.days_between(now, closes, tz)
        return f"window {rng} closed {dates.days_phrase(days)}, *not marked done*"
    return f"window {rng}{esc(d.window_note())}".strip()
