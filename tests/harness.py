"""Talk to the real Bolt app the way Slack does: signed requests in, Web API calls recorded.

``Bot`` builds the real app (all listeners) on a temporary data directory (or, given
``database_url``, on a PostgreSQL database), with its Web API client pointed at a ``FakeSlack``
on 127.0.0.1 and a clock the test sets.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.calendar import dates
from bot.root.app import build_app
from bot.root.emulator import TEAM_ID, FakeSlack
from bot.root.services import Services, build_services
from bot.root.settings import Settings
from handlers.dispatch import safe_dispatch
from handlers.sealed_views import seal_view

SECRET = "testsigningsecret0123456789abcdef"
CHANNEL = "C0SCHOOL1"
ADMIN = "U0ADMIN01"


def signed_headers(body: str, secret: str = SECRET, ts: int | None = None, content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    sig = SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sig, "Content-Type": content_type}


@dataclass
class Answer:
    status: int
    body: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    @property
    def text(self) -> str:
        """Everything the answer shows: fallback text plus every text in its blocks."""
        data = self.json
        return data.get("text", "") + "\n" + blocks_text(data.get("blocks") or [])


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    out = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(b["text"].get("text", ""))
        for e in b.get("elements", []) or []:
            if isinstance(e, dict):
                if "text" in e and isinstance(e["text"], str):
                    out.append(e["text"])
                elif isinstance(e.get("text"), dict):
                    out.append(e["text"].get("text", ""))
                for o in e.get("options", []) or []:
                    out.append(o.get("text", {}).get("text", ""))
        for f in b.get("fields", []) or []:
            out.append(f.get("text", ""))
    return "\n".join(out)


class Bot:
    def __init__(self, data_dir: Path, fake: FakeSlack, now: datetime, *, process_before_response: bool = True,
                 database_url: str | None = None) -> None:
        self.fake = fake
        self.now = now
        from handlers.context import _USER_CACHE

        _USER_CACHE.clear()  # users.info answers are cached per process: each test starts afresh
        settings = Settings(bot_token="xoxb-test", signing_secret=SECRET, api_url=fake.url, data_dir=data_dir, database_url=database_url)
        self.services: Services = build_services(settings, clock=lambda: self.now)
        self.app = build_app(self.services, token="xoxb-test", signing_secret=SECRET, process_before_response=process_before_response)
        self.seq = 0

    def close(self) -> None:
        self.services.store.close()

    def seal(self, callback_id: str, meta: str) -> str:
        """A form's ``private_metadata`` sealed as the bot seals the forms it opens (with its key)."""
        return seal_view(self.services, {"callback_id": callback_id, "private_metadata": meta})["private_metadata"]

    @staticmethod
    def unseal(meta: str) -> str:
        """What a sealed ``private_metadata`` carries (the seal itself is tested in test_edge_forms)."""
        return meta.rpartition("~")[0] if "~" in meta else meta

    def at(self, iso: str) -> "Bot":
        self.now = dates.parse_instant(iso)
        return self

    def dispatch(self, body: str, headers: dict[str, str]) -> Answer:
        resp = safe_dispatch(self.app, body, headers)  # the entry point HTTP and Socket Mode use
        return Answer(resp.status, resp.body)

    def command(self, text: str, *, channel: str = CHANNEL, user: str = ADMIN, team: str = TEAM_ID) -> Answer:
        self.seq += 1
        body = urlencode({
            "token": "legacy", "team_id": team, "team_domain": "demo", "channel_id": channel, "channel_name": channel.lower(),
            "user_id": user, "user_name": user.lower(), "command": "/scep", "text": text, "api_app_id": "A0TEST",
            "response_url": self.fake.response_url(str(self.seq)), "trigger_id": f"{self.seq}.trigger",
        })
        return self.dispatch(body, signed_headers(body))

    def interactive(self, payload: dict[str, Any]) -> Answer:
        body = urlencode({"payload": json.dumps(payload)})
        return self.dispatch(body, signed_headers(body))

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None) -> Answer:
        self.seq += 1
        envelope = {
            "token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0TEST", "type": "event_callback",
            "event_id": event_id or f"Ev{self.seq:08d}", "event_time": int(self.now.timestamp()), "event": event,
            "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT0001", "is_bot": True}],
        }
        body = json.dumps(envelope)
        headers = signed_headers(body, content_type="application/json")
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return self.dispatch(body, headers)

    # both NYSED cycles, named (a TSI school's defaults follow the edition in force: the visits
    # until 2023-24, the planning sessions from 2024-25; tests/test_editions.py holds those)
    DEMO = "Lincoln Elementary model:TSI cycles:nysed-tsi-visits,nysed-planning-sessions"

    def setup(self, text: str = DEMO, **kw: Any) -> Answer:
        ans = self.command(f"setup {text}", **kw)
        assert ans.status == 200
        return ans

    def adopt(self, cycle_id: str, *models: str) -> str:
        """A district cycle file (``$SCEP_DATA_DIR/cycles/district-<cycle_id>.yaml``): a built-in cycle
        declared for ``models`` and no edition, so that a test school can follow, say, the SEZP
        planning documents beside the NYSED visits (the built-in file is for SEZP schools only).
        Returns the new cycle's id."""
        import re

        from bot.calendar.cycle_files import CycleLibrary

        new_id = f"district-{cycle_id}"
        text = (Path(__file__).resolve().parent.parent / "schedules" / "cycles" / f"{cycle_id}.yaml").read_text()
        text = re.sub(rf"(?m)^id: {re.escape(cycle_id)}$", f"id: {new_id}", text)
        text = re.sub(r"(?m)^models: .*$", f"models: [{', '.join(models)}]", text)
        text = re.sub(r"(?m)^edition: .*\n", "", text)
        folder = self.services.settings.data_dir / "cycles"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{new_id}.yaml").write_text(text)
        self.services.library = CycleLibrary.load(folder)
        assert self.services.library.get(new_id) and not self.services.library.errors, self.services.library.errors
        return new_id

    def responses(self) -> list[dict[str, Any]]:
        return [c.args for c in self.fake.of("response_url")]

    def last_response_text(self) -> str:
        r = self.responses()
        assert r, "the bot sent nothing to the response_url"
        return r[-1].get("text", "") + "\n" + blocks_text(r[-1].get("blocks") or [])
