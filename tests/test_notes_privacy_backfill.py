"""Student privacy (flag, warn, redact, forget), the backfill of prompt threads, the shortcut."""

from __future__ import annotations

import json
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.calendar import dates
from bot.notes import privacy
from bot.notes.commitments import parse_tag
from handlers.notes_state import notes_state
from tests.harness import ADMIN, CHANNEL, Bot, blocks_text
from tests.notes_helpers import (
    LIAISON,
    TEACHER,
    edit,
    notes_in_store,
    reply,
    school,
    start_prompt,
    ts_at,
)

T0 = "2021-11-03T18:00:00Z"
NOW = dates.parse_instant(T0)


def setup_thread(bot):
    bot.at(T0)
    bot.fake.add_user(TEACHER, "Tia Teacher")
    bot.fake.add_user(LIAISON, "Lee Liaison")
    sid = school(bot)
    bot.command(f"roles liaison:<@{LIAISON}> team:<@{TEACHER}>")
    return sid, start_prompt(bot, "visit 1")


def click(bot, action_id: str, value: str, user: str):
    return bot.interactive({
        "type": "block_actions", "team": {"id": "T0DEMO001"}, "user": {"id": user, "team_id": "T0DEMO001"},
        "channel": {"id": CHANNEL}, "container": {"type": "message", "is_ephemeral": True, "channel_id": CHANNEL},
        "trigger_id": "1.t", "response_url": bot.fake.response_url("btn"), "api_app_id": "A0TEST",
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": value, "action_ts": "1"}],
    })


# ---------------------------------------------------------------- detection


def test_what_is_flagged_and_what_is_not():
    cases = {
        "Student ID 1234567 missed the test": ["student-id"],
        "DOB: 03/14/2012": ["dob"],
        "born on March 14, 2012": ["dob"],
        "she is student Maria Lopez in grade 4": ["student-name"],
        "the 4/12/2013 date": ["dob"],  # a full date 3-22 years back: likely a birth date
        "visit held 11/03/2021 with the Student Focus Group": [],
        "Student Council met; students shared goals": [],
        "budget of $1,250,000 and 2021-22 targets": [],
        "call 555-123-4567": [],
        "see <https://docs.example/d/12345678/edit|the doc> and <@U0ADMIN01>": [],
        "": [],
    }
    for text, want in cases.items():
        assert privacy.kinds(privacy.scan(text, NOW)) == want, text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_scan_and_mask_take_any_text(text):
    flags = privacy.scan(text, NOW)
    masked = privacy.mask(text, flags)
    assert isinstance(masked, str)
    assert privacy.scan(masked, NOW) == [] or len(privacy.scan(masked, NOW)) <= len(flags) + 1
    tag, body = parse_tag(text)
    assert tag is None or tag >= 0
    assert isinstance(body, str)


def test_tags_as_people_write_them():
    assert parse_tag("C1: more time") == (1, "more time")
    assert parse_tag("c2 - families") == (2, "families")
    assert parse_tag("Commitment 3: data") == (3, "data")
    assert parse_tag("*C1:* bold tag")[0] == 1
    assert parse_tag("commitment #2 was strong")[0] == 2
    assert parse_tag("C3PO is a robot") == (None, "C3PO is a robot")
    assert parse_tag("Cohort 1 did well")[0] is None


# ---------------------------------------------------------------- warn, redact, keep


def test_a_flagged_reply_warns_its_author_who_redacts_with_one_click(bot):
    sid, thread = setup_thread(bot)
    ts = ts_at("2021-11-03T18:05:00Z", 1)
    reply(bot, "C1: student Maria Lopez (ID 1234567, DOB 03/14/2012) is reading on grade level", thread_ts=thread, ts=ts)
    key = f"{CHANNEL}:{ts}"
    note = notes_in_store(bot, sid)[key]
    assert note["flags"] == ["dob", "student-id", "student-name"] and not note["redacted"]
    warn = [c.args for c in bot.fake.of("chat.postEphemeral") if "Redact" in json.dumps(c.args.get("blocks"))]
    assert len(warn) == 1 and warn[0]["user"] == TEACHER and warn[0]["thread_ts"] == thread
    buttons = [e for b in warn[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    redact_btn = next(b for b in buttons if b["action_id"] == "note_redact")
    # someone else (not the author, not the liaison) cannot redact it
    bot.fake.add_user("U0OTHER01", "Otto")
    click(bot, "note_redact", redact_btn["value"], "U0OTHER01")
    assert "Only the note's author" in bot.last_response_text()
    assert not notes_in_store(bot, sid)[key]["redacted"]
    # the author can
    click(bot, "note_redact", redact_btn["value"], TEACHER)
    assert "Redacted" in bot.last_response_text()
    assert bot.responses()[-1].get("replace_original") is True
    note = notes_in_store(bot, sid)[key]
    assert note["redacted"] and note["text_source"] is None
    assert "Maria" not in note["text"] and "1234567" not in note["text"] and "2012" not in note["text"]
    assert note["text"].startswith("C1: student [redacted]")
    raw = (bot.services.settings.data_dir / "schools" / f"{sid}.json").read_text()
    assert "Maria" not in raw and "1234567" not in raw  # gone from the disk, not only hidden
    # an edit of the redacted note stays redacted; the author is told
    edit(bot, "C1: student Maria Lopez reads well now", thread_ts=thread, ts=ts)
    note = notes_in_store(bot, sid)[key]
    assert note["redacted"] and "Maria" not in note["text"]
    assert "stays redacted" in bot.fake.of("chat.postEphemeral")[-1].args["text"]
    # and an export leaves it out
    bot.command("export summary visit 1 md")
    md = bot.fake.uploaded()[-1]["data"].decode()
    assert "Maria" not in md and "[redacted]" in md


def test_keep_as_is_clears_a_false_alarm_for_exports(bot):
    sid, thread = setup_thread(bot)
    ts = ts_at("2021-11-03T18:05:00Z", 1)
    reply(bot, "C2: the grant number is 20211103", thread_ts=thread, ts=ts)
    bot.command("export summary visit 1 md")
    assert "20211103" not in bot.fake.uploaded()[-1]["data"].decode()  # masked until the author says
    value = json.dumps({"s": sid, "k": f"{CHANNEL}:{ts}"})
    click(bot, "note_keep", value, TEACHER)
    assert "Kept as is" in bot.last_response_text()
    bot.command("export summary visit 1 md")
    assert "20211103" in bot.fake.uploaded()[-1]["data"].decode()


def test_a_broken_button_value_is_answered(bot):
    setup_thread(bot)
    click(bot, "note_redact", "not json", TEACHER)
    assert "That button is broken" in bot.last_response_text()


# ---------------------------------------------------------------- forget


def test_forget_is_for_the_liaison_and_closes_the_thread(bot):
    sid, thread = setup_thread(bot)
    reply(bot, "C1: one", thread_ts=thread, ts=ts_at("2021-11-03T18:05:00Z", 1))
    reply(bot, "C2: two", thread_ts=thread, ts=ts_at("2021-11-03T18:06:00Z", 2))
    bot.command("forget visit 1", user=TEACHER)
    assert "Only workspace admins and the liaison" in bot.last_response_text()
    assert len(notes_in_store(bot, sid)) == 2
    bot.command("forget visit 1", user=LIAISON)
    assert "deleted 2 notes of SCEP Support Visit 1 (2021-22)" in bot.last_response_text()
    assert notes_in_store(bot, sid) == {}
    # a later reply in that thread is not saved, and a sync does not bring the notes back
    reply(bot, "C1: after forgetting", thread_ts=thread, ts=ts_at("2021-11-03T18:07:00Z", 3))
    bot.command("notes sync")
    assert notes_in_store(bot, sid) == {}
    audit = bot.services.store.view(sid).find("audit", what="notes forgotten")
    assert len(audit) == 1 and list(audit.values())[0]["notes"] == 2
    bot.command("forget visit 1", user=LIAISON)
    assert "has no notes to delete" in bot.last_response_text()
    bot.command("forget")
    assert "/scep forget visit 1" in bot.last_response_text()


# ---------------------------------------------------------------- backfill


def test_notes_sync_saves_missed_replies_across_pages_and_drops_deleted_ones(bot):
    sid, thread = setup_thread(bot)
    saved_ts = ts_at("2021-11-03T18:05:00Z", 1)
    reply(bot, "C1: seen live", thread_ts=thread, ts=saved_ts)
    gone_ts = ts_at("2021-11-03T18:05:30Z", 1)
    reply(bot, "C1: deleted while the bot was down", thread_ts=thread, ts=gone_ts)
    bot.fake.replies[(CHANNEL, thread)] = [m for m in bot.fake.replies[(CHANNEL, thread)] if m["ts"] != gone_ts]
    # 250 replies written while the bot was down: two pages of conversations.replies
    for i in range(250):
        bot.fake.add_reply(CHANNEL, thread, TEACHER, f"C{1 + i % 3}: missed {i}", ts=ts_at("2021-11-03T19:00:00Z", 100 + i))
    bot.fake.add_reply(CHANNEL, thread, "UBOT0001", "a bot line", ts=ts_at("2021-11-03T19:30:00Z", 1), bot_id="BBOT0001")
    bot.fake.clear()
    bot.command("notes sync")
    assert "Read 1 prompt thread: 250 new notes saved, 0 updated, 1 removed." in bot.last_response_text()
    calls = bot.fake.of("conversations.replies")
    assert len(calls) == 2 and calls[1].args.get("cursor")
    notes = notes_in_store(bot, sid)
    assert len(notes) == 251 and f"{CHANNEL}:{gone_ts}" not in notes
    assert len(bot.fake.of("reactions.add")) == 250
    # a second sync finds nothing new
    bot.command("notes sync")
    assert "0 new notes saved, 0 updated, 0 removed" in bot.last_response_text()


def test_a_thread_slack_cannot_list_is_reported_not_emptied(bot):
    sid, thread = setup_thread(bot)
    reply(bot, "C1: kept", thread_ts=thread, ts=ts_at("2021-11-03T18:05:00Z", 1))
    bot.fake.fail_next("conversations.replies", error="channel_not_found")
    bot.command("notes sync")
    assert "Could not read 1" in bot.last_response_text() and "channel_not_found" in bot.last_response_text()
    assert len(notes_in_store(bot, sid)) == 1


def test_replies_written_while_the_bot_was_down_are_saved_on_start(tmp_path, fake):
    first = Bot(tmp_path / "data", fake, dates.parse_instant(T0))
    fake.add_user(TEACHER, "Tia Teacher")
    sid = school(first)
    thread = start_prompt(first, "visit 1")
    first.close()
    fake.add_reply(CHANNEL, thread, TEACHER, "C2: written during the outage", ts=ts_at("2021-11-03T20:00:00Z", 1))
    second = Bot(tmp_path / "data", fake, dates.parse_instant("2021-11-04T12:00:00Z"))
    try:
        notes_state(second.services).backfill.join(10)
        notes = second.services.store.view(sid).all("notes")
        assert [n["text"] for n in notes.values()] == ["C2: written during the outage"]
        assert list(notes.values())[0]["commitment"] == 2 and list(notes.values())[0]["author_name"] == "Tia Teacher"
        assert (CHANNEL, ts_at("2021-11-03T20:00:00Z", 1), "memo") in fake.reactions
    finally:
        second.close()


# ---------------------------------------------------------------- the message shortcut


def shortcut_payload(bot, message: dict, user: str = ADMIN, channel: str = "C0RANDOM1") -> dict:
    return {"type": "message_action", "callback_id": "save_scep_note", "trigger_id": "9.t", "team": {"id": "T0DEMO001"},
            "user": {"id": user, "team_id": "T0DEMO001"}, "channel": {"id": channel, "name": "random"}, "message": message,
            "message_ts": message["ts"], "response_url": bot.fake.response_url("sc"), "api_app_id": "A0TEST", "token": "legacy"}


def submit(bot, view: dict, values: dict, user: str = ADMIN):
    return bot.interactive({"type": "view_submission", "team": {"id": "T0DEMO001"}, "user": {"id": user, "team_id": "T0DEMO001"},
                            "api_app_id": "A0TEST", "trigger_id": "10.t",
                            "view": {**view, "id": "V0NOTE001", "hash": "h1", "state": {"values": values}}})


def sel(action_id: str, value: str) -> dict:
    return {action_id: {"type": "static_select", "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}}


def test_save_as_scep_note_from_any_channel(bot):
    sid, _thread = setup_thread(bot)
    msg = {"type": "message", "user": TEACHER, "text": "Families asked for a second literacy night", "ts": ts_at("2021-11-03T17:00:00Z", 4)}
    ans = bot.interactive(shortcut_payload(bot, msg))
    assert ans.status == 200
    view = bot.fake.of("views.open")[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "scep_save_note"
    text = blocks_text(view["blocks"]) + json.dumps(view)
    assert "Lincoln Elementary" in text and "SCEP Support Visit 1 (2021-22)" in text and "C2 Family partnership" in text
    step_block = next(b for b in view["blocks"] if b.get("block_id") == "step")
    assert step_block["element"]["initial_option"]["value"] == "2021-22|nysed-tsi-visits/visit-1"
    submit(bot, view, {"school": sel("note_school", sid), "step": sel("value", "2021-22|nysed-tsi-visits/visit-1"), "commitment": sel("value", "2")})
    key = f"C0RANDOM1:{msg['ts']}"
    note = notes_in_store(bot, sid)[key]
    assert note["commitment"] == 2 and note["source"] == "shortcut" and note["saved_by"] == ADMIN and note["author"] == TEACHER
    confirm = bot.fake.of("chat.postEphemeral")[-1].args
    assert confirm["user"] == ADMIN and "Saved as a note of SCEP Support Visit 1 (2021-22)" in confirm["text"] and "Family partnership" in confirm["text"]
    assert ("C0RANDOM1", msg["ts"], "memo") in bot.fake.reactions
    # an edit of that message (in a channel that is not the school's) updates the note
    bot.event({"type": "message", "subtype": "message_changed", "channel": "C0RANDOM1", "ts": "1.0",
               "message": {"type": "message", "user": TEACHER, "text": "Families asked for TWO literacy nights", "ts": msg["ts"]}})
    note = notes_in_store(bot, sid)[key]
    assert note["text"] == "Families asked for TWO literacy nights" and note["commitment"] == 2  # the picked commitment stays
    # saving it again re-files it
    submit(bot, view, {"school": sel("note_school", sid), "step": sel("value", "2021-22|nysed-tsi-visits/visit-2"), "commitment": sel("value", "0")})
    note = notes_in_store(bot, sid)[key]
    assert note["step"] == "nysed-tsi-visits/visit-2" and note["commitment"] is None
    assert "Re-filed" in bot.fake.of("chat.postEphemeral")[-1].args["text"]


def test_the_shortcut_refuses_bot_messages_and_expired_forms(bot):
    setup_thread(bot)
    bot.interactive(shortcut_payload(bot, {"type": "message", "bot_id": "B1", "text": "beep", "ts": "1635958800.000001"}))
    assert "not a bot's" in bot.last_response_text()
    view = {"type": "modal", "callback_id": "scep_save_note", "private_metadata": bot.seal("scep_save_note", json.dumps({"p": "nope"}))}
    ans = submit(bot, view, {"school": sel("note_school", "x"), "step": sel("value", "x"), "commitment": sel("value", "0")})
    assert ans.json.get("response_action") == "errors" and "expired" in ans.json["errors"]["school"]


def test_picking_another_school_refreshes_the_steps(bot):
    sid, _ = setup_thread(bot)
    bot.command("setup Brightwood cycles:sezp-planning", channel="C0BRIGHT1")
    other = bot.services.store.school_for_channel("T0DEMO001", "C0BRIGHT1")
    msg = {"type": "message", "user": TEACHER, "text": "note", "ts": ts_at("2021-11-03T17:00:00Z", 4)}
    bot.interactive(shortcut_payload(bot, msg))
    view = bot.fake.of("views.open")[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    bot.interactive({"type": "block_actions", "team": {"id": "T0DEMO001"}, "user": {"id": ADMIN, "team_id": "T0DEMO001"},
                     "api_app_id": "A0TEST", "trigger_id": "11.t", "container": {"type": "view", "view_id": "V0NOTE001"},
                     "view": {**view, "id": "V0NOTE001", "hash": "h1", "state": {"values": {}}},
                     "actions": [{"action_id": "note_school", "block_id": "school", "type": "static_select",
                                  "selected_option": {"value": other, "text": {"type": "plain_text", "text": "Brightwood"}}, "action_ts": "1"}]})
    upd = bot.fake.of("views.update")[-1].args
    new_view = json.loads(upd["view"]) if isinstance(upd["view"], str) else upd["view"]
    assert upd["view_id"] == "V0NOTE001" and "Priority Levers Form" in json.dumps(new_view)
    assert sid != other


def test_commitments_form_and_bad_commitments(bot):
    bot.at(T0)
    bot.setup()
    bot.command("commitments")
    view = bot.fake.of("views.open")[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "scep_commitments"
    values = {"c1": {"value": {"type": "plain_text_input", "value": "Reading"}}, "c2": {"value": {"type": "plain_text_input", "value": "  "}},
              "c3": {"value": {"type": "plain_text_input", "value": "Family partnership"}}}
    submit(bot, view, values)
    posted = bot.fake.of("chat.postMessage")[-1].args
    assert "`C1` Reading\n`C2` Family partnership" in posted["text"]
    sid = bot.services.store.school_for_channel("T0DEMO001", CHANNEL)
    assert bot.services.store.view(sid).get("school", "profile")["commitments"] == ["Reading", "Family partnership"]
    bot.command("commitments " + " ".join(f'"c{i}"' for i in range(11)))
    assert "at most 10" in bot.last_response_text()
    bot.command('commitments "' + "x" * 301 + '"')
    assert "keep each under 300" in bot.last_response_text()
    bot.fake.add_user(TEACHER, "Tia")
    bot.command(f"roles team:<@{TEACHER}>")
    bot.command('commitments "Mine"', user=TEACHER)
    assert "Only workspace admins and the liaison" in bot.last_response_text() and "the principal" in bot.last_response_text()
    assert bot.services.store.view(sid).get("school", "profile")["commitments"] == ["Reading", "Family partnership"]


def test_time_is_a_parameter_of_dob_detection():
    assert privacy.kinds(privacy.scan("on 4/12/2013", datetime(2021, 11, 3, tzinfo=dates.UTC))) == ["dob"]
    assert privacy.kinds(privacy.scan("on 4/12/2013", datetime(2014, 11, 3, tzinfo=dates.UTC))) == []
