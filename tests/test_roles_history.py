"""/scep roles and /scep history through signed requests: who may change what, and the record."""

from __future__ import annotations

from tests.harness import ADMIN


def test_roles_set_by_mention_and_shown(bot):
    bot.fake.add_user("U0LIAISON", "lia")
    bot.fake.add_user("U0PRINCIP", "pat")
    bot.fake.add_user("U0TEAM001", "tam")
    bot.setup()
    bot.command("roles liaison:<@U0LIAISON|lia> principal:<@U0PRINCIP> team:<@U0TEAM001>,<@U0PRINCIP>")
    reply = bot.last_response_text()
    assert "*liaison*: <@U0LIAISON>" in reply and "*team*: <@U0TEAM001> <@U0PRINCIP>" in reply
    assert bot.responses()[-1]["response_type"] == "in_channel"
    shown = bot.command("roles")
    assert "<@U0PRINCIP>" in bot.last_response_text() or "<@U0PRINCIP>" in shown.text


def test_roles_refuse_plain_names_departed_users_and_outsiders(bot):
    bot.fake.add_user("U0LIAISON", "lia")
    bot.fake.add_user("U0GONE001", "gone", deleted=True)
    bot.fake.add_user("U0OTHER01", "oscar")
    bot.setup()
    bot.command("roles liaison:@lia")
    assert "pick them from Slack's list" in bot.last_response_text()
    bot.command("roles principal:<@U0GONE001>")
    assert "not an active member" in bot.last_response_text()
    bot.command("roles boss:<@U0LIAISON>")
    assert "Options:" in bot.last_response_text()
    bot.command("roles liaison:<@U0LIAISON>")
    bot.command("roles principal:<@U0OTHER01>", user="U0OTHER01")
    reply = bot.last_response_text()
    assert "Only workspace admins and the liaison (<@U0LIAISON>) can change this school's roles" in reply
    # the liaison may, and a non-admin who links a school becomes its liaison
    bot.command("roles principal:<@U0OTHER01>", user="U0LIAISON")
    assert "*principal*: <@U0OTHER01>" in bot.last_response_text()
    bot.command("setup Adams High", channel="C0OTHER01", user="U0OTHER01")
    bot.command("roles", channel="C0OTHER01", user="U0OTHER01")
    assert "*liaison*: <@U0OTHER01>" in bot.last_response_text()
    bot.command("setup Renamed", user="U0OTHER01")
    assert "Only workspace admins and the liaison" in bot.last_response_text()


def test_history_records_who_changed_what(bot):
    bot.fake.add_user("U0LIAISON", "lia")
    bot.fake.add_user("U0OTHER01", "oscar")
    bot.setup("Lincoln Elementary")
    bot.at("2021-11-03T14:00:00Z").command("roles liaison:<@U0LIAISON>")
    ans = bot.command("history")
    text = ans.text
    assert "History of Lincoln Elementary" in text
    assert text.index("roles") < text.index("setup")  # newest first
    assert f"<@{ADMIN}>" in text and "Wed Nov 3 2021, 10:00 AM EDT" in text
    refused = bot.command("history", user="U0OTHER01")
    assert "can read this school's history" in refused.text
    assert "Nothing has been recorded for that step" in bot.command("history visit 1").text
    assert "no step called" in bot.command("history visit 9").text
