"""Editions of the guidance: which cycles a school follows in a school year.

A cycle file with an ``edition`` is one edition of a guidance (``of``), in force from a school
year (``from``) until the next edition of the same guidance for the same model replaces it, or
until its own ``until``; before the first edition of a guidance, the first one applies (its dates
carried back, as every cycle's are). A school following its model's defaults gets, for each
guidance, the edition in force for the year (NYSED: the 2021-22 Support Visits for TSI schools
until 2023-24, the 2024-25 Planning Sessions for CSI, ATSI and TSI from 2024-25), never two at
once; cycles a district names explicitly are followed every year on top.
"""

from __future__ import annotations

from typing import Iterable

from bot.calendar.cycles import Cycle
from bot.calendar.dates import SchoolYear


def link_editions(cycles: Iterable[Cycle]) -> None:
    """Tell every cycle with an ``edition`` the other editions of its guidance (in place)."""
    cycles = list(cycles)
    for c in cycles:
        if c.edition is not None:
            c._editions = [o for o in cycles if o.edition is not None and o.edition.of == c.edition.of]


def in_force(cycle: Cycle, model: str, year: SchoolYear) -> bool:
    """Whether ``cycle`` is the edition of its guidance in force for a ``model`` school in ``year``
    (False for a cycle that is no edition: it is only ever followed by name)."""
    ed = cycle.edition
    if ed is None or not cycle.fits(model):
        return False
    siblings = [c for c in (cycle._editions or [cycle]) if c.edition is not None and c.fits(model)]
    siblings.sort(key=lambda c: (SchoolYear.parse(c.edition.from_), c.id))  # type: ignore[union-attr]
    i = next(i for i, c in enumerate(siblings) if c is cycle)
    start = SchoolYear.parse(ed.from_)
    if i > 0 and year < start:
        return False
    if ed.until and year > SchoolYear.parse(ed.until):
        return False
    # replaced from the first year a later edition of the same guidance starts
    return not any(SchoolYear.parse(c.edition.from_) <= year for c in siblings[i + 1:])  # type: ignore[union-attr]


def defaults_for(cycles: Iterable[Cycle], model: str, year: SchoolYear) -> list[Cycle]:
    """The cycles a ``model`` school follows by default in ``year``: one edition per guidance."""
    return [c for c in cycles if in_force(c, model, year)]


def default_candidates(cycles: Iterable[Cycle], model: str) -> list[Cycle]:
    """Every edition a ``model`` school may follow by default in some year, oldest first."""
    out = [c for c in cycles if c.edition is not None and c.fits(model)]
    return sorted(out, key=lambda c: (SchoolYear.parse(c.edition.from_), c.id))  # type: ignore[union-attr]


def valid_cycles(cycles: Iterable[Cycle], model: str) -> list[str]:
    """The ids of the cycles a ``model`` school may follow (named or by default)."""
    return sorted(c.id for c in cycles if c.fits(model))
