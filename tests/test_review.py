"""Review and approval from Slack: submit, the reviewer's buttons, feedback in a modal posted in
the school's thread, resubmission, approval, and the history."""

from __future__ import annotations

import pytest

from bot.store.schema import STEP_KIND
from tests.harness import CHANNEL
from tests.slack import button, message_click, view_submission

REVIEWER = "U0REV0001"
PRINCIPAL = "U0PRI0001"
TEAM = "U0TEAM001"
KEY = "2022-23:sezp-planning/priority-levers"


@pytest.fixture
def school(bot):
    for uid, name in ((REVIEWER, "rae"), (PRINCIPAL, "pat"), (TEAM, "tam")):
        bot.fake.add_user(uid, name)
    bot.setup("Brightwood cycles:sezp-planning")
    bot.command(f"roles principal:<@{PRINCIPAL}|pat> reviewer:<@{REVIEWER}>")
    bot.at("2022-05-02T14:00:00Z")
    return bot


def rv(bot):
    store = bot.services.store
    return (store.view(store.school_ids()[0]).get(STEP_KIND, KEY) or {}).get("review") or {}


def dm_to(bot, user):
    calls = [c for c in bot.fake.of("chat.postMessage") if c.args["channel"] == user]
    assert calls, f"no DM to {user}"
    c = calls[-1]
    return {"text": c.args["text"], "blocks": c.args["blocks"]}, c.response["channel"], c.response["ts"]


def test_submit_review_feedback_resubmit_approve(school):
    bot = school
    bot.fake.clear()
    bot.command("submit priority levers", user=PRINCIPAL)
    announce = [c for c in bot.fake.of("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert len(announce) == 1 and "submitted *Priority Levers Form (DRAFT)* for review by <@U0REV0001> (round 1)" in announce[0].args["text"]
    thread_ts = announce[0].response["ts"]
    dm, dm_channel, dm_ts = dm_to(bot, REVIEWER)
    assert dm_channel.startswith("D")
    assert "Priority Levers Form (DRAFT)" in dm["text"]
    approve_btn, changes_btn = button(dm["blocks"], "rv_approve"), button(dm["blocks"], "rv_changes")
    state = rv(bot)
    assert (state["status"], state["round"], state["label"]) == ("submitted", 1, "draft")
    assert state["thread"] == {"channel": CHANNEL, "ts": thread_ts}
    store = bot.services.store
    assert "draft" in store.view(store.school_ids()[0]).get(STEP_KIND, KEY)["done"]  # delivered

    # the reviewer asks for changes: a modal, then the feedback in the school's thread
    bot.at("2022-05-03T15:00:00Z").interactive(message_click(bot.fake, dm, dm_channel, dm_ts, changes_btn, user=REVIEWER))
    modal = bot.fake.of("views.open")[-1].args["view"]
    assert modal["callback_id"] == "scep_feedback"
    empty = bot.interactive(view_submission(modal, {"feedback": {"value": {"type": "plain_text_input", "value": "  "}}}, user=REVIEWER))
    assert empty.json["response_action"] == "errors" and "Write what should change" in empty.json["errors"]["feedback"]
    bot.fake.clear()
    values = {"feedback": {"value": {"type": "plain_text_input", "value": "Tie lever 2 to the SQR <!channel>\nand cite the survey."}}}
    ok = bot.interactive(view_submission(modal, values, user=REVIEWER, view_id="VFEED1"))
    assert ok.status == 200 and ok.body == ""
    thread_posts = bot.fake.of("chat.postMessage")
    assert len(thread_posts) == 1 and thread_posts[0].args["thread_ts"] == thread_ts and thread_posts[0].args["channel"] == CHANNEL
    assert "requested changes on *Priority Levers Form (DRAFT)*" in thread_posts[0].args["text"]
    assert "&lt;!channel&gt;" in thread_posts[0].args["text"] and "<!channel>" not in thread_posts[0].args["text"]
    dm_update = [c for c in bot.fake.of("chat.update") if c.args["ts"] == dm_ts]
    assert dm_update and "Changes requested by <@U0REV0001>" in str(dm_update[-1].args["blocks"])
    assert not any(e.get("action_id") == "rv_approve" for b in dm_update[-1].args["blocks"] for e in b.get("elements", []) or [])
    assert rv(bot)["status"] == "changes_requested"

    # the same form sent twice: one entry, a clear answer
    twice = bot.interactive(view_submission(modal, values, user=REVIEWER, view_id="VFEED1"))
    assert twice.json["response_action"] == "errors" and "already sent" in twice.json["errors"]["feedback"]
    assert [h["event"] for h in rv(bot)["history"]] == ["submitted", "changes_requested"]

    # approve on a version with changes requested: wait for the resubmission
    bot.interactive(message_click(bot.fake, dm, dm_channel, dm_ts, approve_btn, user=REVIEWER))
    assert "wait for the school's resubmission" in bot.responses()[-1]["text"]

    # resubmission: round 2, in the thread, new buttons for the reviewer
    bot.fake.clear()
    bot.at("2022-05-04T15:00:00Z").command("submit priority levers draft", user=TEAM)
    posts = bot.fake.of("chat.postMessage")
    in_thread = [c for c in posts if c.args["channel"] == CHANNEL]
    assert in_thread[0].args["thread_ts"] == thread_ts and "resubmitted" in in_thread[0].args["text"] and "(round 2)" in in_thread[0].args["text"]
    dm2, dm2_channel, dm2_ts = dm_to(bot, REVIEWER)
    assert rv(bot)["round"] == 2

    # the old round's button: stale, said so, its message updated
    bot.interactive(message_click(bot.fake, dm, dm_channel, dm_ts, approve_btn, user=REVIEWER))
    assert "A newer version (round 2) was submitted" in bot.responses()[-1]["text"]

    # someone who is not a reviewer
    bot.interactive(message_click(bot.fake, dm2, dm2_channel, dm2_ts, button(dm2["blocks"], "rv_approve"), user=TEAM))
    refusal = bot.responses()[-1]["text"]
    assert "Only workspace admins and the reviewer (<@U0REV0001>), the district can review this school's plans" in refusal
    assert rv(bot)["status"] == "submitted"

    # approval
    bot.fake.clear()
    bot.at("2022-05-05T15:00:00Z").interactive(message_click(bot.fake, dm2, dm2_channel, dm2_ts, button(dm2["blocks"], "rv_approve"), user=REVIEWER))
    approved = bot.fake.of("chat.postMessage")
    assert approved[0].args["thread_ts"] == thread_ts and "approved *Priority Levers Form (DRAFT)*" in approved[0].args["text"]
    assert any("Approved by <@U0REV0001>" in str(c.args["blocks"]) for c in bot.fake.of("chat.update") if c.args["ts"] == dm2_ts)
    assert [h["event"] for h in rv(bot)["history"]] == ["submitted", "changes_requested", "resubmitted", "approved"]
    assert [h["by"] for h in rv(bot)["history"]] == [PRINCIPAL, REVIEWER, TEAM, REVIEWER]

    # where the plan stands, everywhere
    assert "DRAFT approved by <@U0REV0001> May 5" in bot.command("timeline").text
    step = bot.command("step priority levers").text
    assert "resubmitted the DRAFT (round 2)" in step and "Tie lever 2 to the SQR &lt;!channel&gt;" in step
    # approving again
    bot.interactive(message_click(bot.fake, dm2, dm2_channel, dm2_ts, button(dm2["blocks"], "rv_approve"), user=REVIEWER))
    assert "Already approved by <@U0REV0001>" in bot.responses()[-1]["text"]
    # the FINAL is next
    bot.fake.clear()
    bot.command("submit priority levers", user=PRINCIPAL)
    assert "Priority Levers Form (FINAL)" in bot.fake.of("chat.postMessage")[0].args["text"]


def test_pending_submission_and_status_in_next(school):
    bot = school
    bot.command("submit levers", user=PRINCIPAL)
    bot.fake.clear()
    bot.command("submit levers", user=TEAM)
    assert "already waiting for review since Mon May 2 2022, 10:00 AM EDT (round 1)" in bot.last_response_text()
    assert "DRAFT in review since May 2" in bot.command("next 20").text
    assert "DRAFT in review since May 2" in bot.command("timeline").text


def test_submit_needs_a_reviewer_and_a_submittable_step(bot):
    bot.setup("Brightwood cycles:sezp-planning")
    bot.at("2022-05-02T14:00:00Z")
    bot.fake.clear()
    bot.command("submit priority levers")
    assert "Nobody reviews Brightwood's plans yet" in bot.last_response_text() and "`/scep roles reviewer:@name`" in bot.last_response_text()
    store = bot.services.store
    assert store.view(store.school_ids()[0]).all(STEP_KIND) == {}
    bot.fake.add_user(REVIEWER, "rae")
    bot.command(f"roles reviewer:<@{REVIEWER}>")
    bot.command("submit budgets")
    assert "not something sent for review" in bot.last_response_text()
    bot.command("submit priority levers due")
    assert "has a DRAFT and a FINAL" in bot.last_response_text()


def test_visit_5_sends_the_final_scep_for_approval(bot):
    bot.fake.add_user(REVIEWER, "rae")
    bot.setup()
    bot.command(f"roles district:<@{REVIEWER}>")  # no reviewer role: the district reviews
    bot.at("2022-06-20T14:00:00Z").command("submit visit 5")
    posts = bot.fake.of("chat.postMessage")
    assert any("the final SCEP for next year (Visit 5)" in c.args["text"] for c in posts if c.args["channel"] == CHANNEL)
    dm, _, _ = dm_to(bot, REVIEWER)
    assert button(dm["blocks"], "rv_approve")["value"].endswith("|2021-22:nysed-tsi-visits/visit-5|1")
    bot.command("submit visit 1")
    assert "is a visit, not something sent for review" in bot.last_response_text()


def test_the_submit_button_on_a_checklist(school):
    bot = school
    bot.command("checklist priority levers")
    post = bot.fake.of("chat.postMessage")[-1]
    msg = {"blocks": post.args["blocks"], "text": post.args["text"]}
    btn = button(msg["blocks"], "rv_submit")
    assert btn["text"]["text"] == "Submit DRAFT for review"
    bot.interactive(message_click(bot.fake, msg, CHANNEL, post.response["ts"], btn, user=TEAM))
    assert rv(bot)["status"] == "submitted" and rv(bot)["by"] == TEAM
    updated = [c for c in bot.fake.of("chat.update") if c.args["ts"] == post.response["ts"]][-1]
    assert "DRAFT in review since May 2" in str(updated.args["blocks"])
    assert not any(e.get("action_id") == "rv_submit" for b in updated.args["blocks"] for e in b.get("elements", []) or [])
