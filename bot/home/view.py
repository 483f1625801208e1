"""App Home: for the person who opens it, their schools with the next item, the overdue count,
checklist progress and where plans stand, with buttons to open a checklist or pick a date.

A school is "theirs" when they hold any role in it (liaison, principal, team, reviewer,
district). A workspace admin sees every school of the workspace, theirs first, 10 to a page.
"""

from __future__ import annotations

from typing import Any

from bot.calendar import dates
from bot.core import blocks as bk
from bot.core import progress
from bot.core.context import Ctx
from bot.core.permissions import is_workspace_admin
from bot.core.schools import SchoolState
from bot.core.steps import schedulable
from bot.review import review
from bot.schools.membership import all_schools, schools_of
from bot.timeline import badges

PAGE_SIZE = 10
PAGE_ACTION = "home_page"  # "Next"
PREV_ACTION = "home_page_prev"  # "Previous": Slack refuses two buttons with one action_id in a block
CHECKLIST_ACTION = "home_checklist"

def school_card(ctx: Ctx, state: SchoolState, roles: list[str]) -> list[dict[str, Any]]:
    school = state.school
    tz = school.tz
    items = progress.next_items(state, ctx.library, ctx.now, 40)
    overdue = sum(1 for i in items if i.status == "overdue")
    you = f" · you: {', '.join(roles)}" if roles else ""
    head = f"*{bk.esc(school.name)}* · <#{school.channel_id}> · {school.model}{you}"
    lines = [head]
    if overdue:
        lines.append(f":red_circle: *{overdue} overdue*")
    if items:
        nxt = items[0]
        line = f"Next: {bk.STATUS_ICON.get(nxt.status, '')} {bk.esc(nxt.title)}: {bk.when_phrase(nxt, ctx.now, tz)}"
        if nxt.scheduled_at:
            line += f" · :calendar: {dates.fmt_local(nxt.scheduled_at, tz)}"
        line += badges.suffix(state, nxt, checklist_always=True)
        lines.append(line)
    else:
        lines.append("Nothing open or coming.")
    plans = []
    for key, doc in sorted(state.steps.items()):
        text = review.status_text(doc, tz)
        if text and (doc.get("review") or {}).get("status") != "approved":
            step = _step_title(ctx, key)
            plans.append(f"{bk.esc(step)}: {text}")
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
    if buttons:
        blocks.append(bk.actions(*buttons, block_id=f"home|{school.school_id}"))
    return blocks


def _step_title(ctx: Ctx, key: str) -> str:
    try:
        cycle_id, step_id = key.split(":", 1)[1].split("/", 1)
        cycle = ctx.library.get(cycle_id)
        step = cycle.step(step_id) if cycle else None
        return step.label if step else step_id
    except (ValueError, IndexError):
        return key


def home_view(ctx: Ctx, page: int = 1) -> dict[str, Any]:
    """The Home tab of ``ctx.user_id`` (``views.publish``), page ``page`` of their schools."""
    mine = schools_of(ctx.store, ctx.user_id, ctx.team_id)
    roles = dict(mine)
    order = [sid for sid, _ in mine]
    admin = is_workspace_admin(ctx)
    if admin:
        seen = set(order)
        order += [sid for sid in all_schools(ctx.store, ctx.team_id) if sid not in seen]
    blocks: list[dict[str, Any]] = [bk.header("Your schools" if not admin else "Schools")]
    if not order:
        blocks.append(bk.section(
            "You don't hold a role in any school yet. In a school's channel, its liaison adds people with "
            "`/scep roles team:@you`; a new school starts with `/scep setup &lt;school name&gt;`."
        ))
        return {"type": "home", "blocks": blocks}
    pages = (len(order) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(1, page), pages)
    count = f"{len(mine)} school{'s' if len(mine) != 1 else ''} where you hold a role"
    if admin:
        count += f" · {len(order)} in the workspace (you're an admin)"
    tz = None
    shown = order[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    cards: list[dict[str, Any]] = []
    for sid in shown:
        state = SchoolState.read(ctx.store.view(sid))
        if state is None:
            continue
        tz = tz or state.school.tz
        cards.append(bk.divider())
        cards.extend(school_card(ctx, state, roles.get(sid, [])))
    stamp = f" · as of {dates.fmt_local(ctx.now, tz or dates.DEFAULT_TZ)}"
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
