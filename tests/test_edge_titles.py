"""An upload's title and comment carry the school's name escaped like every other text (issue 10,
item 7): a school called ``<!channel>`` does not ping the channel through its exports."""

from __future__ import annotations

import json

HOSTILE = "<!channel> Lincoln & <@U0ADMIN01>"


def test_export_titles_are_escaped(bot):
    bot.setup(f'"{HOSTILE}" cycles:nysed-tsi-visits')
    bot.fake.clear()
    for what in ("export year", "export calendar"):
        assert bot.command(what).status == 200
    completed = bot.fake.wait_for("files.completeUploadExternal", count=2)
    assert len(completed) >= 2, [c.method for c in bot.fake.calls]
    shown = json.dumps([c.args for c in completed], ensure_ascii=False)
    assert "<!channel>" not in shown and "<@U0ADMIN01>" not in shown, shown[:800]
    assert "&lt;!channel&gt; Lincoln &amp;" in shown, shown[:800]
