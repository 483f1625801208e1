"""A picture of a school's year (PNG, 800 px wide: the width Slack shows images at), in the
school's time zone: one row per step, windows as bars, deadlines as marks labelled DRAFT/FINAL,
scheduled dates as dots, a red line for today, the school's holidays and breaks (public holidays
of its state, the district's and the school's closures: ``bot.core.school_calendar``) as shaded
columns. Status is a colour *and* a hatch pattern, so the legend still reads in greyscale. One
step can be highlighted (a visit summary's). Rendered with matplotlib's Agg backend (no display).
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402 - after choosing the backend
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from bot.calendar import dates  # noqa: E402
from bot.calendar.dates import SchoolYear  # noqa: E402
from bot.core import progress  # noqa: E402
from bot.core.school_calendar import school_calendar  # noqa: E402
from bot.core.schools import SchoolState  # noqa: E402

WIDTH_IN, DPI = 8.0, 100  # 800 px wide
# status -> (face colour, hatch): the hatch tells statuses apart without colour
STYLE = {
    "overdue": ("#d62728", "xxx"),
    "open": ("#1f77b4", ""),
    "waiting": ("#ff9f1c", "\\\\\\"),
    "upcoming": ("#c7c7c7", "..."),
    "done": ("#2ca02c", "///"),
    "passed": ("#8c8c8c", "---"),
    "untracked": ("#eeeeee", "|||"),  # closed before tracking began
}
CLOSED = "#c9b8e8"  # holidays and breaks: a pale violet column behind the bars (mid-light grey in greyscale, darker than the grid)
HIGHLIGHT = "#fff2b3"  # the highlighted step's row
MARKER = {"due": "D", "draft": "v", "final": "^"}  # deadline marks: shape tells DRAFT from FINAL
LABEL_CHARS = 30  # a step name wraps at this width, two lines at most


@dataclass
class Row:
    label: str
    key: str
    bars: list[tuple[date, date, str]] = field(default_factory=list)  # (first day, last day, status), local
    marks: list[tuple[date, str, str]] = field(default_factory=list)  # (local day, due|draft|final, status)
    scheduled: date | None = None


@dataclass
class Picture:
    figure: Figure
    rows: list[Row]
    first: date | None
    last: date | None
    today: date
    closed: list[tuple[date, date, str]] = field(default_factory=list)  # holidays and breaks shaded (local days)

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=DPI)
        return buf.getvalue()


def short(text: str, width: int = LABEL_CHARS, lines: int = 2) -> str:
    """``text`` wrapped at ``width`` characters, at most ``lines`` lines (the last ends in … when cut)."""
    parts = textwrap.wrap(" ".join(str(text).split()), width) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1].rstrip() + "…"
    return "\n".join(parts)


def closed_spans(calendar, first: date, last: date) -> list[tuple[date, date, str]]:
    """The closed weekdays ``first``..``last`` as (first day, last day, name) spans: a break
    across a weekend is one span (Dec 24 - Jan 1), a lone holiday one day."""
    spans: list[list] = []
    for day, name, _source in calendar.closed_days(first, last):
        if spans and all(d.weekday() >= 5 for d in _between(spans[-1][1], day)):
            spans[-1][1] = day
            if name not in spans[-1][2]:
                spans[-1][2].append(name)
        else:
            spans.append([day, day, [name]])
    return [(a, b, "; ".join(names)) for a, b, names in spans]


def _between(a: date, b: date):
    return (a + timedelta(days=i) for i in range(1, (b - a).days))


def rows_of(state: SchoolState, library, now: datetime, year: SchoolYear | None) -> list[Row]:
    tz = state.school.tz
    rows: list[Row] = []
    for _cycle, _y, items in progress.timeline(state, library, now, year):
        by_step: dict[str, Row] = {}
        for item in items:
            d = item.dated
            row = by_step.get(d.key)
            if row is None:
                row = by_step[d.key] = Row(short(d.step.label), d.key)
                rows.append(row)
            if item.label is None and d.opens_at and d.closes_at:
                row.bars.append((dates.local_today(d.opens_at, tz), dates.local_today(d.closes_at, tz), item.status))
            elif item.label and item.at:
                row.marks.append((dates.local_today(item.at, tz), item.label, item.status))
            if item.scheduled_at:
                row.scheduled = dates.local_today(item.scheduled_at, tz)
    return [r for r in rows if r.bars or r.marks or r.scheduled]


def render(state: SchoolState, library, now: datetime, year: SchoolYear | None = None, highlight: str | None = None) -> Picture:
    """The picture of ``state``'s year (each cycle's current year, or ``year``) at ``now`` (UTC);
    ``highlight``: a step key (``cycle/step``) whose row is shaded and its name in bold."""
    tz = state.school.tz
    today = dates.local_today(now, tz)
    rows = rows_of(state, library, now, year)
    years = sorted({y.name for _c, y, _i in progress.timeline(state, library, now, year)}) or [str(year or SchoolYear.containing(today))]
    title = f"{short(state.school.name, 50, 1)} · {', '.join(years)}"
    height = max(2.2, 1.3 + 0.34 * len(rows))
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    FigureCanvasAgg(fig)  # draws without a display; tests read its pixels back
    if not rows:
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.text(0.5, 0.6, title, ha="center", va="center", fontsize=12, weight="bold")
        ax.text(0.5, 0.35, f"No dated steps in {', '.join(years)}: nothing to draw.\n`/scep timeline` lists the school's cycles.",
                ha="center", va="center", fontsize=10)
        return Picture(fig, rows, None, None, today)
    days = [b[0] for r in rows for b in r.bars] + [b[1] for r in rows for b in r.bars] + [m[0] for r in rows for m in r.marks]
    days += [r.scheduled for r in rows if r.scheduled]
    first, last = min(days) - timedelta(days=7), max(days) + timedelta(days=7)
    ax = fig.add_axes((0.31, 0.8 / height, 0.66, 1 - 1.55 / height))
    n = len(rows)
    closed = closed_spans(school_calendar(state.school), first, last)
    for a, b, name in closed:
        ax.axvspan(matplotlib.dates.date2num(a), matplotlib.dates.date2num(b) + 1, color=CLOSED, linewidth=0, zorder=0.5,
                   gid=f"closed:{a}:{b}:{name}")
    for i, row in enumerate(rows):
        y = n - 1 - i
        if row.key == highlight:
            ax.axhspan(y - 0.5, y + 0.5, color=HIGHLIGHT, linewidth=0, zorder=0.4, gid=f"highlight:{row.key}")
        for a, b, status in row.bars:
            face, hatch = STYLE.get(status, STYLE["upcoming"])
            ax.barh(y, (b - a).days + 1, left=matplotlib.dates.date2num(a), height=0.6, color=face, hatch=hatch,
                    edgecolor="#333333", linewidth=0.6, gid=f"bar:{row.key}:{status}")
        for day, label, status in row.marks:
            face, _ = STYLE.get(status, STYLE["upcoming"])
            x = matplotlib.dates.date2num(day)
            ax.plot([x], [y], marker=MARKER.get(label, "D"), markersize=8, color=face, markeredgecolor="#111111", linestyle="none",
                    gid=f"mark:{row.key}:{label}:{status}")
            if label in ("draft", "final"):
                left = label == "draft"  # DRAFT to the left of its mark, FINAL to the right: never on top of each other
                ax.annotate(label.upper(), (x, y), xytext=(-6 if left else 6, 0), textcoords="offset points",
                            ha="right" if left else "left", va="center", fontsize=6.5)
        if row.scheduled:
            ax.plot([matplotlib.dates.date2num(row.scheduled)], [y], marker="o", markersize=7, color="white",
                    markeredgecolor="#111111", markeredgewidth=1.6, linestyle="none", gid=f"scheduled:{row.key}")
    ax.set_yticks(range(n), [r.label for r in reversed(rows)], fontsize=7.5)
    for tick, row in zip(ax.get_yticklabels(), reversed(rows)):
        if row.key == highlight:
            tick.set_fontweight("bold")
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlim(matplotlib.dates.date2num(first), matplotlib.dates.date2num(last))
    locator = matplotlib.dates.MonthLocator(interval=1 if (last - first).days <= 430 else 2)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(locator))
    ax.tick_params(axis="x", labelsize=7.5)
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)
    if first <= today <= last:
        ax.axvline(matplotlib.dates.date2num(today), color="#d62728", linewidth=1.4, linestyle="--", gid="today")
    fig.text(0.01, 1 - 0.3 / height, title, fontsize=11, weight="bold", va="center")
    fig.text(0.01, 1 - 0.55 / height, f"as of {today:%a %b %-d %Y} ({tz}) · dashed line: today", fontsize=7.5, va="center", color="#444444")
    used = [s for s in STYLE if any(b[2] == s for r in rows for b in r.bars) or any(m[2] == s for r in rows for m in r.marks)]
    handles = [Patch(facecolor=STYLE[s][0], hatch=STYLE[s][1], edgecolor="#333333", label=s) for s in used]
    handles += [matplotlib.lines.Line2D([], [], marker=MARKER[k], color="#777777", markeredgecolor="#111111", linestyle="none", label=t)
                for k, t in (("draft", "DRAFT due"), ("final", "FINAL due"), ("due", "due"))
                if any(m[1] == k for r in rows for m in r.marks)]
    if closed:
        handles.append(Patch(facecolor=CLOSED, edgecolor="none", label="holiday / break"))
    if any(r.scheduled for r in rows):
        handles.append(matplotlib.lines.Line2D([], [], marker="o", color="white", markeredgecolor="#111111", linestyle="none", label="scheduled"))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), fontsize=7, frameon=False, bbox_to_anchor=(0.6, 0.0))
    return Picture(fig, rows, first, last, today, closed)


def year_png(state: SchoolState, library, now: datetime, year: SchoolYear | None = None, highlight: str | None = None) -> bytes:
    return render(state, library, now, year, highlight).png()
