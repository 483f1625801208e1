"""Subcommands of the walking skeleton: setup, next, timeline, schools, cycles, help."""

from __future__ import annotations

import re
from typing import Any

from bot.calendar import dates
from bot.calendar.cycles import MODELS
from bot.calendar.dates import DateError, SchoolYear
from bot.core import badges, progress
from bot.core import blocks as bk
from bot.core.command import ORDER, REGISTRY, option_args, small_int, subcommand
from bot.core.context import Ctx
from bot.core.permissions import is_workspace_admin, require, require_member
from bot.core.result import Result, failed
from bot.core.schools import School, SchoolState, iso
from bot.core.steps import audit
from bot.errors import UserError
from bot.store.port import ChannelTaken
from bot.store.schema import PROFILE

DEFAULT_CYCLES = {
    "TSI": ["nysed-tsi-visits", "nysed-planning-sessions"],
    "ATSI": ["nysed-tsi-visits", "nysed-planning-sessions"],
    "CSI": ["nysed-planning-sessions"],
}
MAX_NAME = 120
SETUP_KEYS = ("model", "cycles", "year", "tz")
SETUP_CALLBACK = "scep_setup"


# ---------------------------------------------------------------- setup


def _validate_setup(ctx: Ctx, fields: dict[str, str]) -> dict[str, Any]:
    """Check setup fields as typed; the cleaned values, or a UserError naming the valid choices."""
    out: dict[str, Any] = {}
    if "name" in fields:
        name = " ".join(fields["name"].split())
        if not name:
            raise UserError("Give the school a name: `/scep setup Lincoln Elementary`")
        if len(name) > MAX_NAME:
            raise UserError(f"That school name is {len(name)} characters long; keep it under {MAX_NAME}.")
        out["name"] = name
    if fields.get("model"):
        model = fields["model"].upper()
        if model not in MODELS:
            raise UserError(f"'{bk.esc(bk.clip(fields['model'], 40))}' is not a support model. Choose one of: {', '.join(MODELS)}")
        out["model"] = model
    if fields.get("cycles") is not None and "cycles" in fields:
        ids = [c.strip().lower() for c in fields["cycles"].replace(" ", ",").split(",") if c.strip()]
        if not ids:
            raise UserError("Name at least one cycle, like `cycles:nysed-tsi-visits`. Available: " + ", ".join(ctx.library.ids()))
        unknown = [c for c in ids if ctx.library.get(c) is None]
        if unknown:
            raise UserError(f"I don't know the cycle{'s' if len(unknown) > 1 else ''} {bk.esc(bk.clip(', '.join(unknown), 200))}. Available: " + ", ".join(f"`{c}`" for c in ctx.library.ids()))
        out["cycles"] = list(dict.fromkeys(ids))
    if fields.get("year"):
        try:
            out["min_year"] = SchoolYear.parse(fields["year"]).name
        except DateError as exc:
            raise UserError(bk.esc(exc)) from None
    if fields.get("tz"):
        try:
            dates.zone(fields["tz"])
        except DateError as exc:
            raise UserError(bk.esc(exc)) from None
        out["tz"] = fields["tz"]
    return out


def apply_setup(ctx: Ctx, fields: dict[str, str]) -> Result:
    """Create or update this channel's school from setup fields (``name``, ``model``, ...).

    The store binds a channel to one school, in the school's own transaction: a form sent twice,
    or a command delivered twice, cannot create two schools for one channel (the second is
    refused, finds the first and changes nothing); the same setup again changes nothing and
    announces nothing."""
    clean = _validate_setup(ctx, fields)
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
        if not re.fullmatch(r"[CG][A-Z0-9]{1,40}", ctx.channel_id or ""):
            raise UserError("Link a school from its Slack channel: type `/scep setup &lt;school name&gt;` there.")
        if "name" not in clean:
            raise UserError("Give the school a name: `/scep setup Lincoln Elementary model:TSI`")
        sid = store.new_school_id()
    admin = is_workspace_admin(ctx)
    with store.transaction(sid) as tx:
        doc = tx.get(*PROFILE)
        if doc is None:
            model = clean.get("model", "TSI")
            school = School(
                school_id=sid,
                name=clean["name"],
                team_id=ctx.team_id,
                channel_id=ctx.channel_id,
                model=model,
                cycles=clean.get("cycles") or list(DEFAULT_CYCLES[model]),
                tz=clean.get("tz", dates.DEFAULT_TZ),
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
            for k in ("name", "model", "cycles", "tz", "min_year"):
                if k in clean:
                    setattr(school, k, clean[k])
            if "model" in clean and "cycles" not in clean and not fields.get("keep_cycles"):
                school.cycles = list(DEFAULT_CYCLES[school.model])
            if school.to_doc() == School.from_doc(doc).to_doc():
                text = f"*{bk.esc(school.name)}* is already set up so: nothing changed. `/scep setup` with no arguments shows the form."
                return Result(text=text, blocks=[bk.section(text)])
        tx.put(*PROFILE, school.to_doc())
        audit(tx, ctx.user_id, ctx.now, "setup" if created else "setup changed", fields={k: v for k, v in clean.items()})
        tx.bind(name=school.name, team_id=ctx.team_id, channel_id=ctx.channel_id)
    return _setup_done(ctx, school, created)


def _setup_done(ctx: Ctx, school: School, created: bool) -> Result:
    titles = [f"{ctx.library.get(c).title} (`{c}`)" if ctx.library.get(c) else c for c in school.cycles]
    verb = "linked to" if created else "updated:"
    year = f"from {school.min_year}" if school.min_year else "the current school year, rolling over by itself"
    text = (
        f":school: This channel is {verb} *{bk.esc(school.name)}* ({school.model}).\n"
        f"Cycles: {', '.join(titles)}\nYear: {year} · Time zone: {school.tz}\n"
        "Next: `/scep next` for what's coming, `/scep timeline` for the whole year."
    )
    return Result(text=text, blocks=[bk.section(text)], public=True)


@subcommand(
    "setup",
    usage="/scep setup <school name> [model:CSI|ATSI|TSI] [cycles:<id>,<id>] [year:<2026-27>] [tz:<IANA zone>]",
    summary="link this channel to a school (no arguments: a form)",
    examples=["/scep setup Lincoln Elementary model:TSI", "/scep setup PS 12 model:CSI tz:America/New_York year:2026-27", "/scep setup Brightwood cycles:sezp-planning"],
    writes=True,
)
def cmd_setup(ctx: Ctx, args: list[str]) -> Result:
    if not args:
        if not ctx.trigger_id:
            raise UserError("Type the school's name: `/scep setup Lincoln Elementary model:TSI`")
        sid = ctx.school_id
        state = SchoolState.read(ctx.store.view(sid)) if sid else None
        if state is None:
            require_member(ctx, "link a channel to a school")
        elif not is_workspace_admin(ctx):
            require(ctx, state.school, "setup")
        return Result(text="Opening the setup form…", open_view=setup_view(ctx, state.school if state else None))
    words, opts = option_args(args, SETUP_KEYS)
    fields = dict(opts)
    if words:
        fields["name"] = " ".join(words)
    return apply_setup(ctx, fields)


def setup_view(ctx: Ctx, school: School | None) -> dict[str, Any]:
    """The setup modal; ``private_metadata`` carries the channel it was opened from."""

    def opt(text: str, value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": text[:75]}, "value": value}

    models = [opt(m, m) for m in MODELS]
    cycles = [opt(f"{c.title} ({c.id})", c.id) for c in (ctx.library.get(i) for i in ctx.library.ids())][:100]
    name_el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": MAX_NAME}
    model_el: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": models}
    cycles_el: dict[str, Any] = {"type": "multi_static_select", "action_id": "value", "options": cycles}
    tz_el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "initial_value": dates.DEFAULT_TZ}
    year_el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "placeholder": {"type": "plain_text", "text": "e.g. 2026-27 (blank: current year)"}}
    if school:
        name_el["initial_value"] = school.name
        model_el["initial_option"] = opt(school.model, school.model)
        chosen = [o for o in cycles if o["value"] in school.cycles]
        if chosen:
            cycles_el["initial_options"] = chosen
        tz_el["initial_value"] = school.tz
        if school.min_year:
            year_el["initial_value"] = school.min_year

    def block(bid: str, label: str, element: dict[str, Any], optional: bool = False) -> dict[str, Any]:
        return {"type": "input", "block_id": bid, "label": {"type": "plain_text", "text": label}, "element": element, "optional": optional}

    return {
        "type": "modal",
        "callback_id": SETUP_CALLBACK,
        "private_metadata": ctx.channel_id,
        "title": {"type": "plain_text", "text": "Set up this school"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            block("name", "School name", name_el),
            block("model", "Support model", model_el),
            block("cycles", "Cycles (blank: the model's defaults)", cycles_el, optional=True),
            block("year", "First school year to track", year_el, optional=True),
            block("tz", "Time zone (IANA)", tz_el),
        ],
    }


def setup_fields_from_view(values: dict[str, Any]) -> dict[str, str]:
    """Setup fields from a submitted setup modal's ``state.values``."""

    def get(bid: str) -> Any:
        el = (values.get(bid) or {}).get("value") or {}
        if "selected_option" in el:
            return (el["selected_option"] or {}).get("value")
        if "selected_options" in el:
            return ",".join(o["value"] for o in el["selected_options"] or [])
        return el.get("value")

    fields = {"name": get("name") or "", "model": get("model") or "TSI", "tz": get("tz") or dates.DEFAULT_TZ}
    if get("cycles"):
        fields["cycles"] = get("cycles")
    if get("year"):
        fields["year"] = get("year")
    return fields


def setup_view_errors(ctx: Ctx, fields: dict[str, str]) -> dict[str, str]:
    """Per-field errors for the setup modal (block id -> message); empty when valid."""
    errors = {}
    for key in ("name", "model", "cycles", "year", "tz"):
        if key in fields:
            try:
                _validate_setup(ctx, {key: fields[key]})
            except UserError as exc:
                errors[key] = str(exc)[:150]
    return errors


# ---------------------------------------------------------------- next / timeline


def _owner_text(state: SchoolState, role: str) -> str:
    people = state.school.roles.get(role) or []
    return role + (" " + " ".join(f"<@{u}>" for u in people) if people else "")


def item_blocks(item: progress.Item, state: SchoolState, ctx: Ctx, *, detail: bool = True) -> list[dict[str, Any]]:
    tz = state.school.tz
    step = item.dated.step
    icon = bk.STATUS_ICON.get(item.status, "")
    line = f"{icon} *{bk.esc(item.title)}*: {bk.when_phrase(item, ctx.now, tz)}" + badges.suffix(state, item, checklist_always=detail)
    if item.scheduled_at:
        line += f"\n:calendar: scheduled for {dates.fmt_local(item.scheduled_at, tz)}"
    if item.status == "waiting":
        cycle = item.dated.cycle
        waits = []
        for a in item.dated.waiting_for:
            ad = cycle.anchors.get(a)
            waits.append(f"{bk.esc(ad.title)}" + (f" (tell me: `{bk.esc(ad.hint)}`)" if ad and ad.hint else "") if ad else a)
        line += "\n:hourglass: waiting for " + "; and ".join(waits)
    if detail and step.purpose:
        line += f"\n{bk.esc(step.purpose)}"
    out = [bk.section(line)]
    if detail:
        ctx_bits = [f"Owner: {_owner_text(state, step.owner)}", f"{item.dated.cycle.title} {item.dated.year}"]
        if step.bring:
            ctx_bits.append("Bring: " + "; ".join(bk.esc(b) for b in step.bring))
        out.append(bk.context(" · ".join(ctx_bits)))
    return out


def item_text(item: progress.Item, ctx: Ctx, tz: str) -> str:
    return f"[{item.status}] {item.title}: {bk.when_phrase(item, ctx.now, tz)}".replace("*", "")


@subcommand("next", usage="/scep next [N]", summary="the next N things for this channel's school (default 3)", examples=["/scep next", "/scep next 5"])
def cmd_next(ctx: Ctx, args: list[str]) -> Result:
    limit = 3
    if args:
        if len(args) > 1 or not 1 <= (small_int(args[0]) or 0) <= 20:
            raise UserError("`/scep next` takes a count from 1 to 20: `/scep next 5`")
        limit = small_int(args[0]) or 3
    state = ctx.state()
    items = progress.next_items(state, ctx.library, ctx.now, limit)
    tz = state.school.tz
    head = f"Next for {bk.esc(state.school.name)} · {dates.fmt_local(ctx.now, tz)}"
    if not items:
        msg = f"{head}\nNothing open, due or coming in the school's cycles. `/scep timeline` shows the whole year."
        return Result(text=msg, blocks=[bk.section(msg)])
    blocks: list[dict[str, Any]] = [bk.section(f"*{head}*")]
    for item in items:
        blocks.extend(item_blocks(item, state, ctx))
    text = head + "\n" + "\n".join(item_text(i, ctx, tz) for i in items)
    return Result(text=text, blocks=bk.fit(blocks))


@subcommand("timeline", usage="/scep timeline [year]", summary="the school's whole year, step by step, with status", examples=["/scep timeline", "/scep timeline 2021-22"])
def cmd_timeline(ctx: Ctx, args: list[str]) -> Result:
    year = None
    if args:
        try:
            year = SchoolYear.parse(" ".join(args))
        except DateError as exc:
            raise UserError(f"{bk.esc(exc)}. `/scep timeline` alone shows the current year.") from None
    state = ctx.state()
    tz = state.school.tz
    blocks: list[dict[str, Any]] = []
    lines = []
    for cycle, y, items in progress.timeline(state, ctx.library, ctx.now, year):
        blocks.append(bk.header(f"{cycle.title} · {y}"))
        lines.append(f"{cycle.title} · {y}")
        rows = []
        for item in items:
            icon = bk.STATUS_ICON.get(item.status, "")
            row = f"{icon} *{bk.esc(item.title)}* · {item.status} · {bk.when_phrase(item, ctx.now, tz)}" + badges.suffix(state, item)
            if item.scheduled_at:
                row += f" · scheduled {dates.fmt_local(item.scheduled_at, tz)}"
            rows.append(row)
            lines.append("  " + item_text(item, ctx, tz))
        for i in range(0, len(rows), 8):
            blocks.append(bk.section("\n".join(rows[i : i + 8])))
    if not blocks:
        return Result(text="This school follows no cycles: `/scep setup cycles:&lt;id&gt;`; see `/scep cycles`.")
    text = f"Timeline for {bk.esc(state.school.name)}\n" + "\n".join(lines)
    return Result(text=text, blocks=bk.fit([bk.section(f"*Timeline for {bk.esc(state.school.name)}*"), *blocks]))


# ---------------------------------------------------------------- schools / cycles / help

PAGE = 20


@subcommand("schools", usage="/scep schools [page]", summary="every school this workspace tracks, with its next item", examples=["/scep schools", "/scep schools 2"])
def cmd_schools(ctx: Ctx, args: list[str]) -> Result:
    """Workspace admins see every school; anyone else the schools where they hold a role (a
    school's dates are not shown to people outside it)."""
    page = 1
    if args:
        page = small_int(args[0]) if len(args) == 1 else None
        if not page:
            raise UserError("`/scep schools` takes a page number: `/scep schools 2`")
    require_member(ctx, "list the workspace's schools")
    from bot.home.view import schools_of

    entries = [e for e in (ctx.store.index_entry(s) for s in ctx.store.school_ids()) if e and e.get("team_id", "") == (ctx.team_id or "")]
    admin = is_workspace_admin(ctx)
    hidden = 0
    if not admin:
        mine = {sid for sid, _ in schools_of(ctx.store, ctx.user_id, ctx.team_id)}
        here = ctx.school_id
        if here:
            mine.add(here)  # the school of the channel you are in
        hidden = len([e for e in entries if e["school_id"] not in mine])
        entries = [e for e in entries if e["school_id"] in mine]
    entries.sort(key=lambda e: (e["name"].lower(), e["school_id"]))
    others = (f"{hidden} other school{'s are' if hidden != 1 else ' is'} not shown: you see the schools where you hold a role "
              "(workspace admins see all).") if hidden else ""
    if not entries:
        if hidden:
            return Result(text=f"You don't hold a role in any school yet. {others}")
        return Result(text="No schools yet. In a school's channel: `/scep setup &lt;school name&gt;`")
    pages = (len(entries) + PAGE - 1) // PAGE
    if page > pages:
        raise UserError(f"There {'is' if pages == 1 else 'are'} {pages} page{'s' if pages > 1 else ''}: `/scep schools {pages}`")
    rows, lines = [], []
    for e in entries[(page - 1) * PAGE : page * PAGE]:
        state = SchoolState.read(ctx.store.view(e["school_id"]))
        if state is None:
            continue
        nxt = progress.next_items(state, ctx.library, ctx.now, 1)
        nxt_text = f"{bk.STATUS_ICON.get(nxt[0].status, '')} {bk.esc(nxt[0].title)}: {bk.when_phrase(nxt[0], ctx.now, state.school.tz)}" if nxt else "nothing due"
        extra = state.school.extra.get("delivery_problem")
        warn = f" · :warning: {bk.esc(extra)}" if extra else ""
        rows.append(f"*{bk.esc(state.school.name)}* · <#{e['channel_id']}> · {state.school.model}{warn}\n      {nxt_text}")
        lines.append(f"{bk.esc(state.school.name)} ({state.school.model}) #{e['channel_id']}: {nxt_text}".replace("*", ""))
    title = f"{len(entries)} school{'s' if len(entries) != 1 else ''}" + (f" · page {page} of {pages}" if pages > 1 else "")
    blocks = [bk.section(f"*{title}*")] + [bk.section("\n".join(rows[i : i + 5])) for i in range(0, len(rows), 5)]
    if page < pages:
        blocks.append(bk.context(f"More: `/scep schools {page + 1}`"))
    if others:
        blocks.append(bk.context(others))
        lines.append(others)
    return Result(text=title + "\n" + "\n".join(lines), blocks=blocks)


@subcommand("cycles", usage="/scep cycles", summary="the cycles available and their steps", examples=["/scep cycles"])
def cmd_cycles(ctx: Ctx, args: list[str]) -> Result:
    rows, lines = [], []
    for cid in ctx.library.ids():
        c = ctx.library.get(cid)
        steps = ", ".join(s.label for s in c.steps[:8]) + ("…" if len(c.steps) > 8 else "")
        note = f"\n      _{bk.esc(c.defaults_note)}_" if c.defaults_note else ""
        rows.append(f"*`{c.id}`* · {bk.esc(c.title)} · {len(c.steps)} steps ({c.reference_year} document)\n      {bk.esc(steps)}{note}")
        lines.append(f"{c.id}: {c.title} ({len(c.steps)} steps)")
    blocks = [bk.section("*Cycles*: use the ids in `/scep setup cycles:&lt;id&gt;,&lt;id&gt;`")] + [bk.section(r) for r in rows]
    if ctx.library.errors:
        blocks.append(bk.section(":warning: Cycle files that could not be loaded:\n```" + bk.esc("\n".join(ctx.library.errors))[:2800] + "```"))
        lines.extend(ctx.library.errors)
    return Result(text="Cycles\n" + "\n".join(lines), blocks=bk.fit(blocks))


def help_reply(unknown: str | None = None) -> Result:
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


__all__ = ["apply_setup", "setup_view", "setup_fields_from_view", "setup_view_errors", "help_reply", "failed"]
