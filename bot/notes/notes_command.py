"""``/scep notes``: a step's notes by commitment; ``notes start <step>`` posts the notes prompt
now; ``notes sync`` asks the Slack side to read the school's prompt threads again."""

from __future__ import annotations

from typing import Any

from bot.calendar import dates
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import subcommand
from bot.core.context import Ctx
from bot.core.result import Post, Result
from bot.core.schools import School, SchoolState
from bot.core.steps import StepRef, resolve
from bot.errors import UserError
from bot.notes.backfill import SyncNotes
from bot.notes.held import held_at, held_day
from bot.notes.names import names_for
from bot.notes.prompts import prompt_message, prompt_metadata, prompts_of, record_prompt
from bot.notes.reading import (
    commitments_for,
    export_text,
    grouped,
    notes_of,
    step_refs_with_notes,
)
from bot.notes.threads import note_key, remember_thread
from bot.store.port import SchoolView
from bot.store.schema import PROMPT_KIND

NOTE_PREVIEW = 400


@subcommand(
    "notes",
    usage="/scep notes [step] | notes start <step> | notes sync",
    summary="a step's notes by commitment; `start` posts the notes prompt now; `sync` reads the prompt threads again",
    examples=["/scep notes visit 1", "/scep notes start visit 2", "/scep notes sync"],
    writes=True,
)
def cmd_notes(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    school = state.school
    verb = args[0].lower() if args else ""
    if verb == "start":
        if len(args) < 2:
            raise UserError("Say which step: `/scep notes start visit 1`")
        R.require(ctx, school, "act")
        return start_prompt(ctx, state, resolve(state, ctx.library, ctx.now, " ".join(args[1:])))
    if verb == "sync":
        if len(args) > 1:
            raise UserError("`/scep notes sync` takes nothing after it.")
        R.require(ctx, school, "act")
        return Result(text="Reading this school's prompt threads for replies I missed…", followups=[SyncNotes(school.school_id)])
    view = ctx.store.view(school.school_id)
    if args:
        ref = resolve(state, ctx.library, ctx.now, " ".join(args))
        return notes_reply(ctx, state, view, ref.key, ref.year.name)
    recent = step_refs_with_notes(view)
    if not recent:
        return Result(text=(f"No notes for *{bk.esc(school.name)}* yet. After a visit or session I post a notes prompt in this channel; "
                           "or post one now: `/scep notes start visit 1`."))
    step, year = recent[0]
    return notes_reply(ctx, state, view, step, year)


def start_prompt(ctx: Ctx, state: SchoolState, ref: StepRef) -> Result:
    school = state.school
    channel = ctx.channel_id
    commitments = list(school.commitments)
    st = state.step_state(ref.year, ref.key)
    text, blocks = prompt_message(school, ref.dated, commitments, ctx.now, held_day(st, ctx.now) if held_at(ref.dated, st) and held_at(ref.dated, st) <= ctx.now else None)
    store, who, now = ctx.store, ctx.user_id, ctx.now

    def on_posted(ts: str) -> None:
        with store.transaction(school.school_id) as tx:
            if tx.get(PROMPT_KIND, note_key(channel, ts)) is None:  # not already recovered from a reply
                record_prompt(tx, channel, ts, ref.key, ref.year.name, ref.dated.step.title, commitments, who, now, "manual")
        if store.school_for_channel(ctx.team_id, channel) != school.school_id:
            remember_thread(store, channel, ts, school.school_id)

    earlier = prompts_of(store.view(school.school_id), ref.key, ref.year.name)
    extra = f" (there {'is' if len(earlier) == 1 else 'are'} {len(earlier)} earlier; replies in every one are saved)" if earlier else ""
    meta = prompt_metadata(school.school_id, ref.key, ref.year.name, ref.dated.step.title, commitments, who)
    return Result(text=f"Posted the notes prompt for {bk.esc(ref.dated.step.title)} ({ref.year}) in this channel{extra}.",
                 posts=[Post(channel=channel, text=text, blocks=blocks, on_posted=on_posted, metadata=meta)])


def notes_reply(ctx: Ctx, state: SchoolState, view: SchoolView, step: str, year: str) -> Result:
    """A step's notes as the answer to ``/scep notes``: gathers them and their authors' names."""
    school = state.school
    items = notes_of(view, step, year)
    commitments = commitments_for(view, school, step, year)
    title = _title_of(ctx, step)
    prompts = prompts_of(view, step, year)
    names = names_for(ctx, [n.get("author") for n in items])
    return notes_listing(school, title, year, items, prompts, commitments, names)


def notes_listing(school: School, title: str, year: str, items: list[dict[str, Any]], prompts: list[dict[str, Any]],
                  commitments: list[str], names: dict[str, str]) -> Result:
    """The listing of a step's notes under each commitment (times in the school's time zone)."""
    tz = school.tz
    head = f"*Notes for {bk.esc(title)}* ({year}) · {dates.plural(len(items), 'note')}"
    if prompts:
        head += f" · {dates.plural(len(prompts), 'prompt thread')}" + (" (closed)" if all(p.get("closed") for p in prompts) else "")
    blocks: list[dict[str, Any]] = [bk.section(head)]
    lines = [head]
    missing = []
    for number, ctext, group in grouped(items, commitments):
        label = f"C{number} {bk.esc(ctext)}" if number else "General notes"
        if not group:
            missing.append(f"C{number}")
            blocks.append(bk.section(f"*{label}*\n_no notes yet_"))
            lines.append(f"{label}: no notes yet")
            continue
        rows = []
        for n in group:
            body = bk.esc(export_text(n)).replace("\n", " ")
            if len(body) > NOTE_PREVIEW:
                body = body[:NOTE_PREVIEW] + "…"
            who = bk.esc(names.get(n.get("author", "")) or n.get("author_name") or n.get("author", ""))
            when = dates.fmt_local(dates.parse_instant(n["at"]), tz)
            mark = " :lock: redacted" if n.get("redacted") else (" :warning: may name a student" if n.get("flags") and not n.get("kept") else "")
            link = f" · <{n['permalink']}|open>" if n.get("permalink") else ""
            files = f" · {dates.plural(len(n['files']), 'file')}" if n.get("files") else ""
            rows.append(f"> {body}\n— {who}, {when}{mark}{files}{link}")
        blocks.append(bk.section(f"*{label}* ({len(group)})"))
        for i in range(0, len(rows), 4):
            blocks.append(bk.section("\n".join(rows[i : i + 4])))
        lines.append(f"{label} ({len(group)})")
        lines.extend(rows)
    if commitments and missing:
        tail = "Commitments with no notes yet: " + ", ".join(missing)
    elif not commitments:
        tail = 'This school has no commitments yet: `/scep commitments "..." "..."`'
    else:
        tail = "Every commitment has notes."
    blocks.append(bk.context(tail))
    lines.append(tail)
    return Result(text="\n".join(lines)[:3000], blocks=bk.fit(blocks, "…more notes: export them with `/scep export summary &lt;step&gt;`"))


def _title_of(ctx: Ctx, step: str) -> str:
    cycle_id, _, step_id = step.partition("/")
    cycle = ctx.library.get(cycle_id)
    s = cycle.step(step_id) if cycle else None
    return s.title if s else step
