"""The "Add to Slack" page in a real headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven by Selenium): a person opens /slack/install, clicks "Add to Slack",
lands on the (emulated) Slack authorize page, clicks "Allow", and is told the app is installed.

Skipped where Chromium is not installed, except with ``CI`` set: there it fails (``.ci/run``
installs it)."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlparse

import pytest

from bot.calendar import dates
from tests.workspaces import CLIENT_ID, TEAM_A, ManyBot

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
HINT = "install Chromium with `apt-get install -y chromium chromium-driver`"
ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage")


@pytest.fixture
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is missing and CI is set: {HINT}")
        pytest.skip(HINT)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ARGS:
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def many(tmp_path, fake, postgres_db):
    b = ManyBot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"), postgres_db)
    yield b
    b.close()


def test_a_person_clicks_add_to_slack_and_the_app_is_installed(browser, many):
    from selenium.webdriver.common.by import By

    many.oauth.signed_in = TEAM_A
    browser.get(many.url + "/slack/install")
    assert browser.title == "Install scep-bot"
    browser.find_element(By.ID, "add-to-slack").click()
    # on Slack's authorize page, with this app's client id, scopes and a state
    landed = urlparse(browser.current_url)
    assert landed.path == "/oauth/v2/authorize" and landed.port == urlparse(many.fake.url).port
    query = parse_qs(landed.query)
    assert query["client_id"] == [CLIENT_ID] and "chat:write" in query["scope"][0] and query["state"][0]
    assert "Alder District" in browser.find_element(By.TAG_NAME, "h1").text
    assert many.token(TEAM_A) is None
    browser.find_element(By.ID, "allow").click()
    # back at the bot: installed
    assert urlparse(browser.current_url).path == "/slack/oauth_redirect"
    assert "scep-bot is installed in Alder District" in browser.find_element(By.TAG_NAME, "body").text
    assert many.token(TEAM_A) in many.oauth.tokens
    # the browser's back button and the same link again: refused, told to start again
    browser.refresh()
    assert "Start the install again" in browser.find_element(By.TAG_NAME, "body").text
    browser.find_element(By.ID, "start-again").click()
    assert urlparse(browser.current_url).path == "/slack/install"
