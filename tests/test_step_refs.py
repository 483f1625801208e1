"""Steps named as people say them: a table, the ambiguous and unknown cases, and any text
giving a step or a clear error."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.calendar.cycle_files import CycleLibrary
from bot.core.schools import School, SchoolState
from bot.core.steps import (
    AmbiguousStep,
    StepRef,
    UnknownStep,
    resolve,
    school_steps,
    split_ref,
)
from bot.errors import UserError

NOW = datetime(2021, 11, 2, 13, 0, tzinfo=timezone.utc)
LIB = CycleLibrary.load()
STATE = SchoolState(
    School("s1", "Lincoln", "T1", "C1", cycles=["nysed-tsi-visits", "nysed-planning-sessions", "sezp-planning", "district-plan-review"]),
    {}, {},
)

REFS = [
    ("visit 2", "nysed-tsi-visits/visit-2"),
    ("v2", "nysed-tsi-visits/visit-2"),
    ("V2", "nysed-tsi-visits/visit-2"),
    ("visit #2", "nysed-tsi-visits/visit-2"),
    ("2nd visit", "nysed-tsi-visits/visit-2"),
    ("second visit", "nysed-tsi-visits/visit-2"),
    ("Visit Two", "nysed-tsi-visits/visit-2"),
    ("visit-2", "nysed-tsi-visits/visit-2"),
    ("nysed-tsi-visits/visit-2", "nysed-tsi-visits/visit-2"),
    ("SCEP Support Visit 5", "nysed-tsi-visits/visit-5"),
    ("final visit", "nysed-tsi-visits/visit-5"),
    ("session 1", "nysed-planning-sessions/session-1"),
    ("s1", "nysed-planning-sessions/session-1"),
    ("ps1", "nysed-planning-sessions/session-1"),
    ("planning session 1", "nysed-planning-sessions/session-1"),
    ("Session One", "nysed-planning-sessions/session-1"),
    ("fall session", "nysed-planning-sessions/session-1"),
    ("priority levers", "sezp-planning/priority-levers"),
    ("Priority Levers Form", "sezp-planning/priority-levers"),
    ("levers", "sezp-planning/priority-levers"),
    ("priority lever goals", "sezp-planning/priority-lever-goals"),
    ("strategic action plan", "sezp-planning/strategic-action-plan"),
    ("SAP", "sezp-planning/strategic-action-plan"),
    ("action plan", "sezp-planning/strategic-action-plan"),
    ("faculty handbook", "sezp-planning/faculty-handbook"),
    ("fall check-in", "district-plan-review/checkin-fall"),
    ("checkin 1", "district-plan-review/checkin-fall"),
    ("first draft", "district-plan-review/first-draft"),
]


@pytest.mark.parametrize("text, key", REFS, ids=[r[0] for r in REFS])
def test_reference_names_the_step(text, key):
    ref = resolve(STATE, LIB, NOW, text)
    assert ref.key == key


def test_ambiguous_references_list_the_matches():
    with pytest.raises(AmbiguousStep) as exc:
        resolve(STATE, LIB, NOW, "visit")
    for n in range(1, 6):
        assert f"`Visit {n}`" in str(exc.value)
    with pytest.raises(AmbiguousStep) as exc:
        resolve(STATE, LIB, NOW, "check in")
    assert "`Fall check-in`" in str(exc.value) and "`Spring check-in`" in str(exc.value)


def test_unknown_references_list_the_schools_steps_and_suggest():
    with pytest.raises(UnknownStep) as exc:
        resolve(STATE, LIB, NOW, "visit 9")
    assert "no step called 'visit 9'" in str(exc.value) and "`Visit 1`" in str(exc.value)
    with pytest.raises(UnknownStep) as exc:
        resolve(STATE, LIB, NOW, "vist 2")
    assert "Did you mean `Visit 2`?" in str(exc.value)
    only_visits = SchoolState(School("s2", "PS 7", "T1", "C2", cycles=["nysed-tsi-visits"]), {}, {})
    with pytest.raises(UnknownStep) as exc:
        resolve(only_visits, LIB, NOW, "priority levers")
    assert "`Session 1`" not in str(exc.value) and "`Visit 5`" in str(exc.value)


def test_a_step_at_the_head_of_a_command():
    steps = school_steps(STATE, LIB, NOW)

    def label(tail: str):
        if tail not in ("", "draft", "final"):
            raise UserError("say draft or final")
        return tail or None

    ref, lab = split_ref(steps, "priority levers draft".split(), label)
    assert (ref.key, lab) == ("sezp-planning/priority-levers", "draft")
    ref, lab = split_ref(steps, "priority lever goals final".split(), label)
    assert (ref.key, lab) == ("sezp-planning/priority-lever-goals", "final")
    ref, lab = split_ref(steps, ["visit 2"], label)  # quoted: one word
    assert (ref.key, lab) == ("nysed-tsi-visits/visit-2", None)
    with pytest.raises(UserError, match="say draft or final"):
        split_ref(steps, "visit 2 soon".split(), label)
    with pytest.raises(AmbiguousStep):
        split_ref(steps, "visit draft".split(), label)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), st.lists(st.sampled_from(["visit", "v2", "session", "1", "2nd", "priority", "levers", "#",
                                                               "plan", "check-in", "draft", "final", "s", "ps", "five", "-", "/"]),
                                                max_size=6).map(" ".join)))
def test_any_text_gives_a_step_or_a_clear_error(text):
    try:
        ref = resolve(STATE, LIB, NOW, text)
    except UserError as exc:
        assert str(exc).strip()
        return
    assert isinstance(ref, StepRef) and ref.key
