"""The ``/scep`` command, free of Slack: parse the text, find the subcommand, run it, return a Result.

Listeners in ``handlers/`` turn a Slack request into a ``Ctx``, call ``dispatch`` and carry out
the ``Result`` (respond, open a modal, post). Feature modules register subcommands with
``@subcommand`` (``/scep help`` lists them in the order of ``FEATURE_MODULES``) and the answer to
an unknown one with ``@on_unknown``; ``load_features()`` imports them all.
"""

from __future__ import annotations

import importlib
import logging
import re
import shlex
from dataclasses import dataclass
from typing import Callable

from bot.core import blocks as bk
from bot.core.context import Ctx
from bot.core.logtext import user_text
from bot.core.result import Result, failed, refused
from bot.errors import UserError
from bot.store.port import StoreError, StoreFull, StoreUnavailable

log = logging.getLogger("scep-bot")

FEATURE_MODULES = ["bot.setup.commands", "bot.timeline.commands", "bot.schools.commands", "bot.setup.cycles", "bot.help.commands", "bot.setup.roles",
                   "bot.history.commands", "bot.notes.commitments_command", "bot.notes.notes_command", "bot.notes.forget", "bot.exports.commands", "bot.feeds.command",
                   "bot.checklists.command", "bot.scheduling.schedule_command", "bot.scheduling.done", "bot.scheduling.anchors", "bot.review.command",
                   "bot.scheduling.step", "bot.nudges.remind", "bot.nudges.holidays", "bot.setup.dates_command", "bot.privacy.commands", "bot.privacy.relink",
                   "bot.onboarding.command", "bot.digests.command"]

MAX_COMMAND_TEXT = 4000


@dataclass
class Subcommand:
    name: str
    run: Callable[[Ctx, list[str]], Result]
    usage: str
    summary: str
    examples: list[str]
    aliases: tuple[str, ...] = ()
    writes: bool = False  # writes the store: the listener acks before running it
    hidden: bool = False


REGISTRY: dict[str, Subcommand] = {}
ORDER: list[str] = []
_UNKNOWN: list[Callable[[str], Result]] = []  # the answer to a subcommand nobody registered


def subcommand(
    name: str,
    *,
    usage: str,
    summary: str,
    examples: list[str] | None = None,
    aliases: tuple[str, ...] = (),
    writes: bool = False,
    hidden: bool = False,
):
    def wrap(fn: Callable[[Ctx, list[str]], Result]):
        sub = Subcommand(name, fn, usage, summary, examples or [], aliases, writes, hidden)
        for n in (name, *aliases):
            REGISTRY[n] = sub
        if name not in ORDER:
            ORDER.append(name)
        return fn

    return wrap


def on_unknown(fn: Callable[[str], Result]) -> Callable[[str], Result]:
    """Register ``fn(verb)`` as the answer to ``/scep <verb>`` when no subcommand has that name."""
    _UNKNOWN[:] = [fn]
    return fn


def load_features() -> None:
    for mod in FEATURE_MODULES:
        importlib.import_module(mod)


_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


def split_args(text: str) -> list[str]:
    """Split command text like a shell, tolerant of smart quotes and unbalanced quotes."""
    text = (text or "").translate(_QUOTES).strip()
    if not text:
        return []
    try:
        return shlex.split(text)
    except ValueError:
        return text.replace('"', " ").split()


def parse(text: str) -> tuple[str, list[str]]:
    """``"next 5"`` -> ``("next", ["5"])``; empty text -> ``("help", [])``."""
    if len(text or "") > MAX_COMMAND_TEXT:
        raise UserError(f"That command is too long ({len(text)} characters; at most {MAX_COMMAND_TEXT}).")
    parts = split_args(text)
    if not parts:
        return "help", []
    return parts[0].lower(), parts[1:]


def lookup(name: str) -> Subcommand | None:
    return REGISTRY.get(name)


def dispatch(ctx: Ctx, text: str) -> Result:
    """Run ``/scep <text>``. Bad input gives an error Result; other exceptions propagate."""
    try:
        verb, args = parse(text)
        sub = REGISTRY.get(verb)
        if sub is None:
            if not _UNKNOWN:
                raise UserError(f"I don't know `/scep {bk.esc(verb)}`.")
            return _UNKNOWN[0](verb)
        return sub.run(ctx, args)
    except UserError as exc:
        return refused(exc)
    except StoreUnavailable as exc:  # the database is down or restarting: nothing was written
        log.warning("store unavailable for /scep %r: %s", text[:80], exc)
        return failed(TRY_AGAIN)
    except StoreFull:  # logged once by the store when the disk fills
        return failed(DISK_FULL)
    except StoreError as exc:
        log.error("store error for /scep %s: %s", user_text(text), exc)
        return failed(DAMAGED)


DISK_FULL = "The bot's disk is full: nothing was saved. Try again after an admin frees space."
TRY_AGAIN = ":hourglass: I can't reach my database right now, so nothing was changed. Try again in a moment."
DAMAGED = ("This school's data can't be read right now: a data file is damaged. Nothing was changed. "
           "An admin can restore it from its last good copy with `scep-bot doctor`.")


def small_int(text: str, limit: int = 1_000_000) -> int | None:
    """``text`` as a whole number 0..limit written in ASCII digits, else None.

    ``str.isdigit`` is not enough: ``"²"`` is a digit to it and ``int("9" * 5000)`` raises."""
    text = str(text or "").strip()
    if not re.fullmatch(r"[0-9]{1,9}", text):
        return None
    n = int(text)
    return n if n <= limit else None


def option_args(args: list[str], keys: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    """Split ``key:value`` options (case-insensitive keys) from the other words.

    A word with a colon whose key is not one of ``keys`` is an error listing the valid keys,
    unless it looks like a time (``10:30``) or a Slack mention.
    """
    words, opts = [], {}
    for a in args:
        m = re.match(r"^([A-Za-z][A-Za-z_-]*):(.*)$", a)
        if m:
            key = m.group(1).lower()
            if key not in keys:
                shown = str(a)[:80].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                raise UserError(f"'{shown}': I don't know the option '{key}'. Options: " + ", ".join(f"`{k}:`" for k in keys))
            if key in opts:
                raise UserError(f"'{key}:' is given twice; give it once")
            opts[key] = m.group(2).strip()
        else:
            words.append(a)
    return words, opts
