"""Many workspaces, as Slack and a browser meet them: ``ManyBot`` is the real Bolt app in OAuth
mode (SLACK_CLIENT_ID...) on a PostgreSQL database, served by waitress on 127.0.0.1, with the
emulator playing Slack's side of "Add to Slack" (``bot/root/emulator_oauth.py``).

``install(team)`` does what a person does with a browser: opens /slack/install, follows "Add to
Slack" to the (fake) Slack authorize page, follows "Allow" back to /slack/oauth_redirect, with
the cookies a browser keeps."""

from __future__ import annotations

import http.cookiejar
import json
import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bot.root.app import build_app
from bot.root.emulator_oauth import FakeOAuth
from bot.root.installs import create_tables
from bot.root.services import build_services
from bot.root.serving import make_wsgi
from bot.root.settings import Settings
from bot.store.postgres_migrations import migrate
from tests.harness import ADMIN, CHANNEL, SECRET, Answer, Bot, signed_headers

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
STATE_SECRET = "state-secret-for-the-tests-7d1c9a"
TEAM_A, TEAM_B = "T0AAAAAA1", "T0BBBBBB2"
GRID = {TEAM_B: "E0GRID001"}  # workspace B is in an Enterprise Grid org: Slack's payloads carry its id


@dataclass
class Page:
    status: int
    url: str
    body: str

    def link(self, element_id: str) -> str:
        m = re.search(r"""id=['"]%s['"] href=['"]([^'"]+)['"]""" % re.escape(element_id), self.body)
        assert m, f"no link #{element_id} on {self.url}: {self.body[:300]}"
        return unescape(m.group(1))


class Browser:
    """A person's browser: keeps cookies, follows nothing on its own."""

    def __init__(self) -> None:
        class Loopback(http.cookiejar.DefaultCookiePolicy):
            def return_ok_secure(self, cookie, request) -> bool:  # noqa: ANN001
                return True  # 127.0.0.1 counts as a secure origin, as browsers treat it

        self.jar = http.cookiejar.CookieJar(Loopback())

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kw: Any):  # noqa: ANN201
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def set_cookie(self, name: str, value: str) -> None:
        self.jar.set_cookie(http.cookiejar.Cookie(0, name, value, None, False, "127.0.0.1", False, False, "/", True, True, None, False,
                                                  None, None, {}))

    def get(self, url: str) -> Page:
        try:
            with self.opener.open(url, timeout=10) as resp:
                return Page(resp.status, url, resp.read().decode())
        except urllib.error.HTTPError as exc:
            return Page(exc.code, url, exc.read().decode())


class ManyBot(Bot):
    """The bot for many workspaces, on a migrated PostgreSQL database, served over HTTP."""

    def __init__(self, data_dir: Path, fake, now, database_url: str) -> None:  # noqa: ANN001
        self.fake = fake
        self.now = now
        self.seq = 0
        from handlers.context import _USER_CACHE

        _USER_CACHE.clear()
        migrate(database_url)
        create_tables(database_url)
        self.oauth = FakeOAuth(fake, CLIENT_ID, CLIENT_SECRET)
        self.oauth.workspace(TEAM_A, "Alder District")
        self.oauth.workspace(TEAM_B, "Birch District", enterprise_id=GRID[TEAM_B])
        self.settings = Settings(signing_secret=SECRET, api_url=fake.url, data_dir=data_dir, database_url=database_url,
                                 client_id=CLIENT_ID, client_secret=CLIENT_SECRET, state_secret=STATE_SECRET)
        self.settings.validate()
        self.services = build_services(self.settings, clock=lambda: self.now)
        self.app = build_app(self.services, token=None, signing_secret=SECRET, process_before_response=True, background=False)
        self.wsgi = make_wsgi(self.app, self.services)
        from waitress.server import create_server

        self.server = create_server(self.wsgi, host="127.0.0.1", port=0, threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.oauth.redirect_uri = self.url + "/slack/oauth_redirect"
        threading.Thread(target=self._run, daemon=True, name="waitress-test").start()

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:  # closed by close(): its select() meets the closed socket
            pass

    def close(self) -> None:
        self.server.close()
        self.services.store.close()

    def install(self, team: str, browser: Browser | None = None) -> Page:
        """Install the app in ``team`` as a person would; returns the page they end on."""
        browser = browser or Browser()
        self.oauth.signed_in = team
        page = browser.get(self.url + "/slack/install")
        assert page.status == 200, page.body
        slack = browser.get(page.link("add-to-slack"))
        assert slack.status == 200, slack.body
        return browser.get(slack.link("allow"))

    def token(self, team: str) -> str | None:
        return self.services.team_clients.token(team)

    def command(self, text: str, *, channel: str = CHANNEL, user: str = ADMIN, team: str = TEAM_A) -> Answer:
        self.seq += 1
        body = urlencode({
            "token": "legacy", "team_id": team, "team_domain": "demo", **({"enterprise_id": GRID[team]} if team in GRID else {}),
            "channel_id": channel, "channel_name": channel.lower(), "user_id": user, "user_name": user.lower(), "command": "/scep",
            "text": text, "api_app_id": "A0TEST", "response_url": self.fake.response_url(str(self.seq)), "trigger_id": f"{self.seq}.trigger",
        })
        return self.dispatch(body, signed_headers(body))

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None, team: str = TEAM_A) -> Answer:
        self.seq += 1
        enterprise = GRID.get(team)
        envelope = {
            "token": "legacy", "team_id": team, "enterprise_id": enterprise, "api_app_id": "A0TEST", "type": "event_callback",
            "event_id": event_id or f"Ev{self.seq:08d}", "event_time": int(self.now.timestamp()), "event": event,
            "authorizations": [{"team_id": team, "enterprise_id": enterprise, "user_id": "UB" + team[1:], "is_bot": True}],
        }
        body = json.dumps(envelope)
        return self.dispatch(body, signed_headers(body, content_type="application/json"))
