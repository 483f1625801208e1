"""Any text after /scep gives an answer or a clear error: never an exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.calendar import dates
from bot.core.command import dispatch, parse, split_args
from bot.core.context import Ctx
from bot.root.services import build_services
from bot.root.settings import Settings
from bot.setup.apply import apply_setup

WORDS = st.sampled_from(["setup", "next", "timeline", "schools", "cycles", "roles", "help", "model:TSI", "model:", "cycles:",
                         "year:2021-22", "year:", "tz:", "tz:America/Chicago", "5", "0", "-1", "99999999999", '"', "“", "<@U123>",
                         "<!channel>", "liaison:", "team:<@U1|x>", "2021-22", "visit", "\x00", "é", "   "])


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    svc = build_services(Settings(data_dir=tmp_path_factory.mktemp("data")), clock=lambda: dates.parse_instant("2022-01-10T15:00:00Z"))
    ctx = Ctx(svc.store, svc.library, svc.clock(), "T1", "C1", "U1")
    apply_setup(ctx, {"name": "PS 1"})
    yield svc
    svc.store.close()


@given(st.text(max_size=300))
def test_split_args_never_raises(text):
    assert isinstance(split_args(text), list)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=200), st.lists(WORDS, max_size=6).map(" ".join)))
def test_any_read_command_answers_without_raising(services, text):
    verb = parse(text)[0] if len(text) <= 4000 else "help"
    if verb in ("setup", "roles"):  # writes: exercised in the write test below
        text = "next " + text
    for channel in ("C1", "C-unlinked"):
        ctx = Ctx(services.store, services.library, services.clock(), "T1", channel, "U1")
        reply = dispatch(ctx, text)
        assert reply.text
        if reply.error:
            assert reply.text.startswith(":warning:") or "I don't know" in reply.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(WORDS, min_size=1, max_size=6).map(" ".join))
def test_any_setup_text_answers_and_keeps_one_school_per_channel(services, text):
    ctx = Ctx(services.store, services.library, services.clock(), "T1", "C2", "U1")
    reply = dispatch(ctx, "setup " + text)
    assert reply.text
    assert len([s for s in services.store.school_ids() if services.store.index_entry(s)["channel_id"] == "C2"]) <= 1
