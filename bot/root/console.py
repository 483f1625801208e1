"""The console: the real Bolt app and listeners, driven from a terminal.

Each ``/scep ...`` line becomes a signed slash-command request dispatched into the Bolt app, whose
Web API client talks to a local Slack emulator on 127.0.0.1; what the bot answered or posted is
printed as text. Lines that are not slash commands: ``channel <name>`` switches the channel,
``user <name>`` the person, ``now <ISO-8601>`` the clock, ``sweep [dry-run]`` sends the nudges due
at the console's clock, ``help``, ``quit``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sys
import time
from datetime import datetime
from typing import Any, Callable, TextIO
from urllib.parse import urlencode

from bot.calendar import dates
from bot.root.app import build_app
from bot.root.emulator import TEAM_ID, FakeSlack
from bot.root.services import build_services, real_clock
from bot.root.settings import Settings

DEMO_CHANNEL = ("C0DEMO001", "lincoln-elementary")
DEMO_USER = ("U0DEMO001", "demo.liaison")
SIGNING_SECRET = "consolesigningsecret0123456789ab"


def sign(secret: str, body: str, ts: int | None = None) -> dict[str, str]:
    """Slack's request signature headers for ``body`` (v0, HMAC-SHA256)."""
    ts = int(time.time()) if ts is None else ts
    base = f"v0:{ts}:{body}".encode()
    sig = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sig, "Content-Type": "application/x-www-form-urlencoded"}


def mrkdwn_to_text(text: str, names: dict[str, str]) -> str:
    text = re.sub(r"<#(C\w+)(\|([^>]*))?>", lambda m: "#" + (m.group(3) or names.get(m.group(1), m.group(1))), text)
    text = re.sub(r"<@(U\w+)(\|([^>]*))?>", lambda m: "@" + (m.group(3) or names.get(m.group(1), m.group(1))), text)
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2 (\1)", text)
    # an emoji code is a word with a letter between colons, not glued to what comes before:
    # `time:08:30` and `file.yaml:41:` stay as they are
    # (an icon with no text form takes the space after it along: "· :ballot_box_with_check: 4/9" -> "· 4/9")
    text = re.sub(r"(?<![\w:]):([a-z0-9_+-]*[a-z][a-z0-9_+-]*):( ?)", lambda m: ICONS[m.group(1)] + m.group(2) if ICONS.get(m.group(1)) else "", text)
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)  # *bold*
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


ICONS = {
    "red_circle": "[!]", "large_green_circle": "[open]", "white_circle": "[ ]", "hourglass_flowing_sand": "[wait]",
    "white_check_mark": "[x]", "black_small_square": "[-]", "grey_question": "[?]", "warning": "(!)", "calendar": "[cal]",
    "hourglass": "...", "school": "", "face_with_head_bandage": "",
}


def render_blocks(blocks: list[dict[str, Any]] | None, fallback: str, names: dict[str, str]) -> str:
    if not blocks:
        return mrkdwn_to_text(fallback or "", names)
    out = []
    for b in blocks:
        t = b.get("type")
        if t in ("section", "header"):
            if b.get("text"):
                out.append(b["text"]["text"] if t == "section" else f"== {b['text']['text']} ==")
            for f in b.get("fields") or []:
                out.append(f.get("text", ""))
        elif t == "context":
            out.append("   " + " ".join(e.get("text", "") for e in b.get("elements", [])))
        elif t == "divider":
            out.append("-" * 40)
        elif t == "actions":
            labels = [e.get("text", {}).get("text", "") for e in b.get("elements", []) if e.get("type") == "button"]
            boxes = [(o["text"]["text"], o in (e.get("initial_options") or [])) for e in b.get("elements", []) if e.get("type") == "checkboxes" for o in e.get("options", [])]
            if labels:
                out.append("   " + "  ".join(f"[{l}]" for l in labels))
            out.extend(f"   [{'x' if on else ' '}] {x}" for x, on in boxes)
    return mrkdwn_to_text("\n".join(out), names)


class Console:
    """Drives the Bolt app like Slack would, one command at a time."""

    def __init__(self, build: Callable[[FakeSlack], Any], clock_box: list[datetime | None], out: TextIO = sys.stdout,
                 sweeper: Callable[[Any, bool], list[str]] | None = None) -> None:
        self.fake = FakeSlack().start()
        self.fake.add_user(DEMO_USER[0], DEMO_USER[1], admin=True)
        self.names = {DEMO_CHANNEL[0]: DEMO_CHANNEL[1], DEMO_USER[0]: DEMO_USER[1]}
        self.channel = DEMO_CHANNEL
        self.user = DEMO_USER
        self.clock_box = clock_box
        self.out = out
        self.app = build(self.fake)
        self.seq = 0
        self.sweeper = sweeper

    def close(self) -> None:
        self.fake.stop()

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def channel_id(self, name: str) -> str:
        name = name.lstrip("#")
        for cid, n in self.names.items():
            if n == name and cid.startswith("C"):
                return cid
        cid = "C" + hashlib.sha1(name.encode()).hexdigest()[:8].upper()
        self.names[cid] = name
        return cid

    def handle(self, line: str) -> bool:
        """Run one line; False when the console should stop."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        word, _, rest = line.partition(" ")
        if word in ("quit", "exit", ":q"):
            return False
        if word == "help":
            self.say("Type /scep commands (try `/scep help`). Also: `channel <name>`, `user <name>`, `now <ISO-8601>|real`, "
                     "`sweep [dry-run]` (send the nudges due at the console's clock), `quit`.")
            return True
        if word == "sweep" and self.sweeper is not None:
            before = len(self.fake.calls)
            lines = self.sweeper(self.app.client, rest.strip() in ("dry-run", "--dry-run", "dry"))
            for call in self.fake.calls[before:]:
                self.show(call)
            self.say("\n".join([lines[0], *(line for line in lines[1:] if not line.startswith("sent"))]))
            return True
        if word == "channel" and rest:
            self.channel = (self.channel_id(rest), rest.strip().lstrip("#"))
            self.say(f"(now in #{self.channel[1]})")
            return True
        if word == "user" and rest:
            uid = "U" + hashlib.sha1(rest.encode()).hexdigest()[:8].upper()
            self.names[uid] = rest.strip()
            self.fake.add_user(uid, rest.strip())
            self.user = (uid, rest.strip())
            self.say(f"(now typing as @{self.user[1]})")
            return True
        if word == "now" and rest:
            if rest.strip() == "real":
                self.clock_box[0] = None
            else:
                try:
                    self.clock_box[0] = dates.parse_instant(rest)
                except dates.DateError as exc:
                    self.say(str(exc))
                    return True
            self.say(f"(clock: {self.clock_box[0].isoformat() if self.clock_box[0] else 'real time'})")
            return True
        if not word.startswith("/"):
            self.say(f"Slash commands start with /: try `/scep {line}`, or `help`.")
            return True
        if word != "/scep":
            self.say(f"{word} is not a command of this app: try `/scep help`.")
            return True
        self.slash(rest)
        return True

    def slash(self, text: str) -> None:
        from handlers.dispatch import safe_dispatch

        self.seq += 1
        body = urlencode({
            "token": "console", "team_id": TEAM_ID, "team_domain": "demo", "channel_id": self.channel[0],
            "channel_name": self.channel[1], "user_id": self.user[0], "user_name": self.user[1], "command": "/scep",
            "text": text, "api_app_id": "A0CONSOLE", "response_url": self.fake.response_url(str(self.seq)),
            "trigger_id": f"{self.seq}.console.trigger",
        })
        before = len(self.fake.calls)
        resp = safe_dispatch(self.app, body, sign(SIGNING_SECRET, body))
        if resp.body:
            try:
                msg = json.loads(resp.body)
                self.say(render_blocks(msg.get("blocks"), msg.get("text", ""), self.names))
            except ValueError:
                self.say(resp.body)
        elif resp.status != 200:
            self.say(f"(Slack would show an error: HTTP {resp.status})")
        for call in self.fake.calls[before:]:
            self.show(call)

    def show(self, call) -> None:
        a = call.args
        if call.method == "response_url":
            self.say(render_blocks(a.get("blocks"), a.get("text", ""), self.names))
        elif call.method in ("chat.postMessage", "chat.update"):
            ch = a.get("channel", "")
            where = ("DM @" if ch[:1] in ("U", "W") else "#") + self.names.get(ch, ch)
            self.say(f"[{where}{' (updated)' if call.method == 'chat.update' else ''}]\n" + render_blocks(a.get("blocks"), a.get("text", ""), self.names))
        elif call.method == "chat.postEphemeral":
            self.say(render_blocks(a.get("blocks"), a.get("text", ""), self.names))
        elif call.method == "views.open":
            view = a.get("view") or {}
            labels = [b.get("label", {}).get("text", "") for b in view.get("blocks", []) if b.get("type") == "input"]
            self.say(f"(Slack would open the form \"{view.get('title', {}).get('text', '')}\" with: {', '.join(labels)}. "
                     "The console can't fill forms: type the command with its arguments instead.)")
        elif call.method == "files.completeUploadExternal":
            self.say(f"(uploaded {', '.join(f.get('title') or f.get('id', '') for f in a.get('files', []))})")

    def run(self, stream: TextIO) -> int:
        interactive = stream.isatty()
        if interactive:
            self.say("scep-bot console: a demo workspace on this machine. Try `/scep next`; `help` for more; `quit` to leave.")
        while True:
            if interactive:
                print(f"#{self.channel[1]} > ", end="", file=self.out, flush=True)
            line = stream.readline()
            if not line:
                return 0
            if not self.handle(line):
                return 0


def console_command(settings: Settings, now_text: str | None) -> int:
    from bot.root.console import DEMO_CHANNEL, DEMO_USER, SIGNING_SECRET, Console

    clock_box = [dates.parse_instant(now_text) if now_text else None]

    def clock():
        return clock_box[0] or real_clock()

    if not os.environ.get("SCEP_DATA_DIR"):
        settings.data_dir = settings.data_dir / "console"
    services = build_services(settings, clock=clock)
    seed_demo(services, DEMO_CHANNEL[0], DEMO_USER[0])

    def build(fake):
        settings.api_url = fake.url
        return build_app(services, token="xoxb-console", signing_secret=SIGNING_SECRET, process_before_response=True)

    def sweeper(client, dry_run: bool) -> list[str]:
        from bot.root.clock import run_sweep

        return run_sweep(services, client, None, dry_run).lines()

    console = Console(build, clock_box, sweeper=sweeper)
    try:
        return console.run(sys.stdin)
    finally:
        console.close()
        services.store.close()


def seed_demo(services, channel: str, user: str) -> None:
    """A demo school in the console's demo channel, the first time."""
    from bot.core.context import Ctx
    from bot.root.emulator import TEAM_ID
    from bot.setup.apply import apply_setup

    if services.store.school_for_channel(TEAM_ID, channel):
        return
    ctx = Ctx(services.store, services.library, services.clock(), TEAM_ID, channel, user)
    apply_setup(ctx, {"name": "Lincoln Elementary", "model": "TSI"})
