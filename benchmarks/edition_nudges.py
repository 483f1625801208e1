"""How many nudges a default TSI school gets over a school year, before and after editions
(issue 11, item 3), measured by sweeping the year every 3 hours through the real sweep.

"Before": the two NYSED cycles stacked, as the old defaults did (named explicitly here);
"after": `model:TSI` with the defaults, the edition in force. Run:
``.venv/bin/python -m benchmarks.edition_nudges [2024-25]``.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bot.calendar.dates import SchoolYear
from bot.root.emulator import FakeSlack
from tests.harness import CHANNEL, Bot
from tests.nudge_driver import DISTRICT, LIAISON, Driver, add_people, give_roles, nine


def count(setup: str, year: SchoolYear) -> Counter:
    fake = FakeSlack().start()
    fake.add_user("U0ADMIN01", "ada.admin", admin=True)
    add_people(fake)
    with tempfile.TemporaryDirectory() as tmp:
        bot = Bot(Path(tmp) / "data", fake, nine(year.start, 6, 1))
        from schedules.sweep.providers import OUTBOX  # the nudges only: no digests in the count
        saved = dict(OUTBOX.school), dict(OUTBOX.workspace)
        OUTBOX.school.pop("monthly-digest", None)
        OUTBOX.workspace.pop("liaison-digest", None)
        OUTBOX.workspace.pop("digest", None)
        try:
            bot.setup(f"Lincoln Elementary {setup} year:{year}")
            give_roles(bot)
            d = Driver(bot)
            d.run(nine(year.start, 7, 1, 0), nine(year.start + 1, 6, 30, 23), step=timedelta(hours=3))
        finally:
            OUTBOX.school.clear(); OUTBOX.school.update(saved[0])
            OUTBOX.workspace.clear(); OUTBOX.workspace.update(saved[1])
            bot.close()
    fake.stop()
    got: Counter = Counter()
    for p in d.channel_posts(CHANNEL):
        for item, rule in p.nudges:
            got["channel nudges"] += 1
            got[f"  {item.split(':', 1)[1].split('/')[0]}"] += 1
    for user in (LIAISON, DISTRICT):
        got[f"escalation DMs to {'liaison' if user == LIAISON else 'district'}"] += sum(1 for p in d.dms(user) for _, r in p.nudges if r == "escalation")
    return got


def main() -> None:
    year = SchoolYear.parse(sys.argv[1] if len(sys.argv) > 1 else "2024-25")
    before = count("model:TSI cycles:nysed-tsi-visits,nysed-planning-sessions", year)
    after = count("model:TSI", year)
    print(f"default TSI school, {year}, swept every 3 hours (no data dates reported)")
    for key in sorted(set(before) | set(after)):
        print(f"{key:40s} before {before[key]:4d}   after {after[key]:4d}")


if __name__ == "__main__":
    main()
