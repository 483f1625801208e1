"""PRIVACY.md's inventory holds every kind of document and every setting the bot stores
(bot/store/schema.py), and the commands it tells an admin to type exist."""

from __future__ import annotations

from pathlib import Path

from bot.core.command import REGISTRY, load_features
from bot.privacy.records import kinds, setting_names
from bot.privacy.retention import DEFAULT_YEARS, LAST_RUN_SETTING

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "PRIVACY.md").read_text()


def test_every_kind_and_setting_is_in_the_inventory():
    names = [*kinds(), *setting_names(), LAST_RUN_SETTING, "metadata_key"]
    assert {"notes", "audit", "school", "ledger", "prompts", "steps", "anchors", "calendar_feeds", "retention"} <= set(names)
    missing = [n for n in names if f"`{n}`" not in DOC]
    assert not missing, f"PRIVACY.md does not list {missing}"


def test_the_default_retention_is_the_one_stated():
    assert f"kept **{DEFAULT_YEARS} school years after the school" in DOC


def test_the_commands_it_names_exist():
    load_features()
    for verb in ("retention", "privacy", "forget", "history", "calendar", "notes"):
        assert f"/scep {verb}" in DOC and verb in REGISTRY
