"""Checking what someone typed for a school's setup (command options or the setup form)."""

from __future__ import annotations

from typing import Any

from bot.calendar import dates
from bot.calendar.closures import check_state
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.cycles import MODELS_BY_STATE, canonical_model
from bot.calendar.editions import default_candidates, valid_cycles
from bot.calendar.dates import DateError, SchoolYear
from bot.core import blocks as bk
from bot.errors import UserError

MAX_NAME = 120  # characters of a school's name
FIELDS = ("name", "model", "cycles", "year", "tz", "state")
DEFAULTS_WORD = "defaults"  # in cycles:, the model's default cycles (followed edition by edition)
STATE_NAMES = {"NY": "New York", "MA": "Massachusetts", "MS": "Mississippi"}


def models_text(state: str | None = None) -> str:
    """The models to choose from, by state (``state``: only that state's)."""
    rows = [(s, ms) for s, ms in MODELS_BY_STATE.items() if state in (None, s)]
    return "; ".join(f"{', '.join(ms)} ({STATE_NAMES[s]})" for s, ms in rows)


def check_fit(library: CycleLibrary, model: str, cycles: list[str], defaults: bool, state: str | None) -> None:
    """A UserError naming the valid choices when ``model`` does not go with the ``cycles`` (or
    its defaults, or its ``state``: a US code, None when not given)."""
    if state in MODELS_BY_STATE and model not in MODELS_BY_STATE[state]:
        raise UserError(f"{STATE_NAMES[state]} schools follow the {models_text(state).split(' (')[0]} model{'s' if len(MODELS_BY_STATE[state]) > 1 else ''}, not {model}: "
                        f"`model:{MODELS_BY_STATE[state][0]}`, or another `state:` (models: {models_text()}).")
    valid = valid_cycles(library.cycles.values(), model)
    wrong = [c for c in cycles if library.get(c) is not None and not library.cycles[c].fits(model)]
    if wrong:
        fits = ", ".join(f"`{m}`" for m in sorted({m for c in wrong for m in library.cycles[c].models}))
        raise UserError(f"{', '.join(f'`{c}`' for c in wrong)} {'is' if len(wrong) == 1 else 'are'} for {fits} schools, not {model}. "
                        f"A {model} school can follow: " + (", ".join(f"`{c}`" for c in valid) or "no cycle yet") + f" (or `cycles:{DEFAULTS_WORD}`).")
    if defaults and not cycles and not default_candidates(library.cycles.values(), model):
        raise UserError(f"No cycle is a default for {model} schools: name the cycles to follow, like `cycles:{valid[0] if valid else 'my-district'}`. "
                        f"A {model} school can follow: " + (", ".join(f"`{c}`" for c in valid) or "no cycle yet: add your district's file (docs/cycle-files.md)") + ".")


def validate_setup(library: CycleLibrary, fields: dict[str, str]) -> dict[str, Any]:
    """Check setup fields as typed; the cleaned values (``name``, ``model``, ``cycles``,
    ``min_year``, ``tz``, ``state``: a US state code), or a UserError naming the valid choices."""
    out: dict[str, Any] = {}
    if "name" in fields:
        name = " ".join(fields["name"].split())
        if not name:
            raise UserError("Give the school a name: `/scep setup Lincoln Elementary`")
        if len(name) > MAX_NAME:
            raise UserError(f"That school name is {len(name)} characters long; keep it under {MAX_NAME}.")
        out["name"] = name
    if fields.get("model"):
        model = canonical_model(fields["model"])
        if model is None:
            raise UserError(f"'{bk.esc(bk.clip(fields['model'], 40))}' is not a support model. Choose one of: {models_text()}")
        out["model"] = model
    if fields.get("cycles") is not None and "cycles" in fields:
        ids = [c.strip().lower() for c in fields["cycles"].replace(" ", ",").split(",") if c.strip()]
        if not ids:
            raise UserError("Name at least one cycle, like `cycles:nysed-tsi-visits` (or `cycles:defaults`). Available: " + ", ".join(library.ids()))
        unknown = [c for c in ids if c != DEFAULTS_WORD and library.get(c) is None]
        if unknown:
            raise UserError(f"I don't know the cycle{'s' if len(unknown) > 1 else ''} {bk.esc(bk.clip(', '.join(unknown), 200))}. Available: " + ", ".join(f"`{c}`" for c in library.ids()) + f", or `{DEFAULTS_WORD}` (the model's own, the edition in force each year)")
        out["default_cycles"] = DEFAULTS_WORD in ids
        out["cycles"] = [c for c in dict.fromkeys(ids) if c != DEFAULTS_WORD]
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
    if fields.get("state"):
        try:
            out["state"] = check_state(fields["state"])
        except ValueError as exc:
            raise UserError(bk.esc(exc) + " (its public holidays close the school: `/scep holidays`)") from None
    return out


def form_errors(library: CycleLibrary, fields: dict[str, str]) -> dict[str, str]:
    """Per-field errors for the setup form (block id -> message, at most 150 characters); empty when valid."""
    errors = {}
    for key in FIELDS:
        if key in fields:
            try:
                validate_setup(library, {key: fields[key]})
            except UserError as exc:
                errors[key] = str(exc)[:150]
    if not errors and fields.get("model"):
        clean = validate_setup(library, fields)
        try:
            check_fit(library, clean["model"], clean.get("cycles", []), clean.get("default_cycles", "cycles" not in fields), clean.get("state"))
        except UserError as exc:
            errors["cycles"] = str(exc)[:150]
    return errors
