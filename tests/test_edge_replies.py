"""Every answer reaches whoever acted, with or without a response URL (issue 10, items 10 and
11): payloads without ``response_url`` (Socket Mode, some shortcuts) and response URLs that
fail (they expire after 30 minutes or 5 uses: 401/404) fall back to ``chat.postEphemeral`` (a DM
where there is no channel), with a warning in the log for the failure; no exception after the
ack costs the acknowledgement. The one place: ``handlers.executor.reply``."""

from __future__ import annotations

import logging

from tests.harness import ADMIN, CHANNEL
from tests.slack import message_click, options_of, tick

BOT_MESSAGE = {"type": "message", "bot_id": "B1", "text": "beep", "ts": "1635958800.000001"}


def shortcut(bot, message, *, response_url: bool, channel: str = "C0RANDOM1") -> dict:
    payload = {"type": "message_action", "callback_id": "save_scep_note", "trigger_id": "9.t", "team": {"id": "T0DEMO001"},
               "user": {"id": ADMIN, "team_id": "T0DEMO001"}, "channel": {"id": channel, "name": "random"}, "message": message,
               "message_ts": message["ts"], "api_app_id": "A0TEST", "token": "legacy"}
    if response_url:
        payload["response_url"] = bot.fake.response_url("sc")
    return payload


def ephemerals_to(bot, user: str = ADMIN) -> list[str]:
    return [c.args.get("text", "") for c in bot.fake.of("chat.postEphemeral") if c.args.get("user") == user]


def test_the_note_shortcut_without_a_response_url_answers_by_ephemeral(bot, caplog):
    bot.setup()
    ans = bot.interactive(shortcut(bot, BOT_MESSAGE, response_url=False))
    assert ans.status == 200 and ans.body == ""  # acknowledged, no 500
    assert any("not a bot's" in t for t in ephemerals_to(bot)), bot.fake.calls
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_note_shortcut_whose_form_fails_to_open_says_so_without_a_response_url(bot):
    bot.setup()
    bot.fake.fail_next("views.open", error="expired_trigger_id")
    msg = {"type": "message", "user": ADMIN, "text": "Families asked for a reading night", "ts": "1635958800.000002"}
    ans = bot.interactive(shortcut(bot, msg, response_url=False))
    assert ans.status == 200
    assert any("couldn't open the form" in t for t in ephemerals_to(bot))


def test_in_a_dm_the_bot_is_not_in_the_answer_comes_as_a_dm(bot):
    bot.setup()
    bot.fake.fail_next("chat.postEphemeral", error="channel_not_found")
    ans = bot.interactive(shortcut(bot, BOT_MESSAGE, response_url=False, channel="D0SOMEDM1"))
    assert ans.status == 200
    dms = [c.args for c in bot.fake.of("chat.postMessage") if c.args.get("channel") == ADMIN]
    assert dms and "not a bot's" in dms[-1]["text"]


def test_an_expired_response_url_is_logged_and_the_answer_comes_by_ephemeral(bot, caplog):
    bot.setup()
    bot.fake.fail_next("response_url", status=404, error="expired_url")
    with caplog.at_level(logging.WARNING, logger="scep-bot"):
        ans = bot.command("schedule visit 2 Dec 13 3:15pm")  # a write: the answer goes to the response URL
    assert ans.status == 200
    warned = [r.getMessage() for r in caplog.records if "response_url" in r.getMessage() and r.levelno == logging.WARNING]
    assert warned and "404" in warned[0], [r.getMessage() for r in caplog.records]
    fallback = [c.args for c in bot.fake.of("chat.postEphemeral") + bot.fake.of("chat.postMessage") if c.args.get("channel") == CHANNEL]
    assert any("Dec" in a.get("text", "") or "visit" in a.get("text", "").lower() for a in fallback), fallback


def test_a_click_without_a_response_url_is_answered_in_the_channel(bot):
    bot.setup()
    bot.command("checklist visit 2")
    call = bot.fake.of("chat.postMessage")[-1]
    msg, ts = {"text": call.args["text"], "blocks": call.args["blocks"]}, call.response["ts"]
    payload = tick(bot.fake, msg, CHANNEL, ts, 0, options_of(msg, 0)[:1], user="U0NOBODY1")  # not looked up: a guest, refused
    payload.pop("response_url", None)
    bot.fake.clear()
    ans = bot.interactive(payload)
    assert ans.status == 200 and not bot.fake.of("chat.update")
    refusals = [c.args for c in bot.fake.of("chat.postEphemeral") if c.args.get("user") == "U0NOBODY1"]
    assert refusals and ("Guests" in refusals[-1]["text"] or "guest" in refusals[-1]["text"]), refusals


def test_a_failed_response_url_on_a_click_falls_back_too(bot, caplog):
    bot.setup()
    bot.command("checklist visit 2")
    call = bot.fake.of("chat.postMessage")[-1]
    msg, ts = {"text": call.args["text"], "blocks": call.args["blocks"]}, call.response["ts"]
    from tests.slack import button

    done = message_click(bot.fake, msg, CHANNEL, ts, button(msg["blocks"], "ck_done"), user="U0NOBODY1")
    bot.fake.fail_next("response_url", status=401, error="invalid_url")
    bot.fake.clear()
    with caplog.at_level(logging.WARNING, logger="scep-bot"):
        assert bot.interactive(done).status == 200
    assert any("401" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert [c for c in bot.fake.of("chat.postEphemeral") if c.args.get("user") == "U0NOBODY1"]
