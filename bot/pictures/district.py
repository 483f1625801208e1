"""A district's picture (PNG, 800 px wide): schools × the months of a school year, each cell
coloured (and hatched, for greyscale) by the most pressing status of that school's items in that
month: overdue, open, waiting, upcoming, done. Schools needing attention come first (most overdue
items, then most open ones, then by name). Months are each school's local months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402 - after choosing the backend
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from bot.calendar import dates  # noqa: E402
from bot.calendar.dates import SchoolYear  # noqa: E402
from bot.core import progress  # noqa: E402
from bot.core.schools import SchoolState  # noqa: E402
from bot.pictures.year import DPI, STYLE, WIDTH_IN, Picture, short  # noqa: E402

RANK = ["overdue", "open", "waiting", "upcoming", "done", "passed"]  # most pressing first
MAX_SCHOOLS = 120  # rows at most (the rest are named in the caption)


@dataclass
class SchoolRow:
    name: str
    school_id: str
    cells: list[str | None]  # per month (July first): the most pressing status, or None
    overdue: int
    open: int


def months_of(year: SchoolYear) -> list[tuple[int, int]]:
    return [(year.start + (m > 12), (m - 1) % 12 + 1) for m in range(7, 19)]


def _month_index(day: date, months: list[tuple[int, int]]) -> int | None:
    try:
        return months.index((day.year, day.month))
    except ValueError:
        return None


def school_row(state: SchoolState, library, now: datetime, year: SchoolYear) -> SchoolRow:
    tz = state.school.tz
    months = months_of(year)
    cells: list[str | None] = [None] * 12
    overdue = opened = 0
    for _cycle, _y, items in progress.timeline(state, library, now, year):
        for item in items:
            d = item.dated
            if item.label and item.at:
                spans = [(dates.local_today(item.at, tz), dates.local_today(item.at, tz))]
            elif d.opens_at and d.closes_at:
                spans = [(dates.local_today(d.opens_at, tz), dates.local_today(d.closes_at, tz))]
            else:
                continue
            overdue += item.status == "overdue"
            opened += item.status == "open"
            for first, last in spans:
                for i, (y, m) in enumerate(months):
                    if (first.year, first.month) <= (y, m) <= (last.year, last.month):
                        cur = cells[i]
                        if item.status in RANK and (cur is None or RANK.index(item.status) < RANK.index(cur)):
                            cells[i] = item.status
    return SchoolRow(state.school.name, state.school.school_id, cells, overdue, opened)


def render(states: list[SchoolState], library, now: datetime, year: SchoolYear | None = None) -> Picture:
    """The picture of ``states`` for ``year`` (default: the school year of ``now`` in the first
    school's zone), schools needing attention first."""
    tz = states[0].school.tz if states else dates.DEFAULT_TZ
    today = dates.local_today(now, tz)
    year = year or SchoolYear.containing(today)
    rows = sorted((school_row(s, library, now, year) for s in states), key=lambda r: (-r.overdue, -r.open, r.name.lower(), r.school_id))
    left_out = rows[MAX_SCHOOLS:]
    rows = rows[:MAX_SCHOOLS]
    height = max(2.2, 1.5 + 0.24 * len(rows))
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    FigureCanvasAgg(fig)
    title = f"{len(states)} school{'s' if len(states) != 1 else ''} · {year}"
    if not rows:
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No schools to draw: you hold no liaison or district role.", ha="center", va="center", fontsize=11)
        return Picture(fig, [], None, None, today)
    ax = fig.add_axes((0.31, 0.8 / height, 0.66, 1 - 1.6 / height))
    n = len(rows)
    cells: dict[str, list[Rectangle]] = {}
    for i, row in enumerate(rows):
        y = n - 1 - i
        for m, status in enumerate(row.cells):
            if status is not None:
                cells.setdefault(status, []).append(Rectangle((m, y - 0.42), 0.94, 0.84))
    for status, rects in cells.items():  # one collection per status: hundreds of hatched cells draw fast
        face, hatch = STYLE[status]
        ax.add_collection(PatchCollection(rects, facecolor=face, hatch=hatch, edgecolor="#333333", linewidth=0.5, gid=f"cells:{status}"))
    ax.set_xlim(-0.1, 12)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xticks([m + 0.47 for m in range(12)], [date(y, m, 1).strftime("%b") for y, m in months_of(year)], fontsize=7.5)
    labels = [f"{short(r.name, 30, 1)}" + (f"  ({r.overdue} overdue)" if r.overdue else "") for r in reversed(rows)]
    ax.set_yticks(range(n), labels, fontsize=7 if n > 30 else 7.5)
    ax.tick_params(length=0)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    mi = _month_index(today, months_of(year))
    if mi is not None:
        ax.axvline(mi + (today.day - 0.5) / 31 * 0.94, color="#d62728", linestyle="--", linewidth=1.2, gid="today")
    fig.text(0.01, 1 - 0.3 / height, title, fontsize=11, weight="bold", va="center")
    fig.text(0.01, 1 - 0.55 / height, f"as of {today:%a %b %-d %Y} · schools needing attention first · dashed line: today"
             + (f" · {len(left_out)} more not shown" if left_out else ""), fontsize=7.5, va="center", color="#444444")
    used = [s for s in RANK if any(s in r.cells for r in rows)]
    fig.legend(handles=[Patch(facecolor=STYLE[s][0], hatch=STYLE[s][1], edgecolor="#333333", label=s) for s in used],
               loc="lower center", ncol=len(used) or 1, fontsize=7.5, frameon=False, bbox_to_anchor=(0.6, 0.0))
    return Picture(fig, rows, None, None, today)
