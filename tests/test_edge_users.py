"""People the bot can't look up fail closed (issue 10, item 6): when ``users.info`` answers
``user_not_found`` or fails, and for Slack Connect strangers (``is_stranger``), the person counts
as a guest: they read what the channel shows and change nothing without a role."""

from __future__ import annotations

import pytest

from bot.store.schema import STEP_KIND
from tests.harness import CHANNEL

MEMBER = "U0MEMB001"
NOBODY = "U0NOBODY1"  # users.info: user_not_found
STRANGER = "U0CONNECT"  # a Slack Connect user from another organisation


def scheduled(bot) -> bool:
    sid = bot.services.store.school_for_channel("T0DEMO001", CHANNEL)
    return any(d.get("scheduled_at") for d in bot.services.store.view(sid).all(STEP_KIND).values())


@pytest.fixture
def school(bot):
    bot.fake.add_user(MEMBER, "mem")
    bot.fake.add_user(STRANGER, "ext")
    bot.fake.users[STRANGER]["is_stranger"] = True
    bot.setup("Lincoln Elementary cycles:nysed-tsi-visits")
    return bot


def act(bot, user: str) -> str:
    ans = bot.command("schedule visit 2 Dec 13 3:15pm", user=user)
    assert ans.status == 200
    return ans.text + "\n".join(r.get("text", "") for r in bot.responses())


def test_a_member_acts_in_the_channel(school):
    act(school, MEMBER)
    assert scheduled(school)  # the control: the refusals below are the lookup's


@pytest.mark.parametrize("who", [NOBODY, STRANGER])
def test_unknown_and_connect_users_only_read(school, who):
    shown = act(school, who)
    assert not scheduled(school), f"{who} scheduled a visit"
    assert "Guests" in shown or "count as a guest" in shown, shown[:400]
    if who == NOBODY:
        assert "Slack didn't tell me who you are" in shown
    assert "SCEP Support Visit" in school.command("timeline", user=who).text  # reading still works
    other = school.command("setup Taken Over", channel="C0OTHER01", user=who)
    assert "Guests of this workspace can't" in other.text + "\n".join(r.get("text", "") for r in school.responses())
    assert school.services.store.school_for_channel("T0DEMO001", "C0OTHER01") is None


def test_a_failing_users_info_fails_closed(school):
    school.fake.fail_next("users.info", error="fatal_error", times=50)
    shown = act(school, MEMBER)
    assert not scheduled(school) and "Slack didn't tell me who you are" in shown, shown[:400]
    school.fake.faults.clear()
    act(school, MEMBER)  # the error was not cached: once Slack answers, the member acts
    assert scheduled(school)
