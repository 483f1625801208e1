"""Notes captured from thread replies, through signed event payloads against the fake Web API."""

from __future__ import annotations

import json

from handlers.notes_state import notes_state
from handlers.seen import Seen
from tests.harness import ADMIN, CHANNEL, blocks_text
from tests.notes_helpers import (
    TEACHER,
    delete,
    edit,
    notes_in_store,
    reply,
    school,
    start_prompt,
    ts_at,
)

T0 = "2021-11-03T18:00:00Z"


def setup_thread(bot):
    bot.at(T0)
    bot.fake.add_user(TEACHER, "Tia Teacher")
    sid = school(bot)
    thread = start_prompt(bot, "visit 1")
    return sid, thread


def test_prompt_has_questions_commitments_and_how_to_reply(bot):
    bot.at(T0)
    bot.setup()
    bot.command('commitments "Every student reads daily" "Family <!channel> partnership"')
    bot.command("notes start visit 1")
    assert "Posted the notes prompt for SCEP Support Visit 1 (2021-22)" in bot.last_response_text()
    post = bot.fake.of("chat.postMessage")[-1].args
    assert post["channel"] == CHANNEL
    text = post["text"] + blocks_text(post["blocks"])
    assert "How does the work that has occurred to date compare to what was envisioned?" in text
    assert "`C1` Every student reads daily" in text and "`C2` Family &lt;!channel&gt; partnership" in text
    assert "<!channel>" not in text  # a commitment typed with markup never pings anyone
    assert "C1: ..." in text and "general note" in text
    # the prompt is remembered with the commitments it was posted with
    sid = bot.services.store.school_for_channel("T0DEMO001", CHANNEL)
    prompts = bot.services.store.view(sid).all("prompts")
    assert len(prompts) == 1 and list(prompts.values())[0]["commitments"][0] == "Every student reads daily"


def test_notes_start_needs_a_known_step(bot):
    bot.at(T0)
    school(bot)
    bot.command("notes start")
    assert "/scep notes start visit 1" in bot.last_response_text()
    bot.command("notes start visit 9")
    assert "no step called 'visit 9'" in bot.last_response_text()
    assert not [c for c in bot.fake.of("chat.postMessage") if "Notes for" in (c.args.get("text") or "")]


def test_a_reply_is_saved_then_confirmed_with_a_reaction(bot):
    sid, thread = setup_thread(bot)
    ts = ts_at("2021-11-03T18:05:00Z", 1)
    ans = reply(bot, "C1: Reading blocks now happen daily in grades 3-5.", thread_ts=thread, ts=ts)
    assert ans.status == 200
    note = notes_in_store(bot, sid)[f"{CHANNEL}:{ts}"]
    assert note["commitment"] == 1 and note["step"] == "nysed-tsi-visits/visit-1" and note["year"] == "2021-22"
    assert note["author"] == TEACHER and note["author_name"] == "Tia Teacher"
    assert note["at"] == "2021-11-03T18:05:00+00:00"
    assert note["permalink"] == f"https://demo.slack.com/archives/{CHANNEL}/p{ts.replace('.', '')}?thread_ts={thread}&cid={CHANNEL}"
    # durable: it is in the school's file on disk, and the reaction came after
    text = (bot.services.settings.data_dir / "schools" / f"{sid}.json").read_text()
    assert "Reading blocks now happen daily" in text
    assert [(c.args["channel"], c.args["timestamp"], c.args["name"]) for c in bot.fake.of("reactions.add")] == [(CHANNEL, ts, "memo")]
    # tags: "Commitment 2:", untagged = general
    reply(bot, "Commitment 2: families came to the literacy night", thread_ts=thread, ts=ts_at("2021-11-03T18:06:00Z", 2))
    reply(bot, "The principal will adjust the schedule.", thread_ts=thread, ts=ts_at("2021-11-03T18:07:00Z", 3))
    notes = notes_in_store(bot, sid)
    assert sorted((n["commitment"] or 0) for n in notes.values()) == [0, 1, 2]
    counts = bot.services.store.view(sid).get("steps", "2021-22:nysed-tsi-visits/visit-1")["notes"]
    assert counts == {"count": 3, "by_commitment": {"1": 1, "2": 1, "general": 1}}


def test_notes_listing_groups_by_commitment_and_names_the_missing(bot):
    sid, thread = setup_thread(bot)
    reply(bot, "C1: daily reading", thread_ts=thread, ts=ts_at("2021-11-03T18:05:00Z", 1))
    reply(bot, "general remark", thread_ts=thread, ts=ts_at("2021-11-03T18:06:00Z", 2))
    bot.command("notes visit 1")
    text = bot.last_response_text()
    assert "Notes for SCEP Support Visit 1* (2021-22) · 2 notes" in text
    assert text.index("C1 Every student reads daily") < text.index("daily reading") < text.index("General notes")
    assert "— Tia Teacher, Wed Nov 3 2021, 2:05 PM EDT" in text
    assert "Commitments with no notes yet: C2, C3" in text
    # without a step: the latest prompted step
    bot.command("notes")
    assert "Notes for SCEP Support Visit 1" in bot.last_response_text()


def test_retries_never_duplicate(bot):
    sid, thread = setup_thread(bot)
    ts = ts_at("2021-11-03T18:05:00Z", 1)
    reply(bot, "C1: first", thread_ts=thread, ts=ts, event_id="Ev0RETRY1")
    reply(bot, "C1: first", thread_ts=thread, ts=ts, event_id="Ev0RETRY1", retry=1)
    reply(bot, "C1: first", thread_ts=thread, ts=ts, event_id="Ev0RETRY1", retry=2)
    assert len(notes_in_store(bot, sid)) == 1
    assert len(bot.fake.of("reactions.add")) == 1
    # the same message under another event id (a retry after a restart lost the seen ids)
    reply(bot, "C1: first", thread_ts=thread, ts=ts, event_id="Ev0OTHER1")
    assert len(notes_in_store(bot, sid)) == 1
    assert bot.services.store.view(sid).get("steps", "2021-22:nysed-tsi-visits/visit-1")["notes"]["count"] == 1


def test_a_failed_reaction_leaves_the_note_saved(bot):
    sid, thread = setup_thread(bot)
    bot.fake.fail_next("reactions.add", error="ratelimited")
    ts = ts_at("2021-11-03T18:05:00Z", 1)
    ans = reply(bot, "C2: kept anyway", thread_ts=thread, ts=ts)
    assert ans.status == 200
    assert notes_in_store(bot, sid)[f"{CHANNEL}:{ts}"]["text"] == "C2: kept anyway"


def test_edit_updates_and_retags_delete_removes(bot):
    sid, thread = setup_thread(bot)
    ts = ts_at("2021-11-03T18:05:00Z", 1)
    reply(bot, "C1: draft thought", thread_ts=thread, ts=ts)
    edit(bot, "C3: the data team meets weekly", thread_ts=thread, ts=ts)
    note = notes_in_store(bot, sid)[f"{CHANNEL}:{ts}"]
    assert note["text"] == "C3: the data team meets weekly" and note["commitment"] == 3 and note["edited_at"]
    assert len(bot.fake.of("reactions.add")) == 1  # an edit is not reacted to again
    delete(bot, thread_ts=thread, ts=ts)
    assert notes_in_store(bot, sid) == {}
    assert bot.services.store.view(sid).get("steps", "2021-22:nysed-tsi-visits/visit-1")["notes"]["count"] == 0


def test_deleting_a_message_never_saved_changes_nothing(bot):
    sid, thread = setup_thread(bot)
    rev = bot.services.store.revision(sid)
    ans = delete(bot, thread_ts=thread, ts=ts_at("2021-11-03T18:09:00Z", 9))
    assert ans.status == 200
    ans = delete(bot, thread_ts=None, ts=ts_at("2021-11-03T18:10:00Z", 9))
    assert ans.status == 200
    assert bot.services.store.revision(sid) == rev
    assert not bot.fake.of("chat.postEphemeral")


def test_thread_broadcast_is_saved_once(bot):
    sid, thread = setup_thread(bot)
    ts = ts_at("2021-11-03T18:05:00Z", 1)
    reply(bot, "C1: shared with the channel too", thread_ts=thread, ts=ts, subtype="thread_broadcast",
          root={"ts": thread, "text": "prompt"})
    reply(bot, "C1: shared with the channel too", thread_ts=thread, ts=ts)  # the plain copy, same ts
    notes = notes_in_store(bot, sid)
    assert len(notes) == 1 and notes[f"{CHANNEL}:{ts}"]["broadcast"] is True
    assert len(bot.fake.of("reactions.add")) == 1


def test_bot_messages_other_threads_and_top_level_messages_are_ignored(bot):
    sid, thread = setup_thread(bot)
    rev = bot.services.store.revision(sid)
    reply(bot, "C1: I am a bot", thread_ts=thread, ts=ts_at("2021-11-03T18:05:00Z", 1), bot_id="B0OTHER01")
    reply(bot, "C1: from our own bot user", thread_ts=thread, ts=ts_at("2021-11-03T18:05:30Z", 1), user="UBOT0001", bot_id="BBOT0001")
    reply(bot, "C1: another thread", thread_ts=ts_at("2021-11-03T17:00:00Z", 5), ts=ts_at("2021-11-03T18:06:00Z", 2))
    bot.event({"type": "message", "channel": CHANNEL, "user": TEACHER, "text": "C1: top level", "ts": ts_at("2021-11-03T18:07:00Z", 3)})
    bot.event({"type": "message", "channel": "C0ELSEWH1", "user": TEACHER, "text": "C1: unlinked channel", "ts": ts_at("2021-11-03T18:08:00Z", 3), "thread_ts": thread})
    assert notes_in_store(bot, sid) == {}
    assert bot.services.store.revision(sid) == rev
    assert not bot.fake.of("reactions.add")


def test_files_are_kept_as_links(bot):
    sid, thread = setup_thread(bot)
    ts = ts_at("2021-11-03T18:05:00Z", 1)
    files = [{"id": "F0PHOTO01", "name": "walkthrough.jpg", "permalink": "https://demo.slack.com/files/U0TEACH01/F0PHOTO01/walkthrough.jpg",
              "url_private": "https://files.slack.com/private/F0PHOTO01"}]
    reply(bot, "C1: see the photo", thread_ts=thread, ts=ts, subtype="file_share", files=files)
    note = notes_in_store(bot, sid)[f"{CHANNEL}:{ts}"]
    assert note["files"] == [{"id": "F0PHOTO01", "name": "walkthrough.jpg", "link": files[0]["permalink"]}]


def test_an_unknown_commitment_tag_is_saved_untagged_and_the_author_told(bot):
    sid, thread = setup_thread(bot)
    ts = ts_at("2021-11-03T18:05:00Z", 1)
    reply(bot, "C7: this commitment does not exist", thread_ts=thread, ts=ts)
    note = notes_in_store(bot, sid)[f"{CHANNEL}:{ts}"]
    assert note["commitment"] is None and note["text"] == "C7: this commitment does not exist"
    eph = bot.fake.of("chat.postEphemeral")
    assert len(eph) == 1 and eph[0].args["user"] == TEACHER and eph[0].args["thread_ts"] == thread
    assert "There is no commitment 7" in eph[0].args["text"] and "`C1`, `C2`, `C3`" in eph[0].args["text"]
    assert len(bot.fake.of("reactions.add")) == 1  # saved, so confirmed
    # editing it to a real tag files it, without telling again
    edit(bot, "C2: this one does", thread_ts=thread, ts=ts)
    assert notes_in_store(bot, sid)[f"{CHANNEL}:{ts}"]["commitment"] == 2
    assert len(bot.fake.of("chat.postEphemeral")) == 1


def test_a_40000_character_reply_and_one_full_of_markup(bot):
    sid, thread = setup_thread(bot)
    long_ts = ts_at("2021-11-03T18:05:00Z", 1)
    long_text = "C1: " + ("reading " * 5000)[: 40_000 - 4]
    assert len(long_text) == 40_000
    reply(bot, long_text, thread_ts=thread, ts=long_ts)
    assert notes_in_store(bot, sid)[f"{CHANNEL}:{long_ts}"]["text"] == long_text
    markup_ts = ts_at("2021-11-03T18:06:00Z", 2)
    markup = "C2: <!channel> <!here> <@U0ADMIN01> *bold* _it_ ~strike~ `code` <https://evil.example|click me> &lt;script&gt; ```block```"
    reply(bot, markup, thread_ts=thread, ts=markup_ts)
    assert notes_in_store(bot, sid)[f"{CHANNEL}:{markup_ts}"]["text"] == markup
    bot.command("notes visit 1")
    resp = bot.responses()[-1]
    shown = resp["text"] + blocks_text(resp.get("blocks") or [])
    assert "<!channel>" not in shown and "<!here>" not in shown and "<https://evil.example" not in shown
    assert "&lt;!channel&gt;" in shown
    assert all(len(b["text"]["text"]) <= 3000 for b in resp["blocks"] if b.get("text"))
    assert "…" in shown  # the long one is clipped in the listing, whole in the store


def test_notes_on_an_unlinked_channel_say_how_to_link(bot):
    bot.command("notes")
    assert "isn't linked to a school yet" in bot.last_response_text()


def test_reply_after_restart_with_lost_event_ids_updates_the_same_note(bot, tmp_path):
    sid, thread = setup_thread(bot)
    ts = ts_at("2021-11-03T18:05:00Z", 1)
    reply(bot, "C1: once", thread_ts=thread, ts=ts, event_id="Ev0SAME001")
    notes_state(bot.services).events = Seen()  # a restart forgets seen ids
    reply(bot, "C1: once", thread_ts=thread, ts=ts, event_id="Ev0SAME001", retry=3)
    assert len(notes_in_store(bot, sid)) == 1
    # the second reactions.add is refused by Slack as already_reacted, and that is fine
    assert len(bot.fake.reactions) == 1


def test_the_event_payload_json_round_trips(bot):
    # a sanity check of the helpers: the fake keeps what the events say was posted
    sid, thread = setup_thread(bot)
    reply(bot, "C1: kept in Slack", thread_ts=thread, ts=ts_at("2021-11-03T18:05:00Z", 1))
    assert json.dumps(bot.fake.replies[(CHANNEL, thread)])
    assert ADMIN
