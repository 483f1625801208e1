"""One school's notes, checklist and dates never show in another school's channel, App Home or
exports: every path that could carry school A into school B is tried and must be refused.

School A has a distinctive note, commitment and scheduled visit; a liaison who supports both
schools (as district liaisons do) acts in school B's channel with school A's ids."""

from __future__ import annotations

import json

import pytest

from tests import authz_world as W
from tests.authz_world import A_CHANNEL, A_NAME, B_CHANNEL, World, observe
from tests.notes_helpers import reply, ts_at
from tests.slack import app_home_opened

BOTH = "U0BOTHLIA"  # the liaison of both schools
A_NOTE = "ZEBRA families asked for a literacy night"
A_COMMITMENT = "Okapi reading minutes"


@pytest.fixture
def world(bot) -> World:
    w = W.build(bot)
    bot.fake.add_user(BOTH, "both")
    bot.command(f"roles liaison:<@{W.LIAISON}>,<@{BOTH}>", channel=A_CHANNEL)
    bot.command(f"roles liaison:<@{W.OTHER}>,<@{BOTH}>", channel=B_CHANNEL)
    bot.command(f'commitments "{A_COMMITMENT}" "Family partnership"', channel=A_CHANNEL)
    bot.command("schedule visit 2 Dec 13 3:15pm", channel=A_CHANNEL)
    thread = next(iter(w.store.view(w.a).all("prompts").values()))["ts"]
    reply(bot, f"C1: {A_NOTE}", thread_ts=thread, ts=ts_at("2021-11-02T12:55:00Z", 11), user=W.TEAM)
    return w


def shows_a(text: str) -> list[str]:
    return [m for m in (A_NAME, A_NOTE, A_COMMITMENT, "3:15 PM", A_CHANNEL) if m in text]


def test_reading_in_bs_channel_never_shows_a(world):
    bot = world.bot
    # the same commands in A's channel do show A's note, commitment and date: what is looked for is there to find
    assert A_NOTE in shows_a(observe(world, lambda: bot.command("notes visit 1", channel=A_CHANNEL, user=BOTH)).shown)
    assert A_COMMITMENT in shows_a(observe(world, lambda: bot.command("commitments", channel=A_CHANNEL, user=BOTH)).shown)
    assert "3:15 PM" in shows_a(observe(world, lambda: bot.command("step visit 2", channel=A_CHANNEL, user=BOTH)).shown)
    for text in ("next 20", "timeline", "step visit 2", "notes visit 1", "notes", "commitments", "roles", "history all", "remind",
                 "remind visit 2", "checklist visit 2", "schools"):
        for who in (BOTH, W.OTHER):
            seen = observe(world, lambda: bot.command(text, channel=B_CHANNEL, user=who))
            leaked = shows_a(seen.shown) if text != "schools" or who == W.OTHER else []
            assert not leaked, f"/scep {text} by {who} in B's channel shows school A: {leaked}"
    # /scep schools lists A for the liaison of both: names and dates of their own schools, not a leak
    assert A_NAME in observe(world, lambda: bot.command("schools", channel=B_CHANNEL, user=BOTH)).shown


def test_exports_in_bs_channel_hold_only_b(world):
    bot = world.bot
    bot.fake.clear()
    bot.command("export year", channel=A_CHANNEL, user=BOTH)  # in A's own channel: A's note is in it
    assert any(A_NOTE in f.get("data", b"").decode("utf-8-sig", "replace") for f in bot.fake.uploaded())
    for text in ("export year", "export calendar", "export year 2021-22"):
        before = len(bot.fake.uploaded())
        bot.command(text, channel=B_CHANNEL, user=BOTH)
        files = bot.fake.uploaded()[before:]
        assert files, f"/scep {text}: nothing uploaded"
        for f in files:
            assert f["channel"] == B_CHANNEL
            content = f.get("data", b"").decode("utf-8-sig", "replace")
            assert not shows_a(content + json.dumps({k: v for k, v in f.items() if k != "data"}, default=str)), f"{f.get('title')} holds school A"
    before = len(bot.fake.uploaded())
    seen = observe(world, lambda: bot.command("export summary visit 1", channel=B_CHANNEL, user=BOTH))
    assert not shows_a(seen.shown) and not any(A_NOTE in f.get("data", b"").decode("utf-8", "replace") for f in bot.fake.uploaded()[before:])


def test_buttons_and_forms_with_as_ids_in_bs_channel_are_refused(world):
    """The liaison of both schools may act on A, but not from B's channel: a button or a form that
    carries A's ids there is refused, and B's channel is never sent A's checklist."""
    bot = world.bot
    msg = {"type": "message", "ts": "1700000000.000777", "text": world.checklist["text"], "blocks": world.checklist["blocks"], "user": "UBOT0001"}
    block = next(b for b in world.checklist["blocks"] if b.get("type") == "actions" and b["elements"][0].get("type") == "checkboxes")
    clicks = [
        {"action_id": block["elements"][0]["action_id"], "block_id": block["block_id"], "type": "checkboxes", "selected_options": [block["elements"][0]["options"][0]]},
        {"action_id": "ck_done", "value": f"{world.a}|{world.key('visit 1')}|held"},
        {"action_id": "sched_open", "value": f"{world.a}|{world.key('visit 2')}"},
        {"action_id": "home_checklist", "value": f"{world.a}|{world.key('visit 1')}"},
        {"action_id": "ck_current", "value": f"{world.a}|nysed-tsi-visits/visit-1"},
        {"action_id": "rv_submit", "value": f"{world.a}|{world.key('calendars')}|draft"},
        {"action_id": "roles_edit", "value": world.a},
        {"action_id": "nudge_done", "value": f"{world.a}|{world.key('visit 1')}|closing"},
        {"action_id": "nudge_snooze", "value": f"{world.a}|{world.key('visit 1')}|closing"},
        {"action_id": "note_redact", "value": json.dumps({"s": world.a, "k": world.note_key})},
    ]
    for act in clicks:
        seen = observe(world, lambda: bot.interactive(W.click(bot, BOTH, act, where=B_CHANNEL, message=msg)))
        assert seen.refused and not seen.wrote, f"{act['action_id']} with A's ids in B's channel: {seen.shown[:300]}"
        assert not seen.of("chat.update") and not seen.posts_in(B_CHANNEL) and not seen.posts_in(A_CHANNEL)
        assert not [v for v in seen.views("scep_checklist") + seen.views("scep_schedule") + seen.views("scep_roles")], act["action_id"]
    forms = [
        ("scep_schedule", f"{world.a}|{world.key('visit 3')}|{B_CHANNEL}", {"date": {"value": {"type": "datepicker", "selected_date": "2022-01-20"}},
                                                                             "time": {"value": {"type": "timepicker", "selected_time": "10:00"}}}),
        ("scep_roles", f"{world.a}|{B_CHANNEL}", {"team": {"value": {"type": "multi_users_select", "selected_users": [W.EXTRA]}}}),
    ]
    for callback, meta, values in forms:
        seen = observe(world, lambda: bot.interactive(W.submission(BOTH, callback, meta, values, sealed_by=bot)))
        assert seen.refused and not seen.wrote, f"{callback} with A's ids from B's channel"
    # a nudge's "Open checklist" in B's channel opens B's checklist, whatever step key it carries
    seen = observe(world, lambda: bot.interactive(W.click(bot, BOTH, {"action_id": "open_checklist", "value": world.key("visit 2")}, where=B_CHANNEL)))
    opened = seen.views("scep_checklist")
    assert opened and W.B_NAME in json.dumps(opened) and not shows_a(json.dumps(opened))


def test_the_shortcut_files_a_message_of_as_channel_only_in_a(world):
    bot = world.bot
    opened, meta = W.open_note_form(world, BOTH, A_CHANNEL, text="said in A's channel")
    form = opened.views("scep_save_note")[-1]
    schools = next(b for b in form["blocks"] if b.get("block_id") == "school")["element"]["options"]
    assert [o["value"] for o in schools] == [world.a], "the form offers other schools for a message in A's channel"
    values = {"school": W.select("note_school", world.b), "step": W.select("value", "2021-22|nysed-tsi-visits/visit-1"), "commitment": W.select("value", "0")}
    seen = observe(world, lambda: bot.interactive(W.submission(BOTH, "scep_save_note", meta, values)))
    assert "it can only be saved as a note of" in seen.shown and not seen.wrote_b
    assert not any("said in A's channel" in n.get("text", "") for n in world.store.view(world.b).all("notes").values())
    # picking school B in the form's menu does not switch the form to B either
    pick = W.click(bot, BOTH, {"action_id": "note_school", "type": "static_select", "selected_option": {"value": world.b}}, where=None,
                   view={**form, "type": "modal"})
    seen = observe(world, lambda: bot.interactive(pick))
    assert not any(W.B_NAME in json.dumps(v) for v in seen.views("scep_save_note"))


def test_a_reply_in_bs_channel_to_as_thread_is_not_as_note(world):
    bot = world.bot
    thread = next(iter(world.store.view(world.a).all("prompts").values()))["ts"]
    before_a, before_b = len(world.store.view(world.a).all("notes")), len(world.store.view(world.b).all("notes"))
    reply(bot, "C1: posted in B with A's thread ts", thread_ts=thread, ts=ts_at("2021-11-02T13:00:00Z", 12), user=W.OTHER, channel=B_CHANNEL)
    assert len(world.store.view(world.a).all("notes")) == before_a and len(world.store.view(world.b).all("notes")) == before_b
    assert not bot.fake.of("reactions.add") or all(c.args["channel"] != B_CHANNEL for c in bot.fake.of("reactions.add"))


def test_app_home_digests_and_nudges_keep_schools_apart(world):
    bot = world.bot
    home = observe(world, lambda: bot.event(app_home_opened(W.OTHER)))
    assert not shows_a(json.dumps(home.views("home")))
    from schedules.sweep.jobs import sweep

    bot.fake.clear()
    for instant in ("2021-11-08T13:05:00Z", "2021-11-27T14:05:00Z", "2021-12-01T14:05:00Z", "2021-12-01T15:05:00Z", "2021-12-13T14:05:00Z"):
        sweep(bot.services, bot.app.client, bot.at(instant).now)
    to_b = [c for c in bot.fake.of("chat.postMessage") if c.args["channel"] in (B_CHANNEL, W.OTHER, "D" + W.OTHER[1:])]
    assert to_b, "nothing was sent to school B or its liaison"
    for c in to_b:
        assert not shows_a(json.dumps(c.args)), f"school A in a message to B: {c.args['text'][:200]}"
    to_both = [c for c in bot.fake.of("chat.postMessage") if c.args["channel"] in (BOTH, "D" + BOTH[1:])]
    assert any(A_NAME in json.dumps(c.args) for c in to_both), "the liaison of both schools hears about A"
