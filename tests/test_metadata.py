"""The codec of private_metadata, button values and block ids (bot/core/metadata.py): the
strings are those the bot has always written, and anything malformed decodes to None."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import metadata as M

KEY = "2021-22:nysed-tsi-visits/visit-2"
SHAPES = [M.StepButton, M.StepForm, M.LabelButton, M.ReviewButton, M.FeedbackForm, M.ChecklistBlock,
          M.CurrentChecklistButton, M.RolesForm, M.NudgeButton]


def test_encoded_strings_are_the_ones_already_posted():
    assert M.StepButton("s1", KEY).encode() == f"s1|{KEY}"
    assert M.StepForm("s1", KEY, "C1").encode() == f"s1|{KEY}|C1"
    assert M.StepForm("s1", KEY, "").encode() == f"s1|{KEY}|"
    assert M.LabelButton("s1", KEY, "held").encode() == f"s1|{KEY}|held"
    assert M.ReviewButton("s1", KEY, 2).encode() == f"s1|{KEY}|2"
    assert M.ReviewButton("s1", KEY, 2).block_id == "rv|s1|2"
    assert M.FeedbackForm(M.ReviewButton("s1", KEY, 2), "D1", "1.2").encode() == f"s1|{KEY}|2|D1|1.2"
    assert M.ChecklistBlock("s1", KEY, "abcd1234", 3).encode() == f"ck|s1|{KEY}|abcd1234|3"
    assert M.StepButtonsBlock("s1", KEY).encode() == f"ckb|s1|{KEY}"
    assert M.CurrentChecklistButton("s1", "nysed-tsi-visits/visit-2").encode() == "s1|nysed-tsi-visits/visit-2"
    assert M.RolesForm("s1", "C1").encode() == "s1|C1"


def test_round_trips():
    for value in (f"s1|{KEY}", ):
        assert M.StepButton.decode(value).encode() == value
    for value in (f"s1|{KEY}|C1", f"s1|{KEY}|"):
        assert M.StepForm.decode(value).encode() == value
    assert M.ReviewButton.decode(f"s1|{KEY}|7") == M.ReviewButton("s1", KEY, 7)
    assert M.FeedbackForm.decode(f"s1|{KEY}|7||").message is None
    assert M.FeedbackForm.decode(f"s1|{KEY}|7|D1|1.2").message == ("D1", "1.2")
    assert M.ChecklistBlock.decode(f"ck|s1|{KEY}|v|12") == M.ChecklistBlock("s1", KEY, "v", 12)
    for value in ("s1|2021-22:sezp-planning/priority-levers:draft|before-10", "s1|2021-22:nysed-tsi-visits/visit-2|closing"):
        assert M.NudgeButton.decode(value).encode() == value
    b = M.NudgeButton.decode("s1|2021-22:sezp-planning/priority-levers:draft|before-10")
    assert (b.school_id, b.year.name, b.cycle_id, b.step_id, b.label, b.rule) == ("s1", "2021-22", "sezp-planning", "priority-levers", "draft", "before-10")
    assert b.same_nudge(M.NudgeButton.decode("s1|2021-22:sezp-planning/priority-levers:draft|overdue"))
    assert not b.same_nudge(M.NudgeButton.decode("s1|2021-22:sezp-planning/priority-levers:final|overdue"))


def test_malformed_is_none():
    assert M.StepForm.decode(f"s1|{KEY}") is None
    assert M.origin_channel(f"s1|{KEY}") == "" and M.origin_channel(None) == "" and M.origin_channel(f"s1|{KEY}|C9") == "C9"
    assert M.ReviewButton.decode(f"s1|{KEY}|²") is None
    assert M.ReviewButton.decode(f"s1|{KEY}|{'9' * 50}") is None
    assert M.ChecklistBlock.decode(f"ckb|s1|{KEY}|v|1") is None
    assert M.ChecklistBlock.decode(f"ck|s1|{KEY}|v|1001") is None
    assert M.NudgeButton.decode("s1|nysed-tsi-visits/visit-2|closing") is None
    assert M.NudgeButton.decode("s1|2021-22:a/b/c|closing") is None
    assert M.NudgeButton.decode("s1|2099-01:a/b|closing") is None
    assert M.CurrentChecklistButton.decode("s1") is None
    assert M.RolesForm.decode(["s1", "C1"]) is None


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), st.lists(st.sampled_from(["s1", KEY, "ck", "2", "", ":", "/", "2021-22:x/y:z", "²"]), max_size=7).map("|".join),
                 st.none(), st.integers()))
def test_decode_never_raises(text):
    for shape in SHAPES:
        decoded = shape.decode(text)
        assert decoded is None or isinstance(decoded, shape)
