"""What listeners and jobs share (the store, the cycles, the clock, the settings), built once at start."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from bot.calendar import dates
from bot.calendar.cycle_files import CycleLibrary
from bot.core.command import load_features
from bot.root.settings import Settings
from bot.root.store import open_store
from bot.store.port import Store
from handlers.slack_client import SlackAuth
from schedules.sweep.workspaces import WorkspaceSweeps

log = logging.getLogger("scep-bot")


@dataclass
class Services:
    """What listeners and jobs share. ``clock()`` returns the current UTC instant."""

    store: Store
    library: CycleLibrary
    clock: Callable[[], datetime]
    settings: Settings
    slack_auth: SlackAuth = field(default_factory=SlackAuth)  # whether Slack accepts the bot token (shared by every call)
    sweeper: Any = None  # schedules.sweep.sweeper.Sweeper, made on the first sweep (one per process)
    listener_state: dict[type, Any] = field(default_factory=dict)  # handlers' typed state, by class (handlers/app_state.py)
    # many workspaces (OAuth installs): a Web API client per workspace, the installations, the sweeps per workspace
    team_clients: Any = None  # bot.root.installs.TeamClients
    installations: Any = None  # bot.root.installs.Installations
    workspace_sweeps: WorkspaceSweeps = field(default_factory=WorkspaceSweeps)


def real_clock() -> datetime:
    return datetime.now(dates.UTC)


def build_services(settings: Settings, clock: Callable[[], datetime] = real_clock) -> Services:
    load_features()
    library = CycleLibrary.load(settings.data_dir / "cycles")
    for err in library.errors:
        log.error("cycle file skipped: %s", err)
    store = open_store(settings)
    return Services(store=store, library=library, clock=clock, settings=settings)


def warm_up() -> None:
    """Import and exercise slow libraries before the first request (Slack gives up at 3 s)."""
    try:
        from bot.calendar import nlp_dates  # noqa: F401 - present once natural-language dates exist

        nlp_dates.warm()
    except ImportError:
        import dateparser

        dateparser.parse("tomorrow 3pm", languages=["en"])


def check_files_in_background(services: Services, delay: float = 5.0) -> None:
    """Check every data file once, ``delay`` seconds after start (so that reading thousands of
    files does not hold up the first requests), off the request path; log each damaged one
    loudly. A request that meets a damaged file is told so at once either way."""

    def run() -> None:
        time.sleep(delay)
        for problem in services.store.check_files():
            log.error("DAMAGED DATA FILE: %s", problem)

    threading.Thread(target=run, name="check-files", daemon=True).start()
