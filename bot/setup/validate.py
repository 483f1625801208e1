"""Checking what someone typed for a school's setup (command options or the setup form)."""

from __future__ import annotations

from typing import Any

from bot.calendar import dates
from bot.calendar.closures import check_state
from bot.calendar.cycle_files import CycleLibrary
from bot.calendar.cycles import MODELS
from bot.calendar.dates import DateError, SchoolYear
from bot.core import blocks as bk
from bot.errors import UserError

MAX_NAME = 120  # characters of a school's name
FIELDS = ("name", "model", "cycles", "year", "tz", "state")


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
        model = fields["model"].upper()
        if model not in MODELS:
            raise UserError(f"'{bk.esc(bk.clip(fields['model'], 40))}' is not a support model. Choose one of: {', '.join(MODELS)}")
        out["model"] = model
    if fields.get("cycles") is not None and "cycles" in fields:
        ids = [c.strip().lower() for c in fields["cycles"].replace(" ", ",").split(",") if c.strip()]
        if not ids:
            raise UserError("Name at least one cycle, like `cycles:nysed-tsi-visits`. Available: " + ", ".join(library.ids()))
        unknown = [c for c in ids if library.get(c) is None]
        if unknown:
            raise UserError(f"I don't know the cycle{'s' if len(unknown) > 1 else ''} {bk.esc(bk.clip(', '.join(unknown), 200))}. Available: " + ", ".join(f"`{c}`" for c in library.ids()))
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
    return errors
