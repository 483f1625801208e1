"""App Home's data: the schools a person sees on a page of their Home tab.

A school is "theirs" when they hold any role in it (liaison, principal, team, reviewer,
district). A workspace admin sees every school of the workspace, theirs first.
"""

from __future__ import annotations

from typing import Any

from bot.calendar.cycle_files import CycleLibrary
from bot.core import progress
from bot.core.context import Ctx
from bot.core.permissions import is_workspace_admin
from bot.core.school_calendar import read_school
from bot.home.view import PAGE_SIZE, HomeTab, SchoolCard, home_view
from bot.schools.membership import all_schools, schools_of

NEXT_ITEMS = 40  # items per school: the next one, the overdue count, the first to schedule


def gather_home(ctx: Ctx, page: int = 1) -> HomeTab:
    """Page ``page`` (clamped to the pages there are) of ``ctx.user_id``'s schools."""
    mine = schools_of(ctx.store, ctx.user_id, ctx.team_id)
    roles = dict(mine)
    order = [sid for sid, _ in mine]
    admin = is_workspace_admin(ctx)
    if admin:
        seen = set(order)
        order += [sid for sid in all_schools(ctx.store, ctx.team_id) if sid not in seen]
    if not order:
        return HomeTab(admin=admin, mine=0, total=0, page=1, pages=0, cards=[], now=ctx.now)
    pages = (len(order) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(1, page), pages)
    cards = []
    for sid in order[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
        state = read_school(ctx.store, sid)
        if state is None:
            continue
        items = progress.next_items(state, ctx.library, ctx.now, NEXT_ITEMS)
        labels = {key: _step_label(ctx.library, key) for key in state.steps}
        cards.append(SchoolCard(state=state, roles=roles.get(sid, []), items=items, step_labels=labels))
    return HomeTab(admin=admin, mine=len(mine), total=len(order), page=page, pages=pages, cards=cards, now=ctx.now)


def home_tab(ctx: Ctx, page: int = 1) -> dict[str, Any]:
    """The Home tab of ``ctx.user_id`` (the view for ``views.publish``), page ``page`` of their schools."""
    return home_view(gather_home(ctx, page))


def _step_label(library: CycleLibrary, key: str) -> str:
    """The label of the step with state key ``2021-22:cycle/step`` (the step id if it is gone)."""
    try:
        cycle_id, step_id = key.split(":", 1)[1].split("/", 1)
        cycle = library.get(cycle_id)
        step = cycle.step(step_id) if cycle else None
        return step.label if step else step_id
    except (ValueError, IndexError):
        return key
