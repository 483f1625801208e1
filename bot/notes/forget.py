"""``/scep forget <step>``: delete a step's notes for good and close its prompts, so that their
threads are no longer read and the notes do not come back."""

from __future__ import annotations

from datetime import datetime

from bot.calendar import dates
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Result
from bot.core.schools import iso
from bot.core.steps import StepRef, audit, resolve
from bot.errors import UserError
from bot.notes.capture import recount
from bot.store.port import Store
from bot.store.schema import NOTE_KIND, PROMPT_KIND


def forget(store: Store, school_id: str, ref: StepRef, who: str, now: datetime) -> tuple[int, int]:
    """Delete every note of a step's year and close its prompts (their threads are no longer
    read, so the notes do not come back). Returns (notes deleted, prompts closed)."""
    with store.transaction(school_id) as tx:
        notes = tx.find(NOTE_KIND, step=ref.key, year=ref.year.name)
        for key in notes:
            tx.delete(NOTE_KIND, key)
        tx.purge()  # the notes survive in no copy the store keeps (rotating copies, dead rows)
        prompts = tx.find(PROMPT_KIND, step=ref.key, year=ref.year.name)
        closed = 0
        for key, p in prompts.items():
            if not p.get("closed"):
                p["closed"] = True
                p["closed_at"] = iso(now)
                tx.put(PROMPT_KIND, key, p)
                closed += 1
        recount(tx, ref.key, ref.year.name)
        audit(tx, who, now, "notes forgotten", step=ref.key, year=ref.year.name, notes=len(notes), prompts_closed=closed)
    return len(notes), closed


@subcommand(
    "forget",
    usage="/scep forget <step>",
    summary="delete a step's notes for good and stop reading its prompt threads (liaison or admin)",
    examples=["/scep forget visit 1"],
    writes=True,
)
def cmd_forget(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    if not args:
        raise UserError("Say which step's notes to delete: `/scep forget visit 1`")
    R.require(ctx, state.school, "forget")
    ref = resolve(state, ctx.library, ctx.now, " ".join(args))
    deleted, closed = forget(ctx.store, state.school.school_id, ref, ctx.user_id, ctx.now)
    text = (f":wastebasket: <@{ctx.user_id}> deleted {dates.plural(deleted, 'note')} of {bk.esc(ref.dated.step.title)} ({ref.year}) "
            f"for *{bk.esc(state.school.name)}*.")
    if closed:
        text += f" Its prompt thread{'s are' if closed > 1 else ' is'} no longer read; `/scep notes start {bk.esc(ref.dated.step.short or ref.dated.step.id)}` opens a new one."
    if not deleted and not closed:
        text = f"{bk.esc(ref.dated.step.title)} ({ref.year}) has no notes to delete."
        return Result(text=text)
    return Result(text=text, blocks=[bk.section(text)], public=True)
