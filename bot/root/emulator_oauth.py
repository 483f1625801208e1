"""Slack's side of "Add to Slack", for the emulator: the authorize page a person sees on
slack.com (``GET /oauth/v2/authorize``, with an "Allow" link back to the app's redirect URL),
``oauth.v2.access`` (a one-time code for a bot token of the workspace), and answers per token
(``auth.test`` says whose token it is; a revoked token gets ``invalid_auth``). Many workspaces
in one emulator: ``FakeSlack.calls`` records each call's token, so tests see which workspace's
token every post used."""

from __future__ import annotations

import base64
import html
import itertools
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse


@dataclass
class Workspace:
    team_id: str
    name: str
    enterprise_id: str | None = None

    @property
    def bot_user_id(self) -> str:
        return "UB" + self.team_id[1:]


class FakeOAuth:
    """The OAuth part of a ``FakeSlack`` (``fake.oauth``): the app's ``client_id``/``client_secret``,
    the workspaces a person may install into, the codes and tokens handed out."""

    def __init__(self, fake, client_id: str, client_secret: str, redirect_uri: str = "") -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uri = redirect_uri  # the app's configured redirect URL (when the app sends none)
        self.workspaces: dict[str, Workspace] = {}
        self.signed_in: str | None = None  # the workspace of the person on the authorize page
        self.codes: dict[str, str] = {}  # one-time code -> team id
        self.tokens: dict[str, str] = {}  # bot token -> team id
        self.revoked: set[str] = set()
        self.visits: list[dict[str, str]] = []  # the authorize page's query strings
        self.fake = fake
        self.admin_in: dict[str, set[str]] = {}  # user id -> the workspaces where they are an admin (Grid users span several)
        self._n = itertools.count(1)
        self._lock = threading.Lock()
        fake.oauth = self

    def workspace(self, team_id: str, name: str, enterprise_id: str | None = None) -> Workspace:
        ws = self.workspaces[team_id] = Workspace(team_id, name, enterprise_id)
        self.signed_in = self.signed_in or team_id
        return ws

    def grant(self, team_id: str) -> str:
        """A code as Slack gives it when a person allows the app in ``team_id``."""
        with self._lock:
            code = f"code-{team_id}-{next(self._n)}"
            self.codes[code] = team_id
            return code

    def token_of(self, team_id: str) -> str | None:
        """The newest live bot token handed out for ``team_id``."""
        live = [t for t, team in self.tokens.items() if team == team_id and t not in self.revoked]
        return live[-1] if live else None

    def revoke(self, team_id: str) -> None:
        self.revoked.update(t for t, team in self.tokens.items() if team == team_id)

    # -- GET /oauth/v2/authorize: the page on slack.com
    def page(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        query = {k: v[0] for k, v in parse_qs(urlparse(path).query).items()}
        self.visits.append(query)
        team = self.workspaces.get(self.signed_in or "")
        if query.get("client_id") != self.client_id or team is None:
            body = "<h1>Something went wrong</h1><p>invalid client_id</p>"
            return 400, body.encode(), {"Content-Type": "text/html; charset=utf-8"}
        back = query.get("redirect_uri") or self.redirect_uri
        allow = back + "?" + urlencode({"code": self.grant(team.team_id), "state": query.get("state", "")})
        deny = back + "?" + urlencode({"error": "access_denied", "state": query.get("state", "")})
        body = (f"<!DOCTYPE html><html><head><title>Slack: allow scep-bot</title></head><body><h1>scep-bot is requesting "
                f"permission to access the {html.escape(team.name)} Slack workspace</h1><p id='scopes'>{html.escape(query.get('scope', ''))}</p>"
                f"<a id='allow' href='{html.escape(allow, quote=True)}'>Allow</a> <a id='cancel' href='{html.escape(deny, quote=True)}'>Cancel</a>"
                "</body></html>")
        return 200, body.encode(), {"Content-Type": "text/html; charset=utf-8"}

    # -- Web API methods
    def answer(self, method: str, args: dict[str, Any], token: str | None, authorization: str) -> dict[str, Any] | None:
        """The answer to ``method`` where it depends on OAuth (None: the emulator's usual one)."""
        if method == "oauth.v2.access":
            return self._access(args, authorization)
        if token in self.revoked:
            return {"ok": False, "error": "invalid_auth"}
        team = self.workspaces.get(self.tokens.get(token or "", ""))
        if method == "auth.test" and team is not None:
            return {"ok": True, "url": f"https://{team.team_id.lower()}.slack.com/", "team": team.name, "user": "scep-bot",
                    "team_id": team.team_id, "user_id": team.bot_user_id, "bot_id": "B" + team.team_id[1:],
                    "enterprise_id": team.enterprise_id, "is_enterprise_install": False}
        if method == "users.info" and team is not None and args.get("user") in self.admin_in:
            user = self.fake.users.get(args.get("user"))
            if user is not None:
                return {"ok": True, "user": {**user, "team_id": team.team_id, "is_admin": team.team_id in self.admin_in[args["user"]]}}
        return None

    def _access(self, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        client_id, client_secret = args.get("client_id"), args.get("client_secret")
        if authorization.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        with self._lock:
            team_id = self.codes.pop(str(args.get("code") or ""), None)  # a code works once
            if team_id is None:
                return {"ok": False, "error": "invalid_code"}
            token = f"xoxb-{team_id}-{next(self._n)}"
            self.tokens[token] = team_id
        team = self.workspaces[team_id]
        return {"ok": True, "access_token": token, "token_type": "bot", "scope": "commands,chat:write", "bot_user_id": team.bot_user_id,
                "app_id": "A0TEST", "team": {"id": team.team_id, "name": team.name},
                "enterprise": {"id": team.enterprise_id, "name": "Grid"} if team.enterprise_id else None,
                "is_enterprise_install": False, "authed_user": {"id": "U0INSTALL"}}
