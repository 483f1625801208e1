"""Settings from the environment: every variable checked at start, a malformed one named in one line."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

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
        )
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

    def mode(self) -> str:
        """Which way to run with these credentials: socket, http or console."""
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
    URL with a database name. The message never repeats the URL (it may hold a password)."""
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
