from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.calendar import dates  # noqa: E402
from bot.root.emulator import FakeSlack  # noqa: E402
from tests.harness import Bot  # noqa: E402
from tests.postgres import postgres_db, postgres_server, postgres_url  # noqa: E402, F401 - fixtures, registered by import

SHARED = ROOT.parent / "shared"


@pytest.fixture
def fake():
    f = FakeSlack().start()
    f.add_user("U0ADMIN01", "ada.admin", admin=True)
    yield f
    f.stop()


@pytest.fixture
def bot(tmp_path, fake):
    b = Bot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"))
    yield b
    b.close()


@pytest.fixture
def nudges_only(monkeypatch):
    """Only the nudges feature sends: the monthly digests (another feature, tested on their own)
    are left out of sweeps that test the nudge calendar message by message."""
    from schedules.sweep.providers import OUTBOX

    monkeypatch.delitem(OUTBOX.school, "monthly-digest", raising=False)
    monkeypatch.delitem(OUTBOX.workspace, "liaison-digest", raising=False)
