"""``/scep commitments``, ``/scep notes``, ``/scep forget``, ``/scep export``; the "Save as SCEP
note" shortcut's modal; the privacy warning. Slack-free: Slack work is returned as data (posts,
uploads, effects, views) for the listeners to carry out."""

from __future__ import annotations

import json
from typing import Any

from bot.calendar import dates
from bot.calendar.dates import DateError, SchoolYear
from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.command import small_int, subcommand
from bot.core.context import Ctx
from bot.core.result import Ephemeral, Post, Reaction, Result, Upload
from bot.core.schools import PROFILE, School, SchoolState
from bot.core.steps import StepRef, resolve, school_steps
from bot.errors import UserError
from bot.exports import documents as exports
from bot.digests import monthly as digest  # noqa: F401 - importing registers the digest's providers
from bot.notes import notes, privacy

COMMITMENTS_CALLBACK = "scep_commitments"
SHORTCUT_CALLBACK = "save_scep_note"  # the message shortcut's callback_id
SHORTCUT_VIEW = "scep_save_note"  # its modal
ACTION_SCHOOL = "note_school"  # the modal's school picker (dispatches to refresh steps)
ACTION_REDACT = "note_redact"
ACTION_KEEP = "note_keep"
MODAL_SLOTS = 6
NOTE_PREVIEW = 400


def _ref(ctx: Ctx, state: SchoolState, words: list[str]) -> StepRef:
    return resolve(state, ctx.library, ctx.now, " ".join(words))


def names_for(ctx: Ctx, user_ids) -> dict[str, str]:
    """Display names of people by id, through the listener's cached ``users.info``."""
    out: dict[str, str] = {}
    if ctx.lookup_user is None:
        return out
    for uid in {u for u in user_ids if u}:
        try:
            user = ctx.lookup_user(uid) or {}
        except Exception:  # noqa: BLE001 - a name is a nicety; the id stands in
            user = {}
        prof = user.get("profile") or {}
        name = prof.get("real_name") or user.get("real_name") or prof.get("display_name") or user.get("name")
        if name:
            out[uid] = name
    return out


# ---------------------------------------------------------------- commitments


@subcommand(
    "commitments",
    usage='/scep commitments ["first" "second" ...|clear]',
    summary="show or set the school's SCEP commitments (no arguments: a form)",
    examples=['/scep commitments "Every student reads daily" "Family partnership" "Data-driven instruction"'],
    writes=True,
)
def cmd_commitments(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    school = state.school
    if not args:
        if ctx.trigger_id and R.allowed(ctx, school, "commitments"):
            return Result(text="Opening the commitments form…", open_view=commitments_view(ctx.channel_id, school))
        return Result(text=_commitments_shown(school))
    R.require(ctx, school, "commitments")
    items = [] if [a.lower() for a in args] in (["clear"], ["none"]) else notes.clean_commitments(args)
    return apply_commitments(ctx, school.school_id, items)


def apply_commitments(ctx: Ctx, school_id: str, items: list[str]) -> Result:
    with ctx.store.transaction(school_id) as tx:
        current = School.from_doc(tx.get(*PROFILE) or {"school_id": school_id, "name": "", "team_id": "", "channel_id": ""})
        if current.name and list(current.commitments) == list(items):  # the same again (a form sent twice): no change
            text = f"The commitments of *{bk.esc(current.name)}* are already so: nothing changed."
            return Result(text=text, blocks=[bk.section(text)])
        school = notes.set_commitments(tx, items, ctx.user_id, ctx.now)
    text = f":dart: Commitments of *{bk.esc(school.name)}* set by <@{ctx.user_id}>:\n{notes.commitments_text(items)}" if items else f"Commitments of *{bk.esc(school.name)}* cleared by <@{ctx.user_id}>."
    text += "\nNotes prompts posted from now on list them; prompts already posted keep the ones they had."
    return Result(text=text, blocks=[bk.section(text)], public=True)


def _commitments_shown(school: School) -> str:
    if not school.commitments:
        return f'*{bk.esc(school.name)}* has no commitments yet. Set them: `/scep commitments "Every student reads daily" "Family partnership"`'
    return f"Commitments of *{bk.esc(school.name)}*:\n{notes.commitments_text(school.commitments)}\nChange them: `/scep commitments \"...\" \"...\"`"


def commitments_view(channel: str, school: School) -> dict[str, Any]:
    slots = max(MODAL_SLOTS, min(notes.MAX_COMMITMENTS, len(school.commitments) + 2))
    blocks = []
    for i in range(slots):
        el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": notes.MAX_COMMITMENT_CHARS}
        if i < len(school.commitments):
            el["initial_value"] = school.commitments[i]
        blocks.append({"type": "input", "block_id": f"c{i + 1}", "optional": i > 0, "label": {"type": "plain_text", "text": f"Commitment {i + 1}"}, "element": el})
    return {
        "type": "modal", "callback_id": COMMITMENTS_CALLBACK, "private_metadata": channel,
        "title": {"type": "plain_text", "text": "SCEP commitments"}, "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"}, "blocks": blocks,
    }


def commitments_from_view(values: dict[str, Any]) -> list[str]:
    items = []
    for bid in sorted(values, key=lambda b: small_int(b[1:], 99) or 99):
        v = ((values.get(bid) or {}).get("value") or {}).get("value")
        if v and v.strip():
            items.append(v)
    return items


# ---------------------------------------------------------------- /scep notes


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
        return start_prompt(ctx, state, _ref(ctx, state, args[1:]))
    if verb == "sync":
        if len(args) > 1:
            raise UserError("`/scep notes sync` takes nothing after it.")
        R.require(ctx, school, "act")
        return Result(text="Reading this school's prompt threads for replies I missed…", followups=[notes.SyncNotes(school.school_id)])
    view = ctx.store.view(school.school_id)
    if args:
        ref = _ref(ctx, state, args)
        return notes_reply(ctx, state, view, ref.key, ref.year.name)
    recent = notes.step_refs_with_notes(view)
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
    text, blocks = notes.prompt_message(school, ref.dated, commitments, ctx.now, notes.held_day(st, ctx.now) if notes.held_at(ref.dated, st) and notes.held_at(ref.dated, st) <= ctx.now else None)
    store, who, now = ctx.store, ctx.user_id, ctx.now

    def on_posted(ts: str) -> None:
        with store.transaction(school.school_id) as tx:
            if tx.get(notes.PROMPT_KIND, notes.note_key(channel, ts)) is None:  # not already recovered from a reply
                notes.record_prompt(tx, channel, ts, ref.key, ref.year.name, ref.dated.step.title, commitments, who, now, "manual")
        if store.school_for_channel(ctx.team_id, channel) != school.school_id:
            notes.remember_thread(store, channel, ts, school.school_id)

    earlier = notes.prompts_of(store.view(school.school_id), ref.key, ref.year.name)
    extra = f" (there {'is' if len(earlier) == 1 else 'are'} {len(earlier)} earlier; replies in every one are saved)" if earlier else ""
    meta = notes.prompt_metadata(school.school_id, ref.key, ref.year.name, ref.dated.step.title, commitments, who)
    return Result(text=f"Posted the notes prompt for {bk.esc(ref.dated.step.title)} ({ref.year}) in this channel{extra}.",
                 posts=[Post(channel=channel, text=text, blocks=blocks, on_posted=on_posted, metadata=meta)])


def notes_reply(ctx: Ctx, state: SchoolState, view, step: str, year: str) -> Result:
    school = state.school
    tz = school.tz
    items = notes.notes_of(view, step, year)
    commitments = notes.commitments_for(view, school, step, year)
    title = _title_of(ctx, state, step, year)
    head = f"*Notes for {bk.esc(title)}* ({year}) · {dates.plural(len(items), 'note')}"
    prompts = notes.prompts_of(view, step, year)
    if prompts:
        head += f" · {dates.plural(len(prompts), 'prompt thread')}" + (" (closed)" if all(p.get("closed") for p in prompts) else "")
    blocks: list[dict[str, Any]] = [bk.section(head)]
    lines = [head]
    names = names_for(ctx, [n.get("author") for n in items])
    missing = []
    for number, ctext, group in notes.grouped(items, commitments):
        label = f"C{number} {bk.esc(ctext)}" if number else "General notes"
        if not group:
            missing.append(f"C{number}")
            blocks.append(bk.section(f"*{label}*\n_no notes yet_"))
            lines.append(f"{label}: no notes yet")
            continue
        rows = []
        for n in group:
            body = bk.esc(notes.export_text(n)).replace("\n", " ")
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


def _title_of(ctx: Ctx, state: SchoolState, step: str, year: str) -> str:
    cycle_id, _, step_id = step.partition("/")
    cycle = ctx.library.get(cycle_id)
    s = cycle.step(step_id) if cycle else None
    return s.title if s else step


# ---------------------------------------------------------------- /scep forget


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
    ref = _ref(ctx, state, args)
    deleted, closed = notes.forget(ctx.store, state.school.school_id, ref, ctx.user_id, ctx.now)
    text = (f":wastebasket: <@{ctx.user_id}> deleted {dates.plural(deleted, 'note')} of {bk.esc(ref.dated.step.title)} ({ref.year}) "
            f"for *{bk.esc(state.school.name)}*.")
    if closed:
        text += f" Its prompt thread{'s are' if closed > 1 else ' is'} no longer read; `/scep notes start {bk.esc(ref.dated.step.short or ref.dated.step.id)}` opens a new one."
    if not deleted and not closed:
        text = f"{bk.esc(ref.dated.step.title)} ({ref.year}) has no notes to delete."
        return Result(text=text)
    return Result(text=text, blocks=[bk.section(text)], public=True)


# ---------------------------------------------------------------- /scep export


@subcommand(
    "export",
    usage="/scep export summary <step> [docx|md] | export year [2021-22] | export calendar [2021-22]",
    summary="upload a visit summary (Word and Markdown), the year as CSV, or the calendar (.ics) to this channel",
    examples=["/scep export summary visit 1", "/scep export year", "/scep export calendar"],
    writes=True,
)
def cmd_export(ctx: Ctx, args: list[str]) -> Result:
    state = ctx.state()
    if not args:
        raise UserError("Say what to export: `/scep export summary visit 1`, `/scep export year` or `/scep export calendar`")
    R.require(ctx, state.school, "act")
    what, rest = args[0].lower(), args[1:]
    view = ctx.store.view(state.school.school_id)
    files = build_export(ctx, state, view, what, rest)
    names = ", ".join(f"`{u.filename}`" for u in files)
    return Result(text=f"Uploading {names} to this channel…", uploads=files)


def build_export(ctx: Ctx, state: SchoolState, view, what: str, rest: list[str]) -> list[Upload]:
    school = state.school
    channel = ctx.channel_id
    if what == "summary":
        fmt = "both"
        if rest and rest[-1].lower() in ("docx", "md", "markdown", "word"):
            fmt = {"word": "docx", "markdown": "md"}.get(rest[-1].lower(), rest[-1].lower())
            rest = rest[:-1]
        if not rest:
            raise UserError("Say which step: `/scep export summary visit 1`")
        ref = _ref(ctx, state, rest)
        authors = [n.get("author") for n in notes.notes_of(view, ref.key, ref.year.name)]
        s = exports.summary(view, state, ref, ctx.now, names_for(ctx, authors))
        out = []
        comment = f"SCEP Support Visit Summary: {s.visit} ({s.year}), {s.count} notes"
        if fmt in ("both", "docx"):
            out.append(Upload(channel, f"{s.filename_stem}.docx", exports.summary_docx(s), f"{s.visit} summary ({s.year})", comment))
        if fmt in ("both", "md"):
            out.append(Upload(channel, f"{s.filename_stem}.md", exports.summary_markdown(s).encode(), f"{s.visit} summary ({s.year}), Markdown", "" if fmt == "both" else comment))
        return out
    if what in ("year", "calendar"):
        year = _year_arg(rest)
        stem = f"{_slug(school.name)}-{year.name if year else 'current'}"
        if what == "year":
            data = exports.year_csv(view, state, ctx.library, ctx.now, year).encode("utf-8-sig")
            return [Upload(channel, f"{stem}-year.csv", data, f"{school.name}: the year, step by step", "Every step, its dates, status, who did it and its notes.")]
        data = exports.calendar_ics(state, ctx.library, ctx.now, year)
        return [Upload(channel, f"{stem}.ics", data, f"{school.name}: SCEP calendar", "Import into Google Calendar or Outlook; importing a newer file updates the events.")]
    raise UserError(f"I can export `summary &lt;step&gt;`, `year` or `calendar`, not '{bk.esc(bk.clip(what, 80))}'.")


def _year_arg(rest: list[str]) -> SchoolYear | None:
    if not rest:
        return None
    try:
        return SchoolYear.parse(" ".join(rest))
    except DateError as exc:
        raise UserError(f"{bk.esc(exc)}. Leave it out for the current year.") from None


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "school"


# ---------------------------------------------------------------- the privacy warning


def capture_result(out: notes.Outcome) -> Result:
    """What becomes of a saved message in Slack: the saved reaction, the privacy warning and any
    notices, ephemeral to its author in its thread."""
    note = out.note or {}
    channel, ts, author = note.get("channel"), note.get("ts"), note.get("author")
    if not channel or not ts:
        return Result()
    result = Result()
    if out.react:
        result.reactions.append(Reaction(channel, ts, notes.SAVED_REACTION))
    thread_ts = note.get("thread_ts") or None
    if out.warn:
        text, blocks = privacy_warning(out.school_id or "", out.key or "", out.warn)
        result.ephemerals.append(Ephemeral(channel, author, text, blocks, thread_ts))
    for notice in out.notices:
        result.ephemerals.append(Ephemeral(channel, author, notice, [{"type": "section", "text": {"type": "mrkdwn", "text": notice}}], thread_ts))
    return result


def privacy_warning(school_id: str, key: str, flags: list[str]) -> tuple[str, list[dict[str, Any]]]:
    """The ephemeral warning to a note's author, with one-click Redact and Keep as is."""
    what = privacy.describe(flags)
    text = (f":warning: Your note looks like it holds {what}. Notes end up in summaries for the state: please keep students "
            "anonymous. *Redact* masks it in the saved note (and in every export); then edit or delete your Slack message too.")
    value = json.dumps({"s": school_id, "k": key})
    blocks = [bk.section(text), bk.actions(bk.button("Redact", ACTION_REDACT, value, style="danger"), bk.button("Keep as is", ACTION_KEEP, value))]
    return text, blocks


def may_change_note(ctx: Ctx, school: School):
    def check(note: dict[str, Any]) -> bool:
        return note.get("author") == ctx.user_id or R.allowed(ctx, school, "forget")

    return check


def decide_flag(ctx: Ctx, value: str, redact: bool) -> Result:
    """A click on Redact or Keep as is."""
    try:
        data = json.loads(value)
        sid, key = data["s"], data["k"]
    except (ValueError, KeyError, TypeError):
        raise UserError("That button is broken; use `/scep notes` to find the note.") from None
    state = SchoolState.read(ctx.store.view(sid)) if sid in ctx.store.school_ids() else None
    if state is None:
        raise UserError("That school no longer exists.")
    may = may_change_note(ctx, state.school)
    if redact:
        note = notes.redact(ctx.store, sid, key, ctx.user_id, ctx.now, may=may)
        text = (":lock: Redacted: the saved note now reads “" + bk.esc(bk.clip(note["text"], 500)) + "”. "
                "Your Slack message still shows the original: edit or delete it there too.")
    else:
        notes.keep(ctx.store, sid, key, ctx.user_id, ctx.now, may=may)
        text = ":ok_hand: Kept as is: exports will show the note unmasked."
    return Result(text=text, blocks=[bk.section(text)])


# ---------------------------------------------------------------- the "Save as SCEP note" shortcut


def shortcut_view(ctx: Ctx, metadata: str, school_id: str | None, message_preview: str) -> dict[str, Any]:
    """The modal: school, step and commitment, for the message the shortcut was used on."""
    entries = shortcut_schools(ctx)
    entries.sort(key=lambda e: (e["name"].lower(), e["school_id"]))
    sid = school_id if any(e["school_id"] == school_id for e in entries) else (ctx.school_id or entries[0]["school_id"])
    if not any(e["school_id"] == sid for e in entries):
        sid = entries[0]["school_id"]
    state = SchoolState.read(ctx.store.view(sid))
    if state is None:
        raise UserError("That school has no profile yet: run `/scep setup` in its channel.")

    def opt(text: str, value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": bk.clip(text, 75)}, "value": value}

    shown = entries[:100]
    if not any(e["school_id"] == sid for e in shown):
        shown = [next(e for e in entries if e["school_id"] == sid)] + shown[:99]
    school_opts = [opt(e["name"], e["school_id"]) for e in shown]
    steps = school_steps(state, ctx.library, ctx.now)
    step_opts = [opt(f"{d.step.title} ({d.year})", f"{d.year.name}|{d.key}") for d in steps][:100]
    if not step_opts:
        raise UserError(f"{state.school.name} follows no cycles, so there is no step to file a note under: `/scep setup cycles:&lt;id&gt;` in its channel.")
    default_step = _default_step(ctx, state, steps)
    com_opts = [opt("General note", "0")] + [opt(f"C{i} {c}", str(i)) for i, c in enumerate(state.school.commitments, 1)]
    step_el: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": step_opts}
    if default_step:
        step_el["initial_option"] = next((o for o in step_opts if o["value"] == default_step), step_opts[0])
    return {
        "type": "modal", "callback_id": SHORTCUT_VIEW, "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Save as SCEP note"}, "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            bk.context("> " + bk.esc(bk.clip(message_preview.replace("\n", " "), 280))),
            {"type": "input", "block_id": "school", "dispatch_action": True, "label": {"type": "plain_text", "text": "School"},
             "element": {"type": "static_select", "action_id": ACTION_SCHOOL, "options": school_opts,
                         "initial_option": next(o for o in school_opts if o["value"] == sid)}},
            {"type": "input", "block_id": "step", "label": {"type": "plain_text", "text": "Step"}, "element": step_el},
            {"type": "input", "block_id": "commitment", "label": {"type": "plain_text", "text": "Commitment"},
             "element": {"type": "static_select", "action_id": "value", "options": com_opts, "initial_option": com_opts[0]}},
        ],
    }


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
        state = SchoolState.read(ctx.store.view(here))
        if state is None:
            raise UserError("This channel's school has no profile yet: run `/scep setup` here.")
        R.require(ctx, state.school, "act")
        return [e for e in entries if e["school_id"] == here]
    if R.is_workspace_admin(ctx):
        return entries
    from bot.schools.membership import schools_of

    acting = set(R.PERMISSIONS["act"]) - {R.CHANNEL}
    mine = {sid for sid, roles in schools_of(ctx.store, ctx.user_id, ctx.team_id) if acting & set(roles)}
    entries = [e for e in entries if e["school_id"] in mine]
    if not entries:
        raise UserError("You don't hold a role in any school, so there is no school to save this note in. "
                        "Use the shortcut on a message in a school's channel, or ask its liaison for a role (`/scep roles team:@you`).")
    return entries


def _default_step(ctx: Ctx, state: SchoolState, steps) -> str | None:
    """The step of the school's latest prompt, else the visit or session held most recently."""
    view = ctx.store.view(state.school.school_id)
    recent = notes.step_refs_with_notes(view)
    keys = {f"{d.year.name}|{d.key}" for d in steps}
    for step, year in recent:
        if f"{year}|{step}" in keys:
            return f"{year}|{step}"
    held = []
    for d in steps:
        when = notes.held_at(d, state.step_state(d.year, d.key))
        if when and when <= ctx.now:
            held.append((when, f"{d.year.name}|{d.key}"))
    return max(held)[1] if held else None


def shortcut_choice(values: dict[str, Any]) -> tuple[str, str, int]:
    """(school id, "<year>|<cycle>/<step>", commitment number or 0) from the submitted modal."""

    def sel(bid: str) -> str:
        block = values.get(bid) or {}
        for el in block.values():
            return ((el or {}).get("selected_option") or {}).get("value") or ""
        return ""

    commitment = sel("commitment")
    return sel("school"), sel("step"), small_int(commitment, 1000) or 0


def save_from_shortcut(ctx: Ctx, msg: dict[str, Any], school_id: str, step_value: str, commitment: int, *, permalink: str, author_name: str | None) -> Result:
    state = SchoolState.read(ctx.store.view(school_id)) if school_id and ctx.store.index_entry(school_id) else None
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
    out = notes.save_message(ctx.store, school_id, StepRef(dated), commitment, msg, ctx.user_id, ctx.now,
                             permalink=permalink, author_name=author_name, team_id=ctx.team_id)
    where = f"C{commitment} {state.school.commitments[commitment - 1]}" if commitment else "general notes"
    verb = {"updated": "Re-filed", "unchanged": "Already saved"}.get(out.action, "Saved")
    text = f":{notes.SAVED_REACTION}: {verb} as a note of {bk.esc(dated.step.title)} ({dated.year}) for *{bk.esc(state.school.name)}*, under {bk.esc(where)}."
    return Result(text=text, blocks=[bk.section(text)]).merge(capture_result(out))
