"""App Home as Block Kit (pure: the gathered ``HomeTab`` in, the ``views.publish`` view out).

For the person who opens it: their schools with the next item, the overdue count, checklist
progress and where plans stand, with buttons to open a checklist, pick a date or get the picture
of the year; 10 schools to a page. ``now`` is a UTC instant; dates are shown in each school's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.calendar import dates
from bot.core import blocks as bk
from bot.core import progress
from bot.core.schools import SchoolState
from bot.core.steps import schedulable
from bot.review.rules import status_text
from bot.timeline import badges

PAGE_SIZE = 10  # schools per page
PAGE_ACTION = "home_page"  # "Next"
PREV_ACTION = "home_page_prev"  # "Previous": Slack refuses two buttons with one action_id in a block
CHECKLIST_ACTION = "home_checklist"
PICTURE_ACTION = "home_picture"  # value: the school id (bot.home.picture uploads the PNG to the person's DM)


@dataclass(frozen=True)
class SchoolCard:
    """One school on the tab: its state, the person's roles in it, its next items, and the
    labels of its steps (by state key, ``2021-22:cycle/step``) for the plans' line."""

    state: SchoolState
    roles: list[str]
    items: list[progress.Item]
    step_labels: dict[str, str]


@dataclass(frozen=True)
class HomeTab:
    """Page ``page`` of ``pages`` of the schools listed for a person (``total``: the schools where
    they hold a role, ``mine``, then, for a workspace admin, every other school of the workspace)."""

    admin: bool
    mine: int
    total: int
    page: int
    pages: int
    cards: list[SchoolCard]
    now: datetime


def school_card(card: SchoolCard, now: datetime) -> list[dict[str, Any]]:
    state, items = card.state, card.items
    school = state.school
    tz = school.tz
    overdue = sum(1 for i in items if i.status == "overdue")
    you = f" · you: {', '.join(card.roles)}" if card.roles else ""
    head = f"*{bk.esc(school.name)}* · <#{school.channel_id}> · {school.model}{you}"
    lines = [head]
    if overdue:
        lines.append(f":red_circle: *{overdue} overdue*")
    if items:
        nxt = items[0]
        line = f"Next: {bk.STATUS_ICON.get(nxt.status, '')} {bk.esc(nxt.title)}: {bk.when_phrase(nxt, now, tz)}"
        if nxt.scheduled_at:
            line += f" · :calendar: {dates.fmt_local(nxt.scheduled_at, tz)}"
        line += badges.suffix(state, nxt, checklist_always=True)
        lines.append(line)
    else:
        lines.append("Nothing open or coming.")
    plans = []
    for key, doc in sorted(state.steps.items()):
        text = status_text(doc, tz)
        if text and (doc.get("review") or {}).get("status") != "approved":
            plans.append(f"{bk.esc(card.step_labels.get(key, key))}: {text}")
    if plans:
        lines.append("Plans: " + "; ".join(plans[:3]) + (f" and {len(plans) - 3} more" if len(plans) > 3 else ""))
    blocks: list[dict[str, Any]] = [bk.section("\n".join(lines))]
    buttons = []
    if items:
        key = f"{items[0].dated.year.name}:{items[0].dated.key}"
        buttons.append(bk.button(f"Checklist: {items[0].dated.step.label}", CHECKLIST_ACTION, f"{school.school_id}|{key}"))
    to_schedule = next((i for i in items if schedulable(i.dated) and not i.scheduled_at and "done" != i.status
                        and i.status in ("open", "upcoming", "waiting", "overdue")), None)
    if to_schedule is not None:
        key = f"{to_schedule.dated.year.name}:{to_schedule.dated.key}"
        buttons.append(bk.button(f"Schedule {to_schedule.dated.step.label}", "sched_open", f"{school.school_id}|{key}"))
    buttons.append(bk.button("Picture of the year", PICTURE_ACTION, school.school_id))
    blocks.append(bk.actions(*buttons, block_id=f"home|{school.school_id}"))
    return blocks


def home_view(tab: HomeTab) -> dict[str, Any]:
    """The Home tab (``views.publish``); the "as of" time in the first school's zone."""
    blocks: list[dict[str, Any]] = [bk.header("Your schools" if not tab.admin else "Schools")]
    if not tab.total:
        blocks.append(bk.section(
            "You don't hold a role in any school yet. In a school's channel, its liaison adds people with "
            "`/scep roles team:@you`; a new school starts with `/scep setup &lt;school name&gt;`."
        ))
        return {"type": "home", "blocks": blocks}
    page, pages = tab.page, tab.pages
    count = f"{tab.mine} school{'s' if tab.mine != 1 else ''} where you hold a role"
    if tab.admin:
        count += f" · {tab.total} in the workspace (you're an admin)"
    tz = next((c.state.school.tz for c in tab.cards if c.state.school.tz), None)
    cards: list[dict[str, Any]] = []
    for card in tab.cards:
        cards.append(bk.divider())
        cards.extend(school_card(card, tab.now))
    stamp = f" · as of {dates.fmt_local(tab.now, tz or dates.DEFAULT_TZ)}"
    blocks.append(bk.context(count + (f" · page {page} of {pages}" if pages > 1 else "") + stamp))
    blocks.extend(cards)
    nav = []
    if page > 1:
        nav.append(bk.button("◀ Previous", PREV_ACTION, str(page - 1)))
    if page < pages:
        nav.append(bk.button("Next ▶", PAGE_ACTION, str(page + 1)))
    if nav:
        blocks.append(bk.actions(*nav, block_id="home_nav"))
    return {"type": "home", "blocks": blocks[:100]}
