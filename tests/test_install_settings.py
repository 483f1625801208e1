"""The settings of many workspaces: all three of SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and
SLACK_STATE_SECRET, or none; each partial or conflicting configuration named in one line; and
the tables of the installations made by ``scep-bot migrate``, checked at start."""

from __future__ import annotations

import pytest

from bot.root.settings import ConfigError, Settings
from tests.workspaces import CLIENT_ID, CLIENT_SECRET, STATE_SECRET

DB = "postgresql://scep:pw@db.example.org:5432/scep"
FULL = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_STATE_SECRET": STATE_SECRET,
        "SLACK_SIGNING_SECRET": "testsigningsecret0123456789abcdef", "SCEP_DATABASE_URL": DB}


def test_all_three_select_http_mode_for_many_workspaces():
    s = Settings.from_env(FULL)
    assert s.oauth and s.mode() == "http"
    assert CLIENT_SECRET not in repr(s) and STATE_SECRET not in repr(s)
    assert not Settings.from_env({}).oauth


@pytest.mark.parametrize("drop, says", [
    (("SLACK_CLIENT_SECRET",), "SLACK_CLIENT_ID and SLACK_STATE_SECRET are set but SLACK_CLIENT_SECRET is not"),
    (("SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET"), "SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET and SLACK_STATE_SECRET are not"),
    (("SLACK_CLIENT_ID",), "SLACK_CLIENT_ID is not"),
    (("SCEP_DATABASE_URL",), "SCEP_DATABASE_URL is not: installations and OAuth state are kept in PostgreSQL"),
    (("SLACK_SIGNING_SECRET",), "SLACK_SIGNING_SECRET is not"),
])
def test_a_partial_configuration_names_what_is_missing(drop, says):
    env = {k: v for k, v in FULL.items() if k not in drop}
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env)
    assert says in str(err.value)
    assert CLIENT_SECRET not in str(err.value) and STATE_SECRET not in str(err.value)


@pytest.mark.parametrize("extra, says", [
    ({"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, "choose one"),
    ({"SLACK_APP_TOKEN": "xapp-1-abc"}, "needs HTTP mode"),
    ({"SLACK_CLIENT_ID": "my-app"}, "Client ID"),
    ({"SLACK_CLIENT_SECRET": "short"}, "Client Secret"),
    ({"SLACK_STATE_SECRET": "short"}, "at least 16 characters"),
    ({"SLACK_REDIRECT_URI": "not a url"}, "SLACK_REDIRECT_URI"),
])
def test_conflicts_and_malformed_values_are_named(extra, says):
    with pytest.raises(ConfigError) as err:
        Settings.from_env({**FULL, **extra})
    assert says in str(err.value)


def test_a_redirect_uri_alone_is_refused():
    with pytest.raises(ConfigError, match="SLACK_REDIRECT_URI is set but"):
        Settings.from_env({"SLACK_REDIRECT_URI": "https://bot.example.org/slack/oauth_redirect"})


def test_migrate_makes_the_tables_and_start_up_asks_for_it(tmp_path, postgres_db, monkeypatch, capsys):
    from bot.root.app import build_app
    from bot.root.cli import main
    from bot.root.services import build_services
    from bot.store.postgres_migrations import migrate

    migrate(postgres_db)  # the store's schema only: the installation tables are missing
    settings = Settings.from_env({**FULL, "SCEP_DATABASE_URL": postgres_db, "SCEP_DATA_DIR": str(tmp_path)})
    services = build_services(settings)
    try:
        with pytest.raises(ConfigError, match="run `scep-bot migrate`"):
            build_app(services, token=None, signing_secret=settings.signing_secret, background=False)
        monkeypatch.setenv("SCEP_DATABASE_URL", postgres_db)
        assert main(["migrate"]) == 0
        assert "installation tables created: slack_installations, slack_bots, slack_oauth_states" in capsys.readouterr().out
        assert main(["migrate"]) == 0
        assert "installation tables already there" in capsys.readouterr().out
        app = build_app(services, token=None, signing_secret=settings.signing_secret, background=False)
        assert app.oauth_flow is not None
    finally:
        services.store.close()
