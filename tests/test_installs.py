"""Install to many workspaces: "Add to Slack" end to end against the emulator's Slack
(``oauth.v2.access``), the OAuth state checked (bad, replayed or from another browser: refused
with a page that says to start again), tokens per workspace for requests and sweeps, and
uninstalling and reinstalling."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy

from bot.calendar import dates
from bot.root.installs import SCOPES, engine_for
from tests.workspaces import (
    CLIENT_ID,
    CLIENT_SECRET,
    STATE_SECRET,
    TEAM_A,
    TEAM_B,
    Browser,
    ManyBot,
)


@pytest.fixture
def many(tmp_path, fake, postgres_db):
    b = ManyBot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"), postgres_db)
    fake.add_user("U0BADMIN1", "bea.admin", admin=True)
    yield b
    b.close()


def rows(url: str, table: str) -> list[dict]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sqlalchemy.text(f"SELECT * FROM {table}"))]
    finally:
        engine.dispose()


def test_add_to_slack_installs_the_workspace_and_its_token_answers_its_requests(many, postgres_db):
    browser = Browser()
    page = browser.get(many.url + "/slack/install")
    assert page.status == 200 and "Add to Slack" in page.body
    authorize = page.link("add-to-slack")
    assert authorize.startswith(many.fake.url.replace("/api/", "/oauth/v2/authorize?"))
    assert f"client_id={CLIENT_ID}" in authorize and "state=" in authorize
    assert set(parse_qs(urlparse(authorize).query)["scope"][0].split(",")) == set(SCOPES)
    done = many.install(TEAM_A, browser)
    assert done.status == 200 and "scep-bot is installed in <strong>Alder District</strong>" in done.body
    access = many.fake.of("oauth.v2.access")
    assert len(access) == 1 and access[0].args["code"].startswith(f"code-{TEAM_A}-")
    bots = rows(postgres_db, "slack_bots")
    assert [(b["team_id"], b["enterprise_id"], b["client_id"]) for b in bots] == [(TEAM_A, None, CLIENT_ID)]
    token_a = many.token(TEAM_A)
    assert token_a and token_a in many.oauth.tokens and many.token(TEAM_B) is None
    many.fake.clear()
    ans = many.command("setup Alder Elementary model:TSI", team=TEAM_A)
    assert ans.status == 200 and "Alder Elementary" in many.last_response_text()
    used = {c.token for c in many.fake.calls if c.method not in ("response_url",)}
    assert used == {token_a}, used
    # a Grid workspace: recorded with its org
    many.install(TEAM_B)
    assert {(b["team_id"], b["enterprise_id"]) for b in rows(postgres_db, "slack_bots")} == {(TEAM_A, None), (TEAM_B, "E0GRID001")}


def test_the_scopes_asked_for_are_app_yamls():
    import yaml

    from tests.test_manifest import ROOT

    assert set(SCOPES) == set(yaml.safe_load((ROOT / "app.yaml").read_text())["oauth_config"]["scopes"]["bot"])


def start_again(page) -> bool:
    return page.status in (400, 401) and "Start the install again" in page.body and 'href="/slack/install"' in page.body


def test_a_bad_replayed_or_foreign_state_is_refused_with_a_page_to_start_again(many, postgres_db):
    browser = Browser()
    page = browser.get(many.url + "/slack/install")
    state = re.search(r"state=([^&]+)", page.link("add-to-slack")).group(1)
    code = many.oauth.grant(TEAM_A)
    redirect = many.url + "/slack/oauth_redirect"
    # a state this deployment never issued (its cookie set to match, as an attacker would)
    forged = state.rsplit(".", 1)[0] + "." + "0" * 32
    other = Browser()
    other.set_cookie("slack-app-oauth-state", forged)
    refused = other.get(f"{redirect}?code={code}&state={forged}")
    assert start_again(refused) and "expired or was already used" in refused.body
    # the right state from another browser (no cookie): refused
    assert start_again(Browser().get(f"{redirect}?code={code}&state={state}"))
    assert not many.fake.of("oauth.v2.access") and not rows(postgres_db, "slack_bots")
    # the right state in the right browser: installed; the same link again: refused
    ok = browser.get(f"{redirect}?code={code}&state={state}")
    assert ok.status == 200 and "is installed" in ok.body
    again = browser.get(f"{redirect}?code={code}&state={state}")
    assert start_again(again) and "expired or was already used" in again.body
    assert len(many.fake.of("oauth.v2.access")) == 1
    # cancelled in Slack: told so, nothing installed
    cancelled = browser.get(f"{redirect}?error=access_denied&state={state}")
    assert cancelled.status == 200 and "cancelled" in cancelled.body and "Start the install again" in cancelled.body


def test_credentials_never_reach_the_log_even_at_debug(many, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("slack_sdk", "slack_bolt", "scep-bot", "sqlalchemy"):  # other tests (the CLI's logging set-up) may have quietened them
        caplog.set_level(logging.DEBUG, logger=name)
    many.install(TEAM_A)
    many.command("setup Alder Elementary model:TSI", team=TEAM_A)
    many.install(TEAM_A)  # again: a second token
    text = caplog.text
    assert "oauth.v2.access" in text and "access_token" in text  # slack_sdk's debug lines with the answer did run
    secrets = [CLIENT_SECRET, STATE_SECRET, *many.oauth.tokens, *[c.args.get("code", "") for c in many.fake.of("oauth.v2.access")]]
    leaked = [s for s in secrets if s and s in text]
    assert not leaked, f"in the log: {[s[:12] for s in leaked]}"
