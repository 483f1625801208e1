"""A school's calendar of record: its state's public holidays, the district's closures and the
school's own, gathered into one ``bot.calendar.closures.Calendar`` that every sender and the
calendar engine read.

Where each comes from (all local dates of the school):

- the state: the profile's ``state`` (a US state code), else the model's
  (``STATE_BY_MODEL``: New York for CSI/ATSI/TSI); ``public_holidays: false`` in the profile
  turns them off;
- the district: the workspace setting ``DISTRICT_HOLIDAYS_SETTING`` (closures typed with
  ``/scep holidays add``, imported from an iCalendar file, or ``/scep remind district-holiday:``),
  attached to the school's state by ``read_school`` / ``attach_district``;
- the school: the profile's ``holidays`` (``/scep remind holiday:``).
"""

from __future__ import annotations

from bot.calendar import district_dates
from bot.calendar.closures import Calendar, closure_from_entry
from bot.calendar.cycles import Cycle
from bot.core.schools import School, SchoolState
from bot.store.port import Store
from bot.store.schema import DISTRICT_DATES_SETTING, DISTRICT_HOLIDAYS_SETTING

STATE_BY_MODEL = {"CSI": "NY", "ATSI": "NY", "TSI": "NY"}
DISTRICT_KEY = "_district"  # School.extra["_district"]: the workspace's settings, attached by readers
DATES_KEY = "_district_dates"  # School.extra: the district's own dates (a workspace setting), attached by readers
PUBLIC_KEY = "public_holidays"  # School.extra: False turns the state's public holidays off


def school_state_code(school: School) -> str | None:
    """The US state whose public holidays the school keeps (None: none known)."""
    return school.state or STATE_BY_MODEL.get(school.model)


def attach_district(state: SchoolState, entries: list | None) -> SchoolState:
    """Give ``state`` the district's closures (a workspace setting) so its calendar knows them."""
    state.school.extra[DISTRICT_KEY] = {"holidays": list(entries or [])}
    return state


def attach_district_dates(state: SchoolState, changes: dict | None) -> SchoolState:
    """Give ``state`` the district's own dates for default ones (``/scep dates``)."""
    state.school.extra[DATES_KEY] = dict(changes or {}) if isinstance(changes, dict) else {}
    return state


def dated_cycle(cycle: Cycle, school: School) -> Cycle:
    """``cycle`` with the district's own dates attached to ``school`` (the same cycle if none)."""
    return district_dates.apply(cycle, school.extra.get(DATES_KEY))


def district_entries(school: School) -> list:
    return list((school.extra.get(DISTRICT_KEY) or {}).get("holidays") or [])


def read_school(store: Store, school_id: str | None) -> SchoolState | None:
    """The school's state with the district's closures attached (None: no such school)."""
    if not school_id:
        return None
    state = SchoolState.read(store.view(school_id))
    if state is not None:
        attach_district(state, store.get_setting(DISTRICT_HOLIDAYS_SETTING, []))
        attach_district_dates(state, store.get_setting(DISTRICT_DATES_SETTING, {}))
    return state


_MEMO: dict[tuple, Calendar] = {}


def school_calendar(school: School) -> Calendar:
    """The school's closed days (memoised by what they are made of)."""
    public = school.extra.get(PUBLIC_KEY) is not False
    code = school_state_code(school) if public else None
    district = district_entries(school)
    key = (code, repr(district), tuple(school.holidays or ()))
    hit = _MEMO.get(key)
    if hit is None:
        closures = [c for c in (closure_from_entry(e, "district") for e in district) if c]
        closures += [c for c in (closure_from_entry(e, "school") for e in school.holidays or ()) if c]
        if len(_MEMO) > 10_000:
            _MEMO.clear()
        hit = _MEMO[key] = Calendar(code, tuple(closures))
    return hit
