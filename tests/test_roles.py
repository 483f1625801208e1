"""Roles and permissions: typed mentions as Slack escapes them, the "Edit roles" modal, and
clear refusals that say who can."""

from __future__ import annotations

from bot.store.schema import PROFILE
from tests.harness import CHANNEL
from tests.slack import button, message_click, view_submission

LIA = "U0LIA0001"
PRI = "U0PRI0001"
TEAM = "U0TEAM001"
GONE = "U0GONE001"


def profile(bot):
    store = bot.services.store
    return store.view(store.school_ids()[0]).get(*PROFILE)


def people(bot):
    for uid, name in ((LIA, "lia"), (PRI, "pat"), (TEAM, "tam")):
        bot.fake.add_user(uid, name)
    bot.fake.add_user(GONE, "gone", deleted=True)


def test_mentions_in_both_escaped_forms_are_accepted(bot):
    people(bot)
    bot.setup()
    bot.command(f"roles liaison:<@{LIA}|lia> principal:<@{PRI}> team:<@{TEAM}|tam>,<@{PRI}>")
    roles = profile(bot)["roles"]
    assert roles["liaison"] == [LIA] and roles["principal"] == [PRI] and roles["team"] == [TEAM, PRI]
    assert bot.responses()[-1]["response_type"] == "in_channel"


def test_plain_names_and_people_who_left_get_a_clear_message(bot):
    people(bot)
    bot.setup()
    bot.command("roles principal:@ben")
    assert "I can't tell who '@ben' is: mention the person with @ and pick them from Slack's list" in bot.last_response_text()
    bot.command(f"roles team:<@{GONE}>")
    assert f"<@{GONE}> is not an active member of this workspace" in bot.last_response_text()
    bot.command(f"roles principal:<@{LIA}>,<@{PRI}>,<@{TEAM}>,<@U0ADMIN01>")
    assert "At most 3 people can be the principal" in bot.last_response_text()
    assert profile(bot)["roles"] == {}


def test_only_admins_and_the_liaison_change_roles_and_the_refusal_says_who_can(bot):
    people(bot)
    bot.setup()
    bot.command(f"roles liaison:<@{LIA}>")
    bot.command(f"roles team:<@{TEAM}>", user=TEAM)
    refusal = bot.last_response_text()
    assert bot.responses()[-1]["response_type"] == "ephemeral"
    assert f"Only workspace admins and the liaison (<@{LIA}>) can change this school's roles." in refusal
    bot.command(f"roles team:<@{TEAM}>", user=LIA)
    assert profile(bot)["roles"]["team"] == [TEAM]
    # setup too
    bot.command("setup New Name", user=TEAM)
    assert "can change this school's setup" in bot.last_response_text()


def test_edit_roles_modal(bot):
    people(bot)
    bot.setup()
    bot.command(f"roles liaison:<@{LIA}>")
    bot.command("roles", user=LIA)
    shown = bot.responses()[-1]
    btn = button(shown["blocks"], "roles_edit")
    # someone who may not: a clear refusal, no modal
    bot.interactive(message_click(bot.fake, shown, CHANNEL, "1.1", btn, user=TEAM))
    assert "Only workspace admins and the liaison" in bot.responses()[-1]["text"] and bot.fake.of("views.open") == []
    bot.interactive(message_click(bot.fake, shown, CHANNEL, "1.1", btn, user=LIA))
    modal = bot.fake.of("views.open")[-1].args["view"]
    assert modal["callback_id"] == "scep_roles"
    blocks = {b["block_id"]: b for b in modal["blocks"] if b.get("type") == "input"}
    assert set(blocks) == {"liaison", "principal", "team", "reviewer", "district"}
    assert blocks["liaison"]["element"]["type"] == "multi_users_select" and blocks["liaison"]["element"]["initial_users"] == [LIA]

    def values(**picked):
        return {role: {"value": {"type": "multi_users_select", "selected_users": picked.get(role, [])}} for role in blocks}

    bad = bot.interactive(view_submission(modal, values(liaison=[LIA], team=[GONE]), user=LIA))
    assert bad.json["response_action"] == "errors" and "left the workspace" in bad.json["errors"]["team"]
    bot.fake.clear()
    ok = bot.interactive(view_submission(modal, values(liaison=[LIA], principal=[PRI], team=[TEAM, PRI]), user=LIA))
    assert ok.status == 200 and ok.body == ""
    assert profile(bot)["roles"] == {"liaison": [LIA], "principal": [PRI], "team": [TEAM, PRI], "reviewer": [], "district": []}
    post = bot.fake.of("chat.postMessage")
    assert len(post) == 1 and post[0].args["channel"] == CHANNEL and f"<@{LIA}> updated the roles" in post[0].args["text"]
    # sent twice: one change
    bot.fake.clear()
    bot.interactive(view_submission(modal, values(liaison=[LIA], principal=[PRI], team=[TEAM, PRI]), user=LIA))
    assert bot.fake.of("chat.postMessage") == []
    audit = bot.services.store.view(bot.services.store.school_ids()[0]).all("audit")
    assert [a["what"] for a in audit.values()].count("roles") == 2  # the typed one and the modal's
    # a non-liaison submitting a stale form: refused in the form
    denied = bot.interactive(view_submission(modal, values(liaison=[TEAM]), user=TEAM))
    assert denied.json["response_action"] == "errors" and "Only workspace admins" in denied.json["errors"]["liaison"]
