"""Linking a channel to a school and changing its setup (name, model, cycles, year, time zone)."""

from __future__ import annotations

import re
from typing import Any

from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.cycles import MODELS_BY_STATE
from bot.core import blocks as bk
from bot.core.context import Ctx
from bot.core.permissions import is_workspace_admin, require, require_member
from bot.core.result import Result
from bot.core.school_calendar import school_state_code
from bot.core.schools import School, iso
from bot.core.steps import audit
from bot.errors import UserError
from bot.setup.editions import cycles_text
from bot.setup.validate import check_fit, validate_setup
from bot.store.port import ChannelTaken
from bot.store.schema import PROFILE



def guess_model(library: CycleLibrary, clean: dict[str, Any]) -> str:
    """The model of a new school set up without one: its state's only model (MA: SEZP), else the
    one model its named cycles are for (``sezp-planning``: SEZP), else TSI."""
    state = clean.get("state")
    if state in MODELS_BY_STATE and len(MODELS_BY_STATE[state]) == 1:
        return MODELS_BY_STATE[state][0]
    for cid in clean.get("cycles") or ():
        cycle = library.get(cid)
        if cycle is not None and cycle.models and "TSI" not in cycle.models:
            return cycle.models[0]
    return "TSI"


def apply_setup(ctx: Ctx, fields: dict[str, str]) -> Result:
    """Create or update this channel's school from setup fields (``name``, ``model``, ...).

    The store binds a channel to one school, in the school's own transaction: a form sent twice,
    or a command delivered twice, cannot create two schools for one channel (the second is
    refused, finds the first and changes nothing); the same setup again changes nothing and
    announces nothing."""
    clean = validate_setup(ctx.library, fields)
    try:
        return _apply_setup(ctx, fields, clean)
    except ChannelTaken:
        if ctx.school_id is None:
            raise
        return _apply_setup(ctx, fields, clean)


def _apply_setup(ctx: Ctx, fields: dict[str, str], clean: dict[str, Any]) -> Result:
    store = ctx.store
    sid = ctx.school_id
    created = sid is None
    if created:
        require_member(ctx, "link a channel to a school")
        require_linkable(ctx.channel_id)
        if "name" not in clean:
            raise UserError("Give the school a name: `/scep setup Lincoln Elementary model:TSI`")
        if any(e["name"].lower() == clean["name"].lower() for e in store.unlinked(ctx.team_id)):
            raise UserError(f"*{bk.esc(clean['name'])}* was unlinked from its channel and its data is kept: a workspace admin links it "
                            f"back here with `/scep relink {bk.esc(clean['name'])}`. To start a new school instead, give it another name.")
        sid = store.new_school_id()
    admin = is_workspace_admin(ctx)
    with store.transaction(sid) as tx:
        doc = tx.get(*PROFILE)
        if doc is None:
            model = clean.get("model") or guess_model(ctx.library, clean)
            school = School(
                school_id=sid,
                name=clean["name"],
                team_id=ctx.team_id,
                channel_id=ctx.channel_id,
                model=model,
                cycles=clean.get("cycles") or [],
                default_cycles=clean.get("default_cycles", True),
                tz=clean.get("tz", dates.DEFAULT_TZ),
                state=clean.get("state"),
                min_year=clean.get("min_year"),
                created_at=iso(ctx.now),
                created_by=ctx.user_id,
                # whoever links a school becomes its liaison, unless a workspace admin did it
                roles={} if admin else {"liaison": [ctx.user_id]},
            )
            created = True
        else:
            school = School.from_doc(doc)
            if not admin:
                require(ctx, school, "setup")
            for k in ("name", "model", "cycles", "default_cycles", "tz", "min_year", "state"):
                if k in clean:
                    setattr(school, k, clean[k])
            if "model" in clean and "cycles" not in clean and clean["model"] != School.from_doc(doc).model:
                school.cycles, school.default_cycles = [], True  # a new model: its own defaults
            if school.to_doc() == School.from_doc(doc).to_doc():
                text = f"*{bk.esc(school.name)}* is already set up so: nothing changed. `/scep setup` with no arguments shows the form."
                return Result(text=text, blocks=[bk.section(text)])
        check_fit(ctx.library, school.model, school.cycles, school.default_cycles, clean.get("state") or school.state)
        tx.put(*PROFILE, school.to_doc())
        audit(tx, ctx.user_id, ctx.now, "setup" if created else "setup changed", fields={k: v for k, v in clean.items()})
        tx.bind(name=school.name, team_id=ctx.team_id, channel_id=ctx.channel_id)
    return _done(ctx.library, school, created, ctx.now)


def _done(library: CycleLibrary, school: School, created: bool, now) -> Result:
    """The public announcement of a school linked or changed."""
    verb = "linked to" if created else "updated:"
    year = f"from {school.min_year}" if school.min_year else "the current school year, rolling over by itself"
    code = school_state_code(school)
    state = (f"{code}" + ("" if school.state else f" (from the {school.model} model; `state:MA` to change)")
             + " · its public holidays close the school (`/scep holidays`)") if code else "none: no public holidays (`state:NY` to add them)"
    text = (
        f":school: This channel is {verb} *{bk.esc(school.name)}* ({school.model}).\n"
        f"Cycles: {cycles_text(library, school, now)}\nYear: {year} · Time zone: {school.tz} · State: {state}\n"
        "Next: `/scep next` for what's coming, `/scep timeline` for the whole year."
    )
    return Result(text=text, blocks=[bk.section(text)], public=True)


def require_linkable(channel_id: str | None) -> None:
    """A UserError saying what to do when the conversation cannot hold a school (a DM, a group DM)."""
    if not re.fullmatch(r"[CG][A-Z0-9]{1,40}", channel_id or ""):
        raise UserError(unlinkable(channel_id or ""))


def unlinkable(channel_id: str) -> str:
    """Why a conversation can't be linked to a school, and what to do instead."""
    if channel_id.startswith("D"):
        return ("This is a direct message: a school lives in a channel. Create or pick the school's channel, "
                "then type `/scep setup &lt;school name&gt;` there.")
    if not channel_id:
        return "A school is linked from its Slack channel: type `/scep setup &lt;school name&gt;` in that channel."
    return (f"I can't link this conversation (`{bk.esc(channel_id[:40])}`): I only recognise public and private channels "
            "(ids starting with C or G). If this is a group DM or another kind of conversation, create a channel for the "
            "school and type `/scep setup &lt;school name&gt;` there; if it is a channel, tell your admin this id.")
