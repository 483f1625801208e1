"""The "Save as SCEP note" message shortcut: which schools a message may be filed in, the form
(``bot.notes.shortcut_view``) with its data gathered here, and saving the message once the form
is sent."""

from __future__ import annotations

from typing import Any

from bot.calendar.instances import DatedStep
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.context import Ctx
from bot.core.result import Result
from bot.core.school_calendar import read_school
from bot.core.schools import SchoolState
from bot.core.steps import StepRef, school_steps
from bot.errors import UserError
from bot.notes.capture import SAVED_REACTION, save_message
from bot.notes.held import held_at
from bot.notes.messages import is_from_bot
from bot.notes.reading import step_refs_with_notes
from bot.notes.shortcut_view import shortcut_view, step_value
from bot.notes.warning import capture_result
from bot.schools.membership import schools_of

# (store, user id, team id) -> [(school id, the person's roles)]: the schools where they hold a role


def open_shortcut(ctx: Ctx, metadata: str, msg: dict[str, Any]) -> Result:
    """The shortcut used on ``msg``: the form to file it, for a person's message only."""
    if is_from_bot(msg) or not msg.get("user"):
        raise UserError("Save a person's message as a note, not a bot's.")
    return Result(open_view=shortcut_form(ctx, metadata, None, msg.get("text") or ""))


def shortcut_form(ctx: Ctx, metadata: str, school_id: str | None, message_preview: str) -> dict[str, Any]:
    """The form for a message, with ``school_id`` picked (None: this channel's school, or the first)."""
    entries = shortcut_schools(ctx)
    entries.sort(key=lambda e: (e["name"].lower(), e["school_id"]))
    sid = school_id if any(e["school_id"] == school_id for e in entries) else (ctx.school_id or entries[0]["school_id"])
    if not any(e["school_id"] == sid for e in entries):
        sid = entries[0]["school_id"]
    state = read_school(ctx.store, sid)
    if state is None:
        raise UserError("That school has no profile yet: run `/scep setup` in its channel.")
    steps = school_steps(state, ctx.library, ctx.now)
    if not steps:
        raise UserError(f"{state.school.name} follows no cycles, so there is no step to file a note under: `/scep setup cycles:&lt;id&gt;` in its channel.")
    return shortcut_view(metadata, entries, sid, steps, _default_step(ctx, state, steps), list(state.school.commitments), message_preview)


def shortcut_schools(ctx: Ctx) -> list[dict[str, Any]]:
    """The schools the person may file this message in (index entries).

    A message in a school's channel is a note of that school only (one school per channel:
    nothing said in school A's channel ends up in school B's summary). A message elsewhere (a
    DM, a channel no school uses) can go to the schools where the person may act: those where
    they hold a role, or every school for a workspace admin. Nobody sees the names of schools
    they have nothing to do with."""
    entries = [e for e in (ctx.store.index_entry(s) for s in ctx.store.school_ids()) if e and e.get("team_id", "") == (ctx.team_id or "")]
    if not entries:
        raise UserError("No schools yet: link a channel to a school first with `/scep setup &lt;school name&gt;`.")
    here = ctx.school_id
    if here:
        state = read_school(ctx.store, here)
        if state is None:
            raise UserError("This channel's school has no profile yet: run `/scep setup` here.")
        R.require(ctx, state.school, "act")
        return [e for e in entries if e["school_id"] == here]
    if R.is_workspace_admin(ctx):
        return entries
    acting = set(R.PERMISSIONS["act"]) - {R.CHANNEL}
    mine = {sid for sid, roles in schools_of(ctx.store, ctx.user_id, ctx.team_id) if acting & set(roles)}
    entries = [e for e in entries if e["school_id"] in mine]
    if not entries:
        raise UserError("You don't hold a role in any school, so there is no school to save this note in. "
                        "Use the shortcut on a message in a school's channel, or ask its liaison for a role (`/scep roles team:@you`).")
    return entries


def _default_step(ctx: Ctx, state: SchoolState, steps: list[DatedStep]) -> str | None:
    """The step of the school's latest prompt, else the visit or session held most recently."""
    view = ctx.store.view(state.school.school_id)
    recent = step_refs_with_notes(view)
    keys = {step_value(d) for d in steps}
    for step, year in recent:
        if f"{year}|{step}" in keys:
            return f"{year}|{step}"
    held = []
    for d in steps:
        when = held_at(d, state.step_state(d.year, d.key))
        if when and when <= ctx.now:
            held.append((when, step_value(d)))
    return max(held)[1] if held else None


def save_from_shortcut(ctx: Ctx, msg: dict[str, Any], school_id: str, step_value: str, commitment: int, *, permalink: str, author_name: str | None) -> Result:
    state = read_school(ctx.store, school_id) if school_id and ctx.store.index_entry(school_id) else None
    if state is None:
        raise UserError("Pick a school from the list.")
    here = ctx.school_id
    if here and here != school_id:
        name = (ctx.store.index_entry(here) or {}).get("name") or "another school"
        raise UserError(f"This message is in <#{ctx.channel_id}>, the channel of {bk.esc(name)}: it can only be saved as a note of {bk.esc(name)}. Nothing was saved.")
    R.require(ctx, state.school, "act")
    year, _, key = str(step_value or "").partition("|")
    dated = next((d for d in school_steps(state, ctx.library, ctx.now) if d.key == key and d.year.name == year), None)
    if dated is None:
        raise UserError("Pick a step from the list (the school's cycles changed since the form opened).")
    out = save_message(ctx.store, school_id, StepRef(dated), commitment, msg, ctx.user_id, ctx.now,
                             permalink=permalink, author_name=author_name, team_id=ctx.team_id)
    where = f"C{commitment} {state.school.commitments[commitment - 1]}" if commitment else "general notes"
    verb = {"updated": "Re-filed", "unchanged": "Already saved"}.get(out.action, "Saved")
    text = f":{SAVED_REACTION}: {verb} as a note of {bk.esc(dated.step.title)} ({dated.year}) for *{bk.esc(state.school.name)}*, under {bk.esc(where)}."
    return Result(text=text, blocks=[bk.section(text)]).merge(capture_result(out))
