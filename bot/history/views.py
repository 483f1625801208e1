"""How ``/scep history`` shows a school's audit log (pure: entries in, message out).

Instants are stored as UTC ISO strings and shown in the school's time zone."""

from __future__ import annotations

from typing import Any

from bot.calendar import dates
from bot.core import blocks as bk
from bot.core.result import Result

SHOW = 25  # entries shown without `all`


def _when(value: Any, tz: str | None) -> str:
    try:
        return dates.fmt_local(dates.parse_instant(str(value)), tz) if tz else str(value)
    except (ValueError, TypeError):
        return str(value)


def _quoted(items: Any) -> str:
    return ", ".join(f"“{bk.esc(str(i))}”" for i in (items if isinstance(items, list) else [items]))


def describe(entry: dict[str, Any], tz: str | None = None) -> str:
    """One audit entry as a sentence fragment (user text escaped; instants in the school's zone)."""
    what = str(entry.get("what", "?"))
    step = entry.get("step")
    bits = [bk.esc(what)]
    if step:
        bits.append(f"`{bk.esc(step)}`" + (f" ({bk.esc(entry['year'])})" if entry.get("year") else ""))
    for key in ("label", "labels", "anchor", "date", "after", "before", "fields", "changes", "commitment", "ticked_items",
                "unticked_items", "round", "notes", "prompts_closed", "flags", "holidays", "until", "author", "via"):
        value = entry.get(key)
        if value in (None, "", [], {}):
            continue
        if key in ("before", "after"):
            if what == "commitments":
                if key == "after":
                    bits.append("now " + (" ".join(f"C{i} “{bk.esc(c)}”" for i, c in enumerate(value, 1)) if isinstance(value, list) else bk.esc(value)))
                continue
            bits.append(("for " if key == "after" else "was ") + bk.esc(_when(value, tz)))
        elif key == "until":
            bits.append("until " + bk.esc(_when(value, tz)))
        elif key == "changes" and isinstance(value, list):  # /scep remind: what changed, in words
            bits.append("; ".join(bk.esc(str(v)) for v in value))
        elif isinstance(value, list) and key not in ("ticked_items", "unticked_items"):
            bits.append(f"{key} " + (", ".join(bk.esc(str(v)) for v in value)))
        elif key == "changes" and isinstance(value, dict):
            bits.append("roles " + ", ".join(f"{bk.esc(r)}: {' '.join(f'<@{bk.esc(u)}>' for u in people) or 'nobody'}" for r, people in value.items()))
        elif key == "fields" and isinstance(value, dict):
            bits.append(", ".join(f"{bk.esc(k)}={bk.esc(v)}" for k, v in value.items()))
        elif key == "ticked_items":
            bits.append("ticked " + _quoted(value))
        elif key == "unticked_items":
            bits.append("unticked " + _quoted(value))
        elif key == "labels" and isinstance(value, list):
            bits.append("labels " + ", ".join(bk.esc(str(v)) for v in value))
        elif key == "commitment":
            bits.append(f"C{bk.esc(value)}")
        elif key == "author":
            bits.append(f"written by <@{bk.esc(value)}>")
        elif key == "notes":
            bits.append(f"{bk.esc(value)} notes deleted")
        elif key == "prompts_closed":
            bits.append(f"{bk.esc(value)} prompts closed")
        elif key == "via":
            bits.append(f"({bk.esc(value)})")
        else:
            bits.append(f"{key} {bk.esc(value)}")
    return " · ".join(bits)


def history_reply(title: str, entries: list[dict[str, Any]], tz: str, *, show_all: bool) -> Result:
    """The audit ``entries`` (oldest first) newest first under ``title``: the latest ``SHOW``
    of them unless ``show_all``."""
    shown = entries if show_all else entries[-SHOW:]
    rows = []
    for e in reversed(shown):
        when = dates.fmt_local(dates.parse_instant(e["at"]), tz) if e.get("at") else "?"
        who = f"<@{e['who']}>" if str(e.get("who", "")).startswith(("U", "W")) else bk.esc(e.get("who", "?"))
        rows.append(f"{when} · {who} · {describe(e, tz)}")
    more = "" if show_all or len(entries) <= SHOW else f"Showing the latest {SHOW} of {len(entries)}: add `all` for every entry."
    blocks = [bk.section(f"*{title}*")] + [bk.section("\n".join(rows[i : i + 10])) for i in range(0, len(rows), 10)]
    if more:
        blocks.append(bk.context(more))
    return Result(text=title + "\n" + "\n".join(rows), blocks=bk.fit(blocks))
