"""The bot's own flows on the PostgreSQL store: a few end-to-end tests of other modules run again
with the ``bot`` fixture overridden by one whose store is a fresh, migrated PostgreSQL database
(setup and /scep next, notes captured, edited, deleted and retried, steps done and undone,
sweeps racing for the same nudges, a nudge's button). Each wrapper calls the original test."""

from __future__ import annotations

import pytest

from bot.calendar import dates
from bot.store.postgres_migrations import migrate
from bot.store.postgres_store import PostgresStore
from tests import test_notes_capture as notes_tests
from tests import test_slash_commands as slash_tests
from tests import test_step_commands as step_tests
from tests import test_sweep as sweep_tests
from tests.harness import Bot
from tests.nudge_driver import add_people


@pytest.fixture
def bot(tmp_path, fake, postgres_db):
    migrate(postgres_db)
    b = Bot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"), database_url=postgres_db)
    assert isinstance(b.services.store, PostgresStore)
    yield b
    b.close()


@pytest.fixture
def people(fake):
    add_people(fake)
    return fake


def test_setup_then_next(bot):
    slash_tests.test_setup_then_next_gives_the_open_visit_window(bot)


def test_setup_again_updates_the_school(bot):
    slash_tests.test_setup_again_updates_the_school(bot)


def test_schools_lists_every_school(bot):
    slash_tests.test_schools_lists_every_school_with_its_next_item(bot)


def test_done_and_undo_a_visit(bot):
    step_tests.test_done_and_undo_a_visit(bot)


def test_note_retries_never_duplicate(bot):
    notes_tests.test_retries_never_duplicate(bot)


def test_note_edit_and_delete(bot):
    notes_tests.test_edit_updates_and_retags_delete_removes(bot)


def test_notes_listing(bot):
    notes_tests.test_notes_listing_groups_by_commitment_and_names_the_missing(bot)


def test_two_sweeps_at_the_same_moment_post_each_nudge_once(people, bot, nudges_only):
    sweep_tests.test_two_sweeps_at_the_same_moment_post_each_nudge_once(people, bot)


def test_mark_done_cancels_the_remaining_nudges(people, bot, nudges_only):
    sweep_tests.test_mark_done_cancels_the_remaining_nudges(people, bot)
