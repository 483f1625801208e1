"""A form acts only where the bot opened it (issue 10, item 5): every view's ``private_metadata``
is sealed by the bot (HMAC under its own key, bound to the form's callback id) and a submission,
or a click in a form, whose metadata the bot did not seal is refused with a clear message before
any listener runs. The "sealed as the bot would" cases are the authorization matrix
(tests/test_authorization.py); here: forgeries."""

from __future__ import annotations

import json

import pytest

from bot.core.metadata import seal, unseal
from handlers.sealed_views import FORGED, KEY_SETTING, metadata_key
from tests import authz_world as W
from tests.authz_world import A_CHANNEL, B_CHANNEL, World, observe

SCHEDULE_VALUES = {"date": {"value": {"type": "datepicker", "selected_date": "2021-12-14"}},
                   "time": {"value": {"type": "timepicker", "selected_time": "10:00"}}}
SETUP_VALUES = {"name": W.text_input("Taken Over"), "model": W.select("value", "TSI"), "tz": W.text_input("America/New_York")}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    yield from W.module_world(tmp_path_factory, "forms")


@pytest.fixture
def world(shared) -> World:
    shared.reset_all()
    shared.bot.fake.clear()
    return shared


def forged_refused(seen) -> bool:
    """The form was answered with the forgery notice in place of the form."""
    return seen.answer.status == 200 and seen.answer.json.get("response_action") == "update" and "couldn't verify this form" in seen.answer.body


def test_seal_round_trip_and_what_breaks_it():
    key, other = b"k" * 32, b"o" * 32
    sealed = seal(key, "scep_schedule", "S1|2021-22:c/s|C1")
    assert unseal(key, "scep_schedule", sealed) == "S1|2021-22:c/s|C1"
    assert unseal(other, "scep_schedule", sealed) is None  # another bot's key
    assert unseal(key, "scep_roles", sealed) is None  # another form's metadata
    assert unseal(key, "scep_schedule", sealed.replace("C1", "C2")) is None  # a changed channel
    assert unseal(key, "scep_schedule", "S1|2021-22:c/s|C1") is None  # no seal
    assert all(unseal(key, "x", v) is None for v in (None, 5, "", "~", "a~b~c"))


@pytest.mark.parametrize("who", ["other", "stranger", "liaison"])
def test_a_forged_schedule_form_does_not_reschedule_another_schools_visit(world, who):
    """Metadata naming school A's step and A's channel, not sealed by the bot: refused, even from A's liaison."""
    meta = f"{world.a}|{world.key('visit 2')}|{A_CHANNEL}"
    for forged in (meta, seal(b"x" * 32, "scep_schedule", meta)):
        seen = observe(world, lambda: world.bot.interactive(W.submission(W.PEOPLE[who], "scep_schedule", forged, SCHEDULE_VALUES)))
        assert forged_refused(seen), seen.shown[:500]
        assert not seen.wrote and not world.step_doc("visit 2").get("scheduled_at")
        assert not seen.posts_in(A_CHANNEL)


def test_a_forged_setup_form_links_no_channel(world):
    """Linking any channel id and becoming its liaison: refused; so is metadata the bot sealed for another form."""
    before = set(world.store.school_ids())
    for meta in ("C0ANYCHAN", B_CHANNEL, world.bot.seal("scep_commitments", "C0ANYCHAN")):
        seen = observe(world, lambda: world.bot.interactive(W.submission(W.STRANGER, "scep_setup", meta, SETUP_VALUES)))
        assert forged_refused(seen), seen.shown[:500]
        assert world.store.school_for_channel(W.TEAM_ID, "C0ANYCHAN") is None
        assert set(world.store.school_ids()) == before and not seen.wrote_b


def test_the_same_setup_form_sealed_by_the_bot_links_the_channel(world, tmp_path):
    """The control: the bot's own seal on that metadata is accepted (so the refusals above are the seal's)."""
    seen = observe(world, lambda: world.bot.interactive(W.submission(W.STRANGER, "scep_setup", "C0NEWCHAN", SETUP_VALUES, sealed_by=world.bot)))
    assert not forged_refused(seen)
    assert world.store.school_for_channel(W.TEAM_ID, "C0NEWCHAN") is not None


def test_a_click_in_a_forged_checklist_modal_is_refused_with_a_notice(world):
    view = {"type": "modal", "callback_id": "scep_checklist", "private_metadata": f"{world.a}|{world.key('visit 1')}|{A_CHANNEL}",
            "blocks": world.checklist["blocks"]}
    block = next(b for b in world.checklist["blocks"] if str(b.get("block_id", "")).startswith("ck|"))
    options = [o for el in block["elements"] if el.get("type") == "checkboxes" for o in el["options"]]
    action = {"action_id": "ck_toggle_0", "type": "checkboxes", "block_id": block["block_id"], "selected_options": options[:1]}
    seen = observe(world, lambda: world.bot.interactive(W.click(world.bot, W.STRANGER, action, where=None, view=view)))
    assert seen.answer.status == 200 and not seen.wrote
    assert FORGED in seen.shown and seen.of("views.push"), seen.shown[:500]


def test_the_forms_the_bot_opens_are_sealed(world):
    seen = observe(world, lambda: world.bot.command("setup", channel=A_CHANNEL))
    meta = seen.views("scep_setup")[-1]["private_metadata"]
    assert meta != A_CHANNEL and unseal(metadata_key(world.bot.services), "scep_setup", meta) == A_CHANNEL


def test_the_key_is_the_stores_and_survives_a_restart(world):
    key = metadata_key(world.bot.services)
    assert len(key) == 32 and world.store.get_setting(KEY_SETTING) == key.hex()
    fresh = type(world.bot.services)(store=world.store, library=world.bot.services.library, clock=world.bot.services.clock,
                                    settings=world.bot.services.settings)
    assert metadata_key(fresh) == key  # another process on the same store: the same key
    assert json.dumps(key.hex()) not in world.bot.fake.calls.__repr__()
