"""Checklists through the real Bolt app: posted by /scep checklist, ticked with signed
block_actions carrying checkbox state, updated in place with chat.update."""

from __future__ import annotations

import shutil

import pytest

from bot.calendar.cycle_files import BUILTIN_DIR, CycleLibrary
from bot.store.schema import PROFILE, STEP_KIND
from tests.harness import ADMIN, CHANNEL, Bot
from tests.slack import (
    button,
    checkbox_blocks,
    initial_of,
    message_click,
    options_of,
    tick,
    view_click,
)

TEAM_MEMBER = "U0TEAM001"  # holds no role: a plain member of the school's channel
OUTSIDER = "U0OUT0001"


@pytest.fixture(autouse=True)
def people(bot):
    """Both are members of the workspace (users.info knows them: someone it doesn't is a guest)."""
    bot.fake.add_user(TEAM_MEMBER, "tm")
    bot.fake.add_user(OUTSIDER, "out")


def posted_checklist(bot, text="checklist visit 2"):
    before = len(bot.fake.of("chat.postMessage"))
    ans = bot.command(text)
    assert ans.status == 200 and ans.body == "", ans.body  # the answer is the post itself
    posts = bot.fake.of("chat.postMessage")
    assert len(posts) == before + 1, bot.last_response_text() if bot.responses() else "nothing posted"
    call = posts[-1]
    assert call.args["channel"] == CHANNEL
    return {"text": call.args["text"], "blocks": call.args["blocks"]}, call.response["ts"]


def last_update(bot):
    ups = bot.fake.of("chat.update")
    assert ups, "no chat.update"
    return {"text": ups[-1].args["text"], "blocks": ups[-1].args["blocks"]}, ups[-1].args


def step_doc(bot, key="2021-22:nysed-tsi-visits/visit-2"):
    store = bot.services.store
    return store.view(store.school_ids()[0]).get(STEP_KIND, key) or {}


def test_checklist_is_built_from_the_cycle_file(bot):
    bot.setup("Lincoln Elementary model:TSI")
    msg, _ = posted_checklist(bot)
    assert "*0/13 done* (optional: 0/1, not counted)" in msg["blocks"][1]["elements"][0]["text"] and "0/13 done" in msg["text"]  # 14 boxes: the optional classroom visits do not count
    options = [o["text"]["text"] for b in checkbox_blocks(msg["blocks"]) for o in b["elements"][0]["options"]]
    assert len(options) == 14
    joined = "\n".join(options)
    # before: participants with their counts, what to bring, the agenda
    assert "Invite: Staff focus group of 4-7" in joined and "Invite: Student focus group of 3-6" in joined
    assert "Bring: A staff focus group" in joined and "Send the agenda to the participants (about 60 min" in joined
    # during: events with durations, the guiding questions; after: the summary
    assert "Student focus group or staff focus group (15 min)" in joined
    assert "Discuss: What is working well" in joined
    assert "Summarize the discussion for each commitment" in joined
    for o in options:
        assert len(o) <= 75  # Slack's limit for an option's text
    # the long texts are shown in full beside their boxes
    texts = "\n".join(e["text"] for b in msg["blocks"] if b["type"] == "context" for e in b["elements"])
    assert "How do staff and students feel these specific activities and initiatives are going thus far?" in texts
    # buttons: pick a date, mark done
    assert button(msg["blocks"], "sched_open")["value"].endswith("|2021-22:nysed-tsi-visits/visit-2")
    assert button(msg["blocks"], "ck_done")["value"].endswith("|held")


def test_ticks_are_stored_with_who_and_when_and_the_message_updates_in_place(bot):
    bot.setup()
    msg, ts = posted_checklist(bot)
    first_two = options_of(msg, 0)[:2]
    ans = bot.at("2021-11-03T15:30:00Z").interactive(tick(bot.fake, msg, CHANNEL, ts, 0, first_two, user=TEAM_MEMBER))
    assert ans.status == 200
    updated, args = last_update(bot)
    assert (args["channel"], args["ts"]) == (CHANNEL, ts)
    assert "2/13 done" in updated["text"]
    assert initial_of(updated, 0) == first_two
    descriptions = [o.get("description", {}).get("text", "") for o in checkbox_blocks(updated["blocks"])[0]["elements"][0]["options"]]
    assert descriptions[0] == f"✓ <@{TEAM_MEMBER}> · Nov 3"
    ticks = step_doc(bot)["checklist"]["ticks"]
    assert {ticks[i]["by"] for i in first_two} == {TEAM_MEMBER}
    assert {ticks[i]["at"] for i in first_two} == {"2021-11-03T15:30:00+00:00"}
    # untick one: only that box changes
    bot.interactive(tick(bot.fake, updated, CHANNEL, ts, 0, first_two[:1], user=ADMIN))
    again, _ = last_update(bot)
    assert "1/13 done" in again["text"] and initial_of(again, 0) == first_two[:1]
    audit = bot.services.store.view(bot.services.store.school_ids()[0]).all("audit")
    assert [a["what"] for a in audit.values()].count("checklist") == 2


def test_two_people_ticking_from_the_same_message_never_undo_each_other(bot):
    bot.setup()
    msg, ts = posted_checklist(bot)
    a, b = options_of(msg, 1)[:2]
    # both clicks come from the message as it was before either (0 ticked)
    bot.interactive(tick(bot.fake, msg, CHANNEL, ts, 1, [a], user=ADMIN))
    bot.interactive(tick(bot.fake, msg, CHANNEL, ts, 1, [b], user=TEAM_MEMBER))
    ticks = step_doc(bot)["checklist"]["ticks"]
    assert set(ticks) == {a, b}
    updated, _ = last_update(bot)
    assert "2/13 done" in updated["text"]


def test_more_than_ten_boxes_are_split_across_checkbox_elements(bot):
    bot.setup("District Office cycles:district-plan-review")
    msg, ts = posted_checklist(bot, "checklist expectations")
    groups = checkbox_blocks(msg["blocks"])
    sizes = [len(g["elements"][0]["options"]) for g in groups]
    assert sizes == [5, 10, 9, 1]  # 3 participants + 2 to bring | 19 guiding questions | 1 after
    assert len({g["block_id"] for g in groups}) == len(groups)
    assert len({g["elements"][0]["action_id"] for g in groups}) == len(groups)
    last_nine = options_of(msg, 2)
    bot.interactive(tick(bot.fake, msg, CHANNEL, ts, 2, last_nine))
    updated, _ = last_update(bot)
    assert "9/25 done" in updated["text"]
    assert initial_of(updated, 2) == last_nine and initial_of(updated, 1) == []


def test_progress_shows_in_next_and_timeline(bot):
    bot.setup()
    msg, ts = posted_checklist(bot, "checklist visit 1")
    bot.interactive(tick(bot.fake, msg, CHANNEL, ts, 0, options_of(msg, 0)[:3]))
    assert "checklist 3/8" in bot.command("next").text
    assert "checklist 3/8" in bot.command("timeline").text


def test_checklist_defaults_to_the_next_step_and_unknown_steps_are_listed(bot):
    bot.setup()
    msg, _ = posted_checklist(bot, "checklist")
    assert "SCEP Support Visit 1" in msg["text"]
    ans = bot.command("checklist visit 9")
    assert ans.json["response_type"] == "ephemeral"
    assert "no step called 'visit 9'" in ans.text and "`Visit 1`" in ans.text and "`Session 5`" in ans.text


def test_commitments_give_one_summary_box_each_and_are_escaped(bot):
    bot.setup()
    store = bot.services.store
    sid = store.school_ids()[0]
    with store.transaction(sid) as tx:
        doc = tx.get(*PROFILE)
        doc["commitments"] = ["Literacy <!channel> for all", "Attendance & belonging"]
        tx.put(*PROFILE, doc)
    msg, _ = posted_checklist(bot, "checklist visit 1")
    options = [o["text"]["text"] for b in checkbox_blocks(msg["blocks"]) for o in b["elements"][0]["options"]]
    summaries = [o for o in options if "Summary for commitment" in o]
    assert len(summaries) == 2
    assert "<!channel>" not in str(msg["blocks"]) and "&lt;!channel&gt;" in str(msg["blocks"])
    assert "Attendance &amp; belonging" in str(msg["blocks"])


def test_a_click_on_a_checklist_whose_cycle_file_changed_is_refused_and_refreshed(bot, tmp_path):
    bot.setup()
    msg, ts = posted_checklist(bot)
    # the district ships a new version of the cycle: visit 2 gains a guiding question
    folder = tmp_path / "district-cycles"
    folder.mkdir()
    src = (BUILTIN_DIR / "nysed-tsi-visits.yaml").read_text()
    src = src.replace("      - What is working well and may not be having the impact envisioned?\n",
                      "      - What is working well and may not be having the impact envisioned?\n      - What should change now?\n", 1)
    (folder / "nysed-tsi-visits.yaml").write_text(src)
    bot.services.library = CycleLibrary.load(folder)
    ans = bot.interactive(tick(bot.fake, msg, CHANNEL, ts, 0, options_of(msg, 0)[:1]))
    assert ans.status == 200
    told = bot.responses()[-1]
    assert told["response_type"] == "ephemeral" and "changed since this was shown" in told["text"] and "not saved" in told["text"]
    assert "checklist" not in step_doc(bot) or not step_doc(bot)["checklist"].get("ticks")
    refreshed, args = last_update(bot)
    assert args["ts"] == ts and "0/14 done" in refreshed["text"]
    # the refreshed message works
    bot.interactive(tick(bot.fake, refreshed, CHANNEL, ts, 0, options_of(refreshed, 0)[:1]))
    assert "1/14 done" in last_update(bot)[0]["text"]
    shutil.rmtree(folder)


def test_a_click_after_the_year_rolled_is_refused_and_the_old_message_closed(bot):
    bot.setup()
    msg, ts = posted_checklist(bot)
    ans = bot.at("2022-09-01T14:00:00Z").interactive(tick(bot.fake, msg, CHANNEL, ts, 0, options_of(msg, 0)[:1]))
    assert ans.status == 200
    told = bot.responses()[-1]["text"]
    assert "for 2021-22, which has ended" in told and "now 2022-23" in told and "nothing was saved" in told
    assert not step_doc(bot).get("checklist", {}).get("ticks")
    closed, _ = last_update(bot)
    assert checkbox_blocks(closed["blocks"]) == []
    current = button(closed["blocks"], "ck_current")
    assert current["value"].endswith("|nysed-tsi-visits/visit-2")
    bot.interactive(message_click(bot.fake, closed, CHANNEL, ts, current))
    modal = bot.fake.of("views.open")[-1].args["view"]
    assert "|2022-23:nysed-tsi-visits/visit-2|" in Bot.unseal(modal["private_metadata"]) and "2022-23" in str(modal["blocks"])


def test_a_click_on_a_step_the_school_no_longer_follows(bot):
    bot.setup()
    msg, ts = posted_checklist(bot)
    bot.setup("Lincoln Elementary cycles:nysed-planning-sessions")
    bot.interactive(tick(bot.fake, msg, CHANNEL, ts, 0, options_of(msg, 0)[:1]))
    assert "no longer follows the cycle 'nysed-tsi-visits'" in bot.responses()[-1]["text"]
    assert checkbox_blocks(last_update(bot)[0]["blocks"]) == []


def test_open_checklist_button_of_a_nudge_opens_it_in_a_modal_where_ticks_work(bot):
    bot.setup()
    channel_msg, ts = posted_checklist(bot)
    nudge = {"text": "Visit 2's window is open", "blocks": [
        {"type": "actions", "block_id": "nudge", "elements": [
            {"type": "button", "action_id": "open_checklist", "value": "2021-22:nysed-tsi-visits/visit-2", "text": {"type": "plain_text", "text": "Open checklist"}}]}]}
    bot.interactive(message_click(bot.fake, nudge, CHANNEL, "1700000099.000001", button(nudge["blocks"], "open_checklist"), user=TEAM_MEMBER))
    opened = bot.fake.of("views.open")[-1].args["view"]
    assert opened["callback_id"] == "scep_checklist" and Bot.unseal(opened["private_metadata"]).endswith(f"|{CHANNEL}")
    # tick inside the modal: the modal and the channel's message both show it
    block = checkbox_blocks(opened["blocks"])[0]
    first = block["elements"][0]["options"][0]
    action = {"action_id": block["elements"][0]["action_id"], "block_id": block["block_id"], "type": "checkboxes"}
    bot.interactive(view_click(opened, action, user=TEAM_MEMBER, selected=[first]))
    upd = bot.fake.of("views.update")[-1].args
    assert upd["view_id"] == "V0MODAL1" and "1/13 done" in str(upd["view"]["blocks"])
    chan, args = last_update(bot)
    assert args["ts"] == ts and "1/13 done" in chan["text"]
    assert step_doc(bot)["checklist"]["ticks"][first["value"]]["by"] == TEAM_MEMBER


def test_ticks_from_outside_the_channel_need_a_role_and_the_refusal_says_who_can(bot):
    bot.setup()
    bot.fake.add_user("U0LIA0001", "lia")
    bot.fake.add_user(OUTSIDER, "otto")
    bot.command("roles liaison:<@U0LIA0001>")
    sid = bot.services.store.school_ids()[0]
    home_btn = {"action_id": "home_checklist", "block_id": f"home|{sid}", "value": f"{sid}|2021-22:nysed-tsi-visits/visit-2"}
    # an outsider can't even open it (authz: reading a school outside its channel needs a role)
    bot.interactive(view_click({"type": "home", "blocks": []}, home_btn, user=OUTSIDER))
    notice = bot.fake.of("views.open")[-1].args["view"]
    assert notice.get("callback_id") != "scep_checklist" and "can see this school's plans" in str(notice["blocks"])
    bot.interactive(view_click({"type": "home", "blocks": []}, home_btn, user="U0LIA0001"))
    opened = bot.fake.of("views.open")[-1].args["view"]
    assert Bot.unseal(opened["private_metadata"]).endswith("|")  # opened from App Home: no channel
    block = checkbox_blocks(opened["blocks"])[0]
    action = {"action_id": block["elements"][0]["action_id"], "block_id": block["block_id"], "type": "checkboxes"}
    bot.interactive(view_click(opened, action, user=OUTSIDER, selected=[block["elements"][0]["options"][0]]))
    pushed = bot.fake.of("views.push")[-1].args["view"]
    refusal = pushed["blocks"][0]["text"]["text"]
    assert "Only workspace admins and the liaison (<@U0LIA0001>)" in refusal and f"anyone in <#{CHANNEL}>" in refusal
    assert not step_doc(bot).get("checklist", {}).get("ticks")


def test_mark_done_button_marks_the_step_and_updates_the_message(bot):
    bot.setup()
    msg, ts = posted_checklist(bot, "checklist visit 1")
    bot.interactive(message_click(bot.fake, msg, CHANNEL, ts, button(msg["blocks"], "ck_done"), user=TEAM_MEMBER))
    doc = step_doc(bot, "2021-22:nysed-tsi-visits/visit-1")
    assert doc["done"]["held"]["by"] == TEAM_MEMBER
    updated, _ = last_update(bot)
    assert ":white_check_mark: done" in str(updated["blocks"])
    with_buttons = [b for b in updated["blocks"] if b.get("block_id", "").startswith("ckb|")]
    assert not with_buttons or all(e["action_id"] != "ck_done" for e in with_buttons[0]["elements"])
    # clicking the old button again: said, not doubled
    bot.interactive(message_click(bot.fake, msg, CHANNEL, ts, button(msg["blocks"], "ck_done"), user=ADMIN))
    assert "already marked done" in bot.responses()[-1]["text"]
    audit = bot.services.store.view(bot.services.store.school_ids()[0]).all("audit")
    assert [a["what"] for a in audit.values()].count("done") == 1


def test_a_deleted_checklist_message_is_forgotten(bot):
    bot.setup()
    msg, ts = posted_checklist(bot)
    msg2, ts2 = posted_checklist(bot)
    assert len(step_doc(bot)["checklist"]["messages"]) == 2
    bot.fake.fail_next("chat.update", error="message_not_found")
    bot.interactive(tick(bot.fake, msg2, CHANNEL, ts2, 0, options_of(msg2, 0)[:1]))
    assert [m["ts"] for m in step_doc(bot)["checklist"]["messages"]] == [ts2]


def test_ticks_from_many_threads_at_once_are_all_kept(bot):
    import threading

    bot.setup()
    msg, ts = posted_checklist(bot)
    ids = options_of(msg, 1)
    for n in range(len(ids)):
        bot.fake.add_user(f"U0T{n:06d}", f"t{n}")
    payloads = [tick(bot.fake, msg, CHANNEL, ts, 1, [i], user=f"U0T{n:06d}") for n, i in enumerate(ids)]
    threads = [threading.Thread(target=bot.interactive, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ticks = step_doc(bot)["checklist"]["ticks"]
    assert set(ticks) == set(ids) and len({t["by"] for t in ticks.values()}) == len(ids)
    audit = bot.services.store.view(bot.services.store.school_ids()[0]).all("audit")
    assert [a["what"] for a in audit.values()].count("checklist") == len(ids)


def test_district_check_ins_carry_the_after_action_review_questions(bot):
    bot.setup("District Office cycles:district-plan-review")
    msg, _ = posted_checklist(bot, "checklist fall check-in")
    options = [o["text"]["text"] for b in checkbox_blocks(msg["blocks"]) for o in b["elements"][0]["options"]]
    for q in ("What was expected to happen?", "What actually happened?", "Why was there a difference?"):
        assert any(q in o for o in options), q
