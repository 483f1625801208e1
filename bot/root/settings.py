"""Settings from the environment: every variable checked at start, a malformed one named in one line."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_API_URL = "https://slack.com/api/"


class ConfigError(ValueError):
    """A missing or malformed setting; the message names the environment variable."""


@dataclass
class Settings:
    # secrets stay out of repr(): a Settings printed or logged shows no token
    bot_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    data_dir: Path = field(default_factory=lambda: default_data_dir())
    slack_timeout: float = 10.0  # seconds to wait for a Web API answer (SLACK_API_TIMEOUT)
    # SCEP_DATABASE_URL: the PostgreSQL store instead of TinyDB in data_dir (it may hold a password)
    database_url: str | None = field(default=None, repr=False)
    database_pool_size: int = 10  # connections per process at most (SCEP_DATABASE_POOL_SIZE)
    # many workspaces ("Add to Slack", bot/root/installs.py): all three, or none
    client_id: str | None = None  # SLACK_CLIENT_ID
    client_secret: str | None = field(default=None, repr=False)  # SLACK_CLIENT_SECRET
    state_secret: str | None = field(default=None, repr=False)  # SLACK_STATE_SECRET: signs the OAuth state values
    redirect_uri: str | None = None  # SLACK_REDIRECT_URI: https://<host>/slack/oauth_redirect (optional)
    # SCEP_PUBLIC_URL: the https base people's calendars reach the bot at (feeds: <base>/calendar/<token>.ics)
    public_url: str | None = None
    calendar_rate: int = 60  # feed requests per minute per address (SCEP_CALENDAR_RATE_LIMIT)
    calendar_port: int | None = None  # SCEP_CALENDAR_PORT: Socket Mode also serves the feeds on this port

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)

        def get(name: str) -> str | None:
            value = (env.get(name) or "").strip()
            return value or None

        s = cls(
            bot_token=get("SLACK_BOT_TOKEN"),
            signing_secret=get("SLACK_SIGNING_SECRET"),
            app_token=get("SLACK_APP_TOKEN"),
            api_url=get("SLACK_API_URL") or DEFAULT_API_URL,
            data_dir=Path(get("SCEP_DATA_DIR") or default_data_dir()).expanduser(),
            database_url=get("SCEP_DATABASE_URL"),
            client_id=get("SLACK_CLIENT_ID"),
            client_secret=get("SLACK_CLIENT_SECRET"),
            state_secret=get("SLACK_STATE_SECRET"),
            redirect_uri=get("SLACK_REDIRECT_URI"),
        )
        s.public_url = get("SCEP_PUBLIC_URL")
        rate = get("SCEP_CALENDAR_RATE_LIMIT")
        if rate is not None:
            if not rate.isdigit() or not 1 <= int(rate) <= 100_000:
                raise ConfigError(f"SCEP_CALENDAR_RATE_LIMIT '{rate}' is not a number of requests per minute between 1 and 100000 (default 60)")
            s.calendar_rate = int(rate)
        port = get("SCEP_CALENDAR_PORT")
        if port is not None:
            if not port.isdigit() or not 1 <= int(port) <= 65535:
                raise ConfigError(f"SCEP_CALENDAR_PORT '{port}' is not a TCP port (1-65535)")
            s.calendar_port = int(port)
        pool = get("SCEP_DATABASE_POOL_SIZE")
        if pool is not None:
            if not pool.isdigit() or not 1 <= int(pool) <= 1000:
                raise ConfigError(f"SCEP_DATABASE_POOL_SIZE '{pool}' is not a number of connections between 1 and 1000 (default 10)")
            s.database_pool_size = int(pool)
        timeout = get("SLACK_API_TIMEOUT")
        if timeout is not None:
            try:
                s.slack_timeout = float(timeout)
            except ValueError:
                raise ConfigError(f"SLACK_API_TIMEOUT '{timeout}' is not a number of seconds (default 10)") from None
            if not 0.1 <= s.slack_timeout <= 120:
                raise ConfigError("SLACK_API_TIMEOUT must be between 0.1 and 120 seconds (default 10)")
        for name, default in (("PORT", 3000), ("SCEP_ADMIN_PORT", 0), ("SCEP_HEALTH_PORT", None)):
            port_setting(name, default, env)  # read where used; checked here, before anything starts
        flag_setting("SCEP_LOG_USER_TEXT", env)
        log_level_setting(env)
        s.validate()
        return s

    def validate(self) -> None:
        if self.bot_token and not re.match(r"^xox[bp]-[A-Za-z0-9-]+$", self.bot_token):
            raise ConfigError("SLACK_BOT_TOKEN does not look like a bot token: it starts with xoxb- (OAuth & Permissions page of your Slack app)")
        if self.app_token and not re.match(r"^xapp-[A-Za-z0-9-]+$", self.app_token):
            raise ConfigError("SLACK_APP_TOKEN does not look like an app-level token: it starts with xapp- (Basic Information > App-Level Tokens, scope connections:write)")
        if self.signing_secret and not re.match(r"^[A-Za-z0-9]{16,}$", self.signing_secret):
            raise ConfigError("SLACK_SIGNING_SECRET is malformed: copy the Signing Secret from Basic Information > App Credentials")
        if not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", self.api_url):
            raise ConfigError(f"SLACK_API_URL '{self.api_url}' is not an http(s) URL: leave it unset for https://slack.com/api/")
        if not self.api_url.endswith("/"):
            self.api_url += "/"
        if self.database_url:
            check_database_url(self.database_url)
        if self.public_url:
            if not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", self.public_url):
                raise ConfigError(f"SCEP_PUBLIC_URL '{self.public_url[:100]}' is not an http(s) base URL like https://scep.example.org")
            self.public_url = self.public_url.rstrip("/")
        self._validate_oauth()

    @property
    def oauth(self) -> bool:
        """Many workspaces: installed with "Add to Slack", tokens from the installation store."""
        return bool(self.client_id and self.client_secret and self.state_secret)

    def _validate_oauth(self) -> None:
        given = {"SLACK_CLIENT_ID": self.client_id, "SLACK_CLIENT_SECRET": self.client_secret, "SLACK_STATE_SECRET": self.state_secret}
        missing = [name for name, value in given.items() if not value]
        if len(missing) == 3:
            if self.redirect_uri:
                raise ConfigError("SLACK_REDIRECT_URI is set but SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET are not: "
                                  "set them too to install to many workspaces, or unset SLACK_REDIRECT_URI")
            return
        if missing:
            have = [name for name in given if name not in missing]
            raise ConfigError(f"{' and '.join(have)} {'is' if len(have) == 1 else 'are'} set but {' and '.join(missing)} "
                              f"{'is' if len(missing) == 1 else 'are'} not: installing to many workspaces needs all three "
                              "(README, \"Many workspaces\"); unset them all for one workspace with SLACK_BOT_TOKEN")
        if not re.match(r"^\d+\.\d+$", self.client_id or ""):
            raise ConfigError("SLACK_CLIENT_ID does not look like a client id (digits.digits): copy the Client ID from Basic Information > App Credentials")
        if not re.match(r"^[A-Za-z0-9]{16,}$", self.client_secret or ""):
            raise ConfigError("SLACK_CLIENT_SECRET is malformed: copy the Client Secret from Basic Information > App Credentials")
        if len(self.state_secret or "") < 16:
            raise ConfigError("SLACK_STATE_SECRET must be at least 16 characters: any long random text, e.g. from `openssl rand -hex 32`")
        if self.bot_token:
            raise ConfigError("SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: choose one. Unset SLACK_BOT_TOKEN to install to many "
                              "workspaces (tokens come from each installation), or unset SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and "
                              "SLACK_STATE_SECRET for one workspace")
        if self.app_token:
            raise ConfigError("SLACK_APP_TOKEN (Socket Mode) cannot be used with SLACK_CLIENT_ID: installing to many workspaces needs "
                              "HTTP mode (/slack/install and /slack/oauth_redirect); unset SLACK_APP_TOKEN")
        if not self.signing_secret:
            raise ConfigError("SLACK_CLIENT_ID is set but SLACK_SIGNING_SECRET is not: HTTP mode needs it to check Slack's requests")
        if not self.database_url:
            raise ConfigError("SLACK_CLIENT_ID is set but SCEP_DATABASE_URL is not: installations and OAuth state are kept in "
                              f"PostgreSQL ({DATABASE_URL_FORM})")
        if self.redirect_uri and not re.match(r"^https?://[^\s/]+/\S*$", self.redirect_uri):
            raise ConfigError(f"SLACK_REDIRECT_URI '{self.redirect_uri}' is not a URL like https://bot.example.org/slack/oauth_redirect")

    def mode(self) -> str:
        """Which way to run with these credentials: socket, http or console."""
        if self.oauth:
            return "http"
        if self.bot_token and self.app_token:
            return "socket"
        if self.bot_token and self.signing_secret:
            return "http"
        if self.bot_token:
            # a bot token alone would answer unverified requests in HTTP mode: never guess
            raise ConfigError("SLACK_BOT_TOKEN is set, but neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN "
                              "(Socket Mode): set one of them, or unset SLACK_BOT_TOKEN for the local console")
        return "console"


DATABASE_URL_FORM = "postgresql://user:pass@host:5432/dbname"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _env(env: dict[str, str] | None, name: str) -> str | None:
    value = ((os.environ if env is None else env).get(name) or "").strip()
    return value or None


def port_setting(name: str, default: int | None, env: dict[str, str] | None = None) -> int | None:
    """A TCP port from the environment variable ``name`` (0-65535; 0: a free port the system
    picks, logged at start), or ``default`` when unset; ``ConfigError`` naming the variable when
    malformed."""
    value = _env(env, name)
    if value is None:
        return default
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        shown = value if len(value) <= 20 else value[:20] + "..."
        raise ConfigError(f"{name} '{shown}' is not a port number (0-65535)" + (f"; default {default}" if default is not None else "; unset it to turn it off"))
    return int(value)


def flag_setting(name: str, env: dict[str, str] | None = None) -> bool:
    """An on/off environment variable: 1/true/yes/on or 0/false/no/off (unset: off)."""
    value = (_env(env, name) or "0").lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} '{value[:20]}' is not on or off: set it to 1 or 0")


def log_level_setting(env: dict[str, str] | None = None) -> str:
    """LOG_LEVEL: one of DEBUG, INFO (default), WARNING, ERROR, CRITICAL."""
    value = (_env(env, "LOG_LEVEL") or "INFO").upper()
    if value not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL '{value[:20]}' is not a level: use one of {', '.join(LOG_LEVELS)} (default INFO)")
    return value


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "scep-bot"


def check_database_url(url: str) -> None:
    """``ConfigError`` naming SCEP_DATABASE_URL and the expected form unless ``url`` is a libpq
    URL with a database name. The message never repeats the URL (it may hold a password).
    psycopg is imported here, not at the top: a TinyDB deployment never pays for loading it."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    why = None
    if not re.match(r"^postgres(ql)?://", url):
        why = "it does not start with postgresql://"
    else:
        try:
            info = conninfo_to_dict(url)
        except psycopg.Error as exc:
            # libpq quotes what it trips on, which may be part of the password: never shown
            why = re.sub(r'"[^"]*"', "...", str(exc).strip().splitlines()[0])[:200]
        else:
            if not info.get("dbname"):
                why = "it names no database"
            elif not re.match(r"^\d+(,\d+)*$", info.get("port") or "5432"):
                why = "its port is not a number"
    if why:
        raise ConfigError(f"SCEP_DATABASE_URL is malformed ({why}): expected the form {DATABASE_URL_FORM}")


# Every environment variable scep-bot reads: (name, default, meaning). docs/runbook.md's table is
# rendered from it (``scep-bot settings``) and tests/test_settings_table.py checks that the table,
# the README, the compose file and every variable the code reads agree with it.
VARIABLES: tuple[tuple[str, str, str], ...] = (
    ("SLACK_BOT_TOKEN", "", "one workspace: the bot token, `xoxb-…` (a secret)"),
    ("SLACK_SIGNING_SECRET", "", "HTTP mode: verifies every request from Slack (a secret)"),
    ("SLACK_APP_TOKEN", "", "Socket Mode: the app-level token, `xapp-…` (a secret)"),
    ("SLACK_CLIENT_ID", "", "many workspaces: the app's Client ID (with the next two; HTTP mode and PostgreSQL)"),
    ("SLACK_CLIENT_SECRET", "", "many workspaces: the app's Client Secret (a secret)"),
    ("SLACK_STATE_SECRET", "", "many workspaces: long random text signing the install links' state (a secret)"),
    ("SLACK_REDIRECT_URI", "", "many workspaces, optional: `https://<host>/slack/oauth_redirect`"),
    ("SLACK_API_URL", DEFAULT_API_URL, "the Web API base URL (emulators, government workspaces)"),
    ("SLACK_API_TIMEOUT", "10", "seconds to wait for a Web API answer (0.1-120)"),
    ("SCEP_DATA_DIR", "`$XDG_DATA_HOME/scep-bot`", "the data directory (TinyDB files, lock, admin endpoint file); the console uses `…/console` unless set"),
    ("XDG_DATA_HOME", "`~/.local/share`", "where the default data directory goes"),
    ("SCEP_DATABASE_URL", "", f"PostgreSQL instead of TinyDB, `{DATABASE_URL_FORM}` (a secret: it holds a password; run `scep-bot migrate` first)"),
    ("SCEP_DATABASE_POOL_SIZE", "10", "PostgreSQL connections per process at most (1-1000)"),
    ("SCEP_PUBLIC_URL", "", "the https address calendars reach the bot at; switches on `/scep calendar`"),
    ("SCEP_CALENDAR_RATE_LIMIT", "60", "calendar feed requests per minute from one address (then 429)"),
    ("SCEP_CALENDAR_PORT", "", "Socket Mode: also serve the calendar feeds on this port"),
    ("HOST", "0.0.0.0", "where `serve` (and the Socket Mode health port) listens"),
    ("PORT", "3000", "HTTP mode: the port `serve` listens on (`--port` wins; `serve-calendars`: 3001)"),
    ("SCEP_HEALTH_PORT", "", "Socket Mode: serve `GET /healthz` on this port; unset: none"),
    ("SCEP_ADMIN_PORT", "0 (a free port)", "the admin endpoint on 127.0.0.1 that `scep-bot sweep` hands sweeps to"),
    ("LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    ("SCEP_LOG_USER_TEXT", "0", "1: the log may show what people type (debugging only: notes may name students)"),
)


def variables_table() -> str:
    """The markdown table of ``VARIABLES`` (docs/runbook.md)."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, default, meaning in VARIABLES:
        shown = default if not default or default.startswith("`") or " " in default else f"`{default}`"
        rows.append(f"| `{name}` | {shown or 'unset'} | {meaning} |")
    return "\n".join(rows)
