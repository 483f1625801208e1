"""Messages that misled (issue 10, item 13): setup in a conversation whose id the bot doesn't
recognise as a channel, and a reply under a prompt posted before the school had commitments."""

from __future__ import annotations

from bot.store.schema import NOTE_KIND
from tests.notes_helpers import reply, school, start_prompt, ts_at


def answer(bot, text: str, channel: str) -> str:
    ans = bot.command(text, channel=channel)
    return ans.text + "\n".join(r.get("text", "") for r in bot.responses())


def test_setup_where_no_school_can_live_says_what_the_place_is(bot):
    dm = answer(bot, "setup Lincoln Elementary", "D0DIRECT1")
    assert "direct message" in dm and "there" in dm
    odd = answer(bot, "setup Lincoln Elementary", "X0ODDCONV")
    assert "X0ODDCONV" in odd and "only recognise public and private channels" in odd
    assert "type `/scep setup" in odd and "Link a school from its Slack channel" not in odd  # not "go where you already are"
    assert bot.services.store.school_ids() == []


def test_a_reply_under_a_prompt_from_before_the_commitments_files_under_them(bot):
    sid = school(bot, commitments=())
    thread = start_prompt(bot)
    bot.command('commitments "Every student reads daily" "Family partnership"')
    bot.fake.clear()
    reply(bot, "C2: families came to the reading night", thread_ts=thread, ts=ts_at("2021-11-02T14:00:00Z", 1))
    notes = bot.services.store.view(sid).all(NOTE_KIND)
    assert [n.get("commitment") for n in notes.values()] == [2], notes
    told = " ".join(c.args.get("text", "") for c in bot.fake.of("chat.postEphemeral"))
    assert "no commitments" not in told, told
