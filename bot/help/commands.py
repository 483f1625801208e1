"""``/scep help``: every subcommand with its usage and an example; also the answer to an unknown one."""

from __future__ import annotations

from bot.core import blocks as bk
from bot.core.command import ORDER, REGISTRY, on_unknown, subcommand
from bot.core.context import Ctx
from bot.core.result import Result


def help_reply(unknown: str | None = None) -> Result:
    """The list of subcommands, in the order they were registered; an error when it answers the
    unknown subcommand ``unknown``."""
    head = f"I don't know `/scep {bk.esc(unknown)}`. " if unknown else ""
    rows = []
    for name in ORDER:
        sub = REGISTRY[name]
        if sub.hidden:
            continue
        ex = f"  e.g. `{bk.esc(sub.examples[0])}`" if sub.examples else ""
        rows.append(f"`{bk.esc(sub.usage)}`\n      {bk.esc(sub.summary)}{ex}")
    text = head + "*scep-bot* keeps your school improvement cycle on track. Commands:"
    blocks = [bk.section(text)] + [bk.section("\n".join(rows[i : i + 6])) for i in range(0, len(rows), 6)]
    return Result(text=text.replace("*", "") + "\n" + "\n".join(r.replace("`", "") for r in rows), blocks=blocks, error=bool(unknown))


@subcommand("help", usage="/scep help", summary="this help", examples=["/scep help"], aliases=("?", "-h", "--help"))
def cmd_help(ctx: Ctx, args: list[str]) -> Result:
    return help_reply()


@on_unknown
def unknown_subcommand(verb: str) -> Result:
    return help_reply(unknown=verb)
