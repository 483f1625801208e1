"""``/scep cycles``: the cycles a school can follow, with the ids ``/scep setup cycles:`` takes."""

from __future__ import annotations

from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.cycles import Cycle
from bot.core import blocks as bk
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result


def cycles_reply(library: CycleLibrary) -> Result:
    """Every cycle of ``library`` with its first steps, and the files that failed to load."""
    rows, lines = [], []
    for cid in library.ids():
        c = library.cycles[cid]
        steps = ", ".join(s.label for s in c.steps[:8]) + ("…" if len(c.steps) > 8 else "")
        note = f"\n      _{bk.esc(c.defaults_note)}_" if c.defaults_note else ""
        rows.append(f"*`{c.id}`* · {bk.esc(c.title)} · {len(c.steps)} steps ({c.reference_year} document) · {applies_text(c)}\n      {bk.esc(steps)}{note}")
        lines.append(f"{c.id}: {c.title} ({len(c.steps)} steps; {applies_text(c)})")
    blocks = [bk.section("*Cycles*: use the ids in `/scep setup cycles:&lt;id&gt;,&lt;id&gt;`")] + [bk.section(r) for r in rows]
    if library.errors:
        blocks.append(bk.section(":warning: Cycle files that could not be loaded:\n```" + bk.esc("\n".join(library.errors))[:2800] + "```"))
        lines.extend(library.errors)
    return Result(text="Cycles\n" + "\n".join(lines), blocks=bk.fit(blocks))


def applies_text(c: Cycle) -> str:
    """Who the cycle is for and when: ``for TSI schools; default 2021-22 to 2023-24 (nysed-touchpoints)``."""
    who = f"for {', '.join(c.models)} schools" if c.models else "for any model"
    ed = c.edition
    if ed is None:
        return who + "; added by name (`cycles:defaults," + c.id + "`)"
    years = f"from {ed.from_}" + (f" to {ed.until}" if ed.until else "")
    return f"{who}; their default {years} (an edition of `{ed.of}`)"


@subcommand("cycles", usage="/scep cycles", summary="the cycles available and their steps", examples=["/scep cycles"])
def cmd_cycles(ctx: Ctx, args: list[str]) -> Result:
    return cycles_reply(ctx.library)
