"""A school's calendar of record: its state's public holidays, the district's closures and the
school's own, gathered into one ``bot.calendar.closures.Calendar`` that every sender and the
calendar engine read.

Where each comes from (all local dates of the school):

- the state: the profile's ``state`` (a US state code), else the model's
  (``STATE_BY_MODEL``: New York for CSI/ATSI/TSI, Massachusetts for SEZP, Mississippi for SIG/Priority/Focus); ``public_holidays: false`` in the profile
  turns them off;
- the district: the setting ``DISTRICT_HOLIDAYS_SETTING``, one list of closures per workspace
  (typed with ``/scep holidays add``, imported from an iCalendar file, or ``/scep remind
  district-holiday:``), attached to the school's state by ``read_school`` / ``attach_district``;
- the school: the profile's ``holidays`` (``/scep remind holiday:``).
"""

from __future__ import annotations

from bot.calendar import district_dates
from bot.calendar.closures import Calendar, closure_from_entry
from bot.calendar.cycles import Cycle
from bot.calendar.cycles import MODELS_BY_STATE
from bot.core.schools import School, SchoolState
from bot.store.port import Store
from bot.store.schema import DISTRICT_DATES_SETTING, DISTRICT_HOLIDAYS_SETTING

STATE_BY_MODEL = {m: state for state, ms in MODELS_BY_STATE.items() for m in ms}  # TSI: NY, SEZP: MA, ...
DISTRICT_KEY = "_district"  # School.extra["_district"]: the workspace's settings, attached by readers
DATES_KEY = "_district_dates"  # School.extra: the district's own dates (a workspace setting), attached by readers
PUBLIC_KEY = "public_holidays"  # School.extra: False turns the state's public holidays off


def school_state_code(school: School) -> str | None:
    """The US state whose public holidays the school keeps (None: none known)."""
    return school.state or STATE_BY_MODEL.get(school.model)


ALL_WORKSPACES = "*"  # key of the closures stored before they were kept per workspace


def district_entries_of(value, team_id: str | None) -> list:
    """Workspace ``team_id``'s closures in the setting's ``value`` ({team id: [entries]}; a plain
    list, as written before closures were kept per workspace, is every workspace's)."""
    if isinstance(value, dict):
        return list(value.get(team_id or "", value.get(ALL_WORKSPACES)) or [])
    return list(value or [])


def with_district_entries(value, team_id: str | None, entries: list) -> dict:
    """The setting's ``value`` with workspace ``team_id``'s closures replaced by ``entries``
    (the other workspaces' kept; a legacy plain list kept for the workspaces that have none)."""
    out = dict(value) if isinstance(value, dict) else ({ALL_WORKSPACES: list(value)} if value else {})
    out[team_id or ""] = list(entries)
    return out


def attach_district(state: SchoolState, value) -> SchoolState:
    """Give ``state`` its workspace's district closures (``value``: the setting, or a list of
    entries) so its calendar knows them."""
    state.school.extra[DISTRICT_KEY] = {"holidays": district_entries_of(value, state.school.team_id)}
    return state


def district_dates_of(value, team_id: str | None) -> dict:
    """Workspace ``team_id``'s own dates in the setting's ``value`` ({team id: {"<cycle>/<step>": ...}})."""
    ours = value.get(team_id or "") if isinstance(value, dict) else None
    return dict(ours) if isinstance(ours, dict) else {}


def attach_district_dates(state: SchoolState, value: dict | None) -> SchoolState:
    """Give ``state`` its workspace's own dates for default ones (``/scep dates``; ``value``: the setting)."""
    state.school.extra[DATES_KEY] = district_dates_of(value, state.school.team_id)
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
