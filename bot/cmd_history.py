"""``/scep history [step]``: the audit log of a school, for its liaison, district and admins."""

from __future__ import annotations

from typing import Any

from bot import blocks as bk
from bot import dates
from bot import roles as R
from bot.command import Ctx, Reply, UserError, subcommand
from bot.steps import AUDIT_KIND, resolve

SHOW = 25


def describe(entry: dict[str, Any]) -> str:
    """One audit entry as a sentence fragment (user text escaped)."""
    what = entry.get("what", "?")
    step = entry.get("step")
    bits = [bk.esc(what)]
    if step:
        bits.append(f"`{bk.esc(step)}`" + (f" ({bk.esc(entry['year'])})" if entry.get("year") else ""))
    for key in ("label", "labels", "anchor", "date", "after", "fields", "changes", "commitment"):
        if entry.get(key) not in (None, "", [], {}):
            value = entry[key]
            if key == "changes" and isinstance(value, dict):
                value = ", ".join(f"{r}: {' '.join(f'<@{u}>' for u in people) or 'nobody'}" for r, people in value.items())
            elif key == "fields" and isinstance(value, dict):
                value = ", ".join(f"{k}={v}" for k, v in value.items())
            bits.append(f"{key} {bk.esc(value) if key != 'changes' else value}")
    return " · ".join(bits)


@subcommand(
    "history",
    usage="/scep history [step] [all]",
    summary="who changed what and when for this school (liaison, district and admins)",
    examples=["/scep history", "/scep history visit 2"],
)
def cmd_history(ctx: Ctx, args: list[str]) -> Reply:
    state = ctx.state()
    R.require(ctx, state.school, "history")
    show_all = bool(args) and args[-1].lower() == "all"
    words = args[:-1] if show_all else args
    entries = sorted(ctx.store.view(state.school.school_id).all(AUDIT_KIND).items())
    title = f"History of {bk.esc(state.school.name)}"
    if words:
        ref = resolve(state, ctx.library, ctx.now, " ".join(words))
        entries = [(k, e) for k, e in entries if e.get("step") == ref.key]
        title += f" · {bk.esc(ref.dated.step.label)}"
    if not entries:
        if words:
            raise UserError("Nothing has been recorded for that step yet. `/scep history` shows the whole school.")
        return Reply(text=f"{title}: nothing recorded yet.")
    shown = entries if show_all else entries[-SHOW:]
    tz = state.school.tz
    rows = []
    for _, e in reversed(shown):
        when = dates.fmt_local(dates.parse_instant(e["at"]), tz) if e.get("at") else "?"
        who = f"<@{e['who']}>" if str(e.get("who", "")).startswith(("U", "W")) else bk.esc(e.get("who", "?"))
        rows.append(f"{when} · {who} · {describe(e)}")
    more = "" if show_all or len(entries) <= SHOW else f"Showing the latest {SHOW} of {len(entries)}: add `all` for every entry."
    blocks = [bk.section(f"*{title}*")] + [bk.section("\n".join(rows[i : i + 10])) for i in range(0, len(rows), 10)]
    if more:
        blocks.append(bk.context(more))
    return Reply(text=title + "\n" + "\n".join(rows), blocks=bk.fit(blocks))
