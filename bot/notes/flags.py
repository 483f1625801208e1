"""The privacy guard's decisions on a flagged note: *Redact* masks what looks like a student
identifier for good; *Keep as is* clears the flag. The author, the school's liaison or a
workspace admin decides (the buttons come with the warning, ``bot.notes.warning``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from bot.core import blocks as bk
from bot.core import permissions as R
from bot.core.context import Ctx
from bot.core.metadata import FlagButton
from bot.core.result import Result
from bot.core.school_calendar import read_school
from bot.core.schools import School
from bot.core.steps import audit
from bot.errors import UserError
from bot.notes import privacy
from bot.notes.messages import text_hash
from bot.store.port import Store
from bot.store.schema import NOTE_KIND


def redact(store: Store, school_id: str, key: str, who: str, now: datetime, *, may: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """Mask the identifiers flagged in a note and drop its original text, for good."""
    with store.transaction(school_id) as tx:
        note = tx.get(NOTE_KIND, key)
        if note is None:
            raise UserError("That note is gone (deleted or forgotten): nothing to redact.")
        if may is not None and not may(note):
            raise UserError("Only the note's author, the school's liaison or a workspace admin can redact it.")
        if note.get("redacted"):
            return note
        source = note.get("text_source") if note.get("text_source") is not None else note.get("text", "")
        flags = privacy.scan(source, now)
        note["text"] = privacy.mask(source, flags)
        note["hash"] = text_hash(note["text"])
        note["text_source"] = None
        note["flag_spans"] = []
        note["redacted"] = True
        note["kept"] = False
        tx.put(NOTE_KIND, key, note)
        tx.purge()  # the unmasked text survives in no copy the store keeps
        audit(tx, who, now, "note redacted", note=key, step=note.get("step"), year=note.get("year"), flags=note.get("flags"))
    return note


def keep(store: Store, school_id: str, key: str, who: str, now: datetime, *, may: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """The author says the flagged text is not a student identifier: exports show it as is."""
    with store.transaction(school_id) as tx:
        note = tx.get(NOTE_KIND, key)
        if note is None:
            raise UserError("That note is gone (deleted or forgotten).")
        if may is not None and not may(note):
            raise UserError("Only the note's author, the school's liaison or a workspace admin can decide that.")
        if note.get("redacted"):
            raise UserError("That note is already redacted.")
        note["kept"] = True
        tx.put(NOTE_KIND, key, note)
        audit(tx, who, now, "note flag dismissed", note=key, flags=note.get("flags"))
    return note


def may_change_note(ctx: Ctx, school: School):
    def check(note: dict[str, Any]) -> bool:
        return note.get("author") == ctx.user_id or R.allowed(ctx, school, "forget")

    return check


def decide_flag(ctx: Ctx, value: str, redacting: bool) -> Result:
    """A click on Redact or Keep as is."""
    button = FlagButton.decode(value)
    if button is None:
        raise UserError("That button is broken; use `/scep notes` to find the note.")
    sid, key = button.school_id, button.key
    state = read_school(ctx.store, sid) if sid in ctx.store.school_ids() else None
    if state is None:
        raise UserError("That school no longer exists.")
    may = may_change_note(ctx, state.school)
    if redacting:
        note = redact(ctx.store, sid, key, ctx.user_id, ctx.now, may=may)
        text = (":lock: Redacted: the saved note now reads “" + bk.esc(bk.clip(note["text"], 500)) + "”. "
                "Your Slack message still shows the original: edit or delete it there too.")
    else:
        keep(ctx.store, sid, key, ctx.user_id, ctx.now, may=may)
        text = ":ok_hand: Kept as is: exports will show the note unmasked."
    return Result(text=text, blocks=[bk.section(text)])
