"""Many workspaces: "Add to Slack" through Bolt's ``OAuthSettings`` (Slack's OAuth v2), the
installations and the OAuth state in PostgreSQL (slack_sdk's SQLAlchemy stores, on the database
of SCEP_DATABASE_URL), and a Web API client per workspace for the listeners and the sweep.

- ``GET /slack/install``: a page with an "Add to Slack" button to Slack's authorize URL, carrying
  a fresh state (one row of ``slack_oauth_states``, valid 10 minutes, signed with
  SLACK_STATE_SECRET, and set as a cookie of the browser that opened the page).
- ``GET /slack/oauth_redirect``: Slack sends the person back with ``code`` and ``state``; the
  state must be signed, match the cookie and be unused (consuming it deletes its row, so a
  replayed link is refused); the code is exchanged with ``oauth.v2.access`` for the bot token,
  saved in ``slack_installations``/``slack_bots`` keyed by client id, Enterprise Grid org (where
  there is one) and team id.
- Tokens are looked up on every request (Bolt's ``authorize``) and for each workspace on every
  sweep (``TeamClients.for_team``): an uninstalled workspace has no token, so its schools are
  kept but idle; a reinstall's token is used from the next sweep on.
- The tables are created by ``scep-bot migrate`` (``create_tables``); ``scep-bot serve`` checks
  that they are there (``check_tables``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from typing import Any

from bot.root.settings import ConfigError, Settings
from handlers.slack_client import SlackAuth, web_client

log = logging.getLogger("scep-bot")

STATE_SECONDS = 600  # an install link is good for ten minutes
SCOPES = ["commands", "chat:write", "reactions:write", "files:write", "files:read", "users:read", "im:write", "channels:history", "groups:history",
          "metadata.message:read", "channels:read", "groups:read"]  # the bot scopes of app.yaml (tests/test_installs.py checks)
TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")


def engine_for(database_url: str):
    """A SQLAlchemy engine on the database of ``database_url`` through psycopg 3 (a small pool of
    its own: installs and token look-ups are few next to the store's queries)."""
    import sqlalchemy

    url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    return sqlalchemy.create_engine(url, pool_size=2, max_overflow=4, pool_pre_ping=True, hide_parameters=True)


def create_tables(database_url: str) -> list[str]:
    """Create the installation and OAuth state tables where missing (``scep-bot migrate``);
    returns the tables it created."""
    import sqlalchemy
    from slack_sdk.oauth.installation_store.sqlalchemy import (
        SQLAlchemyInstallationStore,
    )
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    engine = engine_for(database_url)
    try:
        before = set(sqlalchemy.inspect(engine).get_table_names())
        SQLAlchemyInstallationStore(client_id="-", engine=engine).create_tables()
        SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine).create_tables()
        return [t for t in TABLES if t not in before]
    finally:
        engine.dispose()


def check_tables(engine) -> None:
    import sqlalchemy

    missing = [t for t in TABLES if t not in set(sqlalchemy.inspect(engine).get_table_names())]
    if missing:
        raise ConfigError(f"the database at SCEP_DATABASE_URL has no {', '.join(missing)} table: run `scep-bot migrate` "
                          "(with the same SCEP_DATABASE_URL) to create the tables of the installations")


class SignedStateStore:
    """slack_sdk's SQLAlchemy state store, with each state signed (HMAC-SHA256, SLACK_STATE_SECRET):
    a state this deployment did not issue is refused without a database query."""

    def __init__(self, inner, secret: str) -> None:
        self.inner = inner
        self._key = secret.encode()

    @property
    def logger(self):
        return self.inner.logger

    def _sign(self, state: str) -> str:
        return hmac.new(self._key, state.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = self.inner.issue()
        return f"{state}.{self._sign(state)}"

    def consume(self, state: str) -> bool:
        raw, _, mac = (state or "").rpartition(".")
        if not raw or not hmac.compare_digest(self._sign(raw), mac):
            return False
        return self.inner.consume(raw)


class TeamClients:
    """The Web API client of each workspace, with the bot token of its installation looked up on
    every ``for_team`` (one query), each token with its own guard (``SlackAuth``: a workspace whose
    token Slack refuses stops only its own calls)."""

    def __init__(self, installation_store, api_url: str, timeout: float, seal=None) -> None:
        self.store = installation_store
        self.api_url, self.timeout = api_url, timeout
        self.seal = seal  # seals the private_metadata of every view opened with a workspace's client
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def token(self, team_id: str) -> str | None:
        """The bot token of the newest installation in workspace ``team_id`` (whatever its Grid
        org), or None when the app is not installed there (never installed, or uninstalled)."""
        import sqlalchemy

        bots = self.store.bots
        query = (sqlalchemy.select(bots.c.bot_token).where(bots.c.client_id == self.store.client_id, bots.c.team_id == team_id)
                 .order_by(bots.c.installed_at.desc()).limit(1))
        with self.store.engine.connect() as conn:
            row = conn.execute(query).first()
        return row[0] if row and row[0] else None

    def for_team(self, team_id: str):
        token = self.token(team_id) if team_id else None
        return self.for_token(token) if token else None

    def for_token(self, token: str):
        with self._lock:
            client = self._clients.get(token)
            if client is None:
                client = self._clients[token] = web_client(token, self.api_url, SlackAuth(fix=SlackAuth.INSTALLED), self.timeout, seal=self.seal)
            return client

    def installed_teams(self) -> int:
        import sqlalchemy

        bots = self.store.bots
        with self.store.engine.connect() as conn:
            return conn.execute(sqlalchemy.select(sqlalchemy.func.count(sqlalchemy.distinct(bots.c.team_id)))
                                .where(bots.c.client_id == self.store.client_id)).scalar_one()


class Installations:
    """What Slack tells about installations: uninstalled, tokens revoked (``handlers/installs.py``)."""

    def __init__(self, installation_store, services) -> None:
        self.store = installation_store
        self.services = services

    def uninstalled(self, enterprise_id: str | None, team_id: str | None) -> None:
        self.store.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        log.warning("scep-bot was uninstalled from workspace %s: its tokens are deleted; its %d schools are kept, idle until "
                    "the app is installed again", team_id, self._schools(team_id))

    def revoked(self, enterprise_id: str | None, team_id: str | None, bots: list[str], users: list[str]) -> None:
        for user_id in users:
            self.store.delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        if bots:
            self.store.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
            log.warning("the bot token of workspace %s was revoked and deleted: its %d schools are idle until the app is "
                        "installed again", team_id, self._schools(team_id))

    def _schools(self, team_id: str | None) -> int:
        store = self.services.store
        return sum(1 for sid in store.school_ids() if (store.index_entry(sid) or {}).get("team_id") == team_id)


def authorize_url(api_url: str) -> str:
    """Slack's authorize page on the host of ``SLACK_API_URL`` (https://slack.com/oauth/v2/authorize;
    the emulator's in tests, another host for government workspaces)."""
    base = api_url[: -len("api/")] if api_url.endswith("/api/") else api_url.rstrip("/") + "/"
    return base + "oauth/v2/authorize"


def oauth_flow(settings: Settings, client):
    """Bolt's ``OAuthFlow`` with the SQLAlchemy stores, this app's pages, and ``client`` (the
    app's, on ``SLACK_API_URL``) for ``oauth.v2.access``. Checks that the tables exist."""
    from slack_bolt.authorization.authorize import InstallationStoreAuthorize
    from slack_bolt.oauth.callback_options import CallbackOptions
    from slack_bolt.oauth.oauth_flow import OAuthFlow
    from slack_bolt.oauth.oauth_settings import OAuthSettings
    from slack_sdk.oauth.installation_store.sqlalchemy import (
        SQLAlchemyInstallationStore,
    )
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    from bot.root import install_pages as pages

    engine = engine_for(settings.database_url or "")
    check_tables(engine)
    installations = SQLAlchemyInstallationStore(client_id=settings.client_id or "", engine=engine, logger=log)
    states = SignedStateStore(SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine, logger=log), settings.state_secret or "")
    oauth = OAuthSettings(
        client_id=settings.client_id, client_secret=settings.client_secret, scopes=SCOPES, redirect_uri=settings.redirect_uri,
        installation_store=installations, installation_store_bot_only=True, state_store=states,  # type: ignore[arg-type]
        state_expiration_seconds=STATE_SECONDS, authorization_url=authorize_url(settings.api_url),
        callback_options=CallbackOptions(success=pages.success, failure=pages.failure),
    )
    # Bolt's authorize with its cache on: the token is read from the store on every request, but
    # auth.test is called once per token, not once per request
    oauth.authorize = InstallationStoreAuthorize(logger=log, client_id=oauth.client_id, client_secret=oauth.client_secret,
                                                 installation_store=installations, bot_only=True, cache_enabled=True)

    class Flow(OAuthFlow):
        def build_install_page_html(self, url: str, request) -> str:  # noqa: ANN001 - Bolt's signature
            return pages.install_page(url)

    return Flow(client=client, logger=log, settings=oauth)
