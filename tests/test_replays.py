"""Replays and retries, handled once: the same event id twice, Slack's retries (X-Slack-Retry-Num)
of events, commands and clicks, a click delivered twice, a form submitted twice, and a retry of
a delivery whose first attempt failed (which is then handled)."""

from __future__ import annotations

import json
import shutil
from urllib.parse import urlencode

import pytest

from bot.root.emulator import TEAM_ID
from tests import authz_world as W
from tests.authz_world import A_CHANNEL, World
from tests.harness import Bot, signed_headers
from tests.notes_helpers import reply, ts_at
from tests.slack import app_home_opened


@pytest.fixture
def world(bot) -> World:
    return W.build(bot)


def audits(world: World, what: str) -> int:
    return sum(1 for a in world.store.view(world.a).all("audit").values() if a.get("what") == what)


def command_body(bot: Bot, text: str, user: str = W.ADMIN, n: int = 900) -> str:
    return urlencode({"token": "legacy", "team_id": TEAM_ID, "team_domain": "demo", "channel_id": A_CHANNEL, "channel_name": "a",
                      "user_id": user, "user_name": "u", "command": "/scep", "text": text, "api_app_id": "A0TEST",
                      "response_url": bot.fake.response_url(f"r{n}"), "trigger_id": f"{n}.trigger"})


def deliver(bot: Bot, body: str, *, retry: int | None = None, json_body: bool = False):
    headers = signed_headers(body, content_type="application/json" if json_body else "application/x-www-form-urlencoded")
    if retry is not None:
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return bot.dispatch(body, headers)


def test_the_same_event_id_twice_is_handled_once(world):
    bot = world.bot
    bot.fake.clear()
    first = bot.event(app_home_opened(W.LIAISON), event_id="EvHOME0001")
    again = bot.event(app_home_opened(W.LIAISON), event_id="EvHOME0001")  # no retry header: still the same event
    retried = bot.event(app_home_opened(W.LIAISON), event_id="EvHOME0001", retry=1)
    assert first.status == again.status == retried.status == 200
    assert len(bot.fake.of("views.publish")) == 1
    bot.event(app_home_opened(W.LIAISON), event_id="EvHOME0002")  # a new event is handled
    assert len(bot.fake.of("views.publish")) == 2


def test_a_thread_reply_retried_by_slack_is_one_note_and_one_reaction(world):
    bot = world.bot
    thread = next(iter(world.store.view(world.a).all("prompts").values()))["ts"]
    ts = ts_at("2021-11-02T12:45:00Z", 8)
    before = len(world.store.view(world.a).all("notes"))
    bot.fake.clear()
    for retry in (None, 1, 2):
        reply(bot, "C2: families came", thread_ts=thread, ts=ts, user=W.PRINCIPAL, event_id="EvNOTE0001", retry=retry)
    assert len(world.store.view(world.a).all("notes")) == before + 1
    assert len(bot.fake.of("reactions.add")) == 1


def test_a_retry_of_a_failed_delivery_is_handled(world):
    """The first attempt fails (the school's data file cannot be written: a directory stands where
    the file is); Slack retries it after the disk is back; the note is then saved, once."""
    bot = world.bot
    thread = next(iter(world.store.view(world.a).all("prompts").values()))["ts"]
    path = bot.services.settings.data_dir / "schools" / f"{world.a}.json"
    saved = path.read_bytes()
    path.unlink()
    path.mkdir()
    (path / "in-the-way").write_text("x")
    ts = ts_at("2021-11-02T12:50:00Z", 9)
    try:
        failed = reply(bot, "C1: a reply while the disk was broken", thread_ts=thread, ts=ts, user=W.TEAM, event_id="EvFAIL0001")
        assert failed.status == 500
    finally:
        shutil.rmtree(path)
        path.write_bytes(saved)
    assert world.note_key and f"{A_CHANNEL}:{ts}" not in world.store.view(world.a).all("notes")
    ok = reply(bot, "C1: a reply while the disk was broken", thread_ts=thread, ts=ts, user=W.TEAM, event_id="EvFAIL0001", retry=1)
    assert ok.status == 200 and f"{A_CHANNEL}:{ts}" in world.store.view(world.a).all("notes")
    bot.fake.clear()
    reply(bot, "C1: a reply while the disk was broken", thread_ts=thread, ts=ts, user=W.TEAM, event_id="EvFAIL0001", retry=2)
    assert bot.fake.calls == []


def test_a_command_retried_with_the_retry_header_runs_once(world):
    bot = world.bot
    body = command_body(bot, "notes start visit 2")
    bot.fake.clear()
    assert deliver(bot, body).status == 200
    assert deliver(bot, body, retry=1).status == 200
    assert deliver(bot, body, retry=2).status == 200
    prompts = [c for c in bot.fake.of("chat.postMessage") if "Notes for" in c.args["text"]]
    assert len(prompts) == 1
    assert len([p for p in world.store.view(world.a).all("prompts").values() if p["step"].endswith("visit-2")]) == 1


def test_a_click_retried_with_the_retry_header_runs_once(world):
    bot = world.bot
    payload = W.click(bot, W.TEAM, {"action_id": "ck_done", "value": f"{world.a}|{world.key('visit 2')}|held"}, where=A_CHANNEL)
    body = urlencode({"payload": json.dumps(payload)})
    before = audits(world, "done")
    bot.fake.clear()
    deliver(bot, body)
    deliver(bot, body, retry=1)
    assert audits(world, "done") == before + 1
    posted = [c for c in bot.fake.of("chat.postMessage") if "marked" in c.args.get("text", "")]
    assert len(posted) == 1


# ---------------------------------------------------------------- the same click, the same form, twice


def test_mark_done_clicked_twice_marks_once(world):
    bot = world.bot
    msg = {"type": "message", "ts": world.checklist["ts"], "text": world.checklist["text"], "blocks": world.checklist["blocks"],
           "user": "UBOT0001", "bot_id": "BBOT0001"}
    payload = W.click(bot, W.TEAM, {"action_id": "ck_done", "value": f"{world.a}|{world.key('visit 1')}|held"}, where=A_CHANNEL, message=msg)
    before = audits(world, "done")
    bot.fake.clear()
    bot.interactive(payload)
    bot.interactive(payload)  # delivered again (no retry header): the bot itself must see it is the same
    assert audits(world, "done") == before + 1
    assert len([c for c in bot.fake.of("chat.postMessage") if "marked" in c.args["text"]]) == 1
    assert "already marked done" in json.dumps([c.args for c in bot.fake.of("response_url")])


def test_a_tick_delivered_twice_is_one_tick(world):
    bot = world.bot
    block = next(b for b in world.checklist["blocks"] if b.get("type") == "actions" and b["elements"][0].get("type") == "checkboxes")
    el = block["elements"][0]
    msg = {"type": "message", "ts": world.checklist["ts"], "text": "", "blocks": world.checklist["blocks"], "user": "UBOT0001"}
    act = {"action_id": el["action_id"], "block_id": block["block_id"], "type": "checkboxes", "selected_options": [el["options"][0]]}
    payload = W.click(bot, W.TEAM, act, where=A_CHANNEL, message=msg)
    bot.interactive(payload)
    bot.interactive(payload)
    assert audits(world, "checklist") == 1
    assert len(world.step_doc("visit 1")["checklist"]["ticks"]) == 1


def test_approve_and_submit_clicked_twice_act_once(world):
    bot = world.bot
    approve = W.click(bot, W.REVIEWER, {"action_id": "rv_approve", "value": f"{world.a}|{world.key('priority levers')}|1"}, where="D0DIRECT1")
    bot.fake.clear()
    bot.interactive(approve)
    bot.interactive(approve)
    assert audits(world, "review approved") == 1
    assert len([c for c in bot.fake.of("chat.postMessage") if "approved" in c.args["text"]]) == 1
    submit = W.click(bot, W.TEAM, {"action_id": "rv_submit", "value": f"{world.a}|{world.key('calendars')}|draft"}, where=A_CHANNEL)
    bot.interactive(submit)
    bot.interactive(submit)
    assert audits(world, "review submitted") == 2  # the levers (in the world) and the calendars, once


def test_nudge_buttons_clicked_twice_act_once(world):
    bot = world.bot
    value = f"{world.a}|{world.key('visit 2')}|opens"
    snooze = W.click(bot, W.TEAM, {"action_id": "nudge_snooze", "value": value}, where=A_CHANNEL)
    bot.interactive(snooze)
    bot.interactive(snooze)
    assert audits(world, "snoozed") == 1
    done = W.click(bot, W.TEAM, {"action_id": "nudge_done", "value": value}, where=A_CHANNEL)
    before = audits(world, "done")
    bot.interactive(done)
    bot.interactive(done)
    assert audits(world, "done") == before + 1
    assert "already marked done" in bot.last_response_text()


FORMS = {
    "scep_feedback": (lambda w: f"{w.a}|{w.key('priority levers')}|1||", lambda w: {"feedback": W.text_input("More data, please")},
                      W.REVIEWER, "review changes requested"),
    "scep_schedule": (lambda w: f"{w.a}|{w.key('visit 2')}|{A_CHANNEL}",
                      lambda w: {"date": {"value": {"type": "datepicker", "selected_date": "2021-12-14"}},
                                 "time": {"value": {"type": "timepicker", "selected_time": "10:00"}}}, W.TEAM, "scheduled"),
    "scep_roles": (lambda w: f"{w.a}|{A_CHANNEL}", lambda w: {"team": {"value": {"type": "multi_users_select", "selected_users": [W.TEAM, W.EXTRA]}}},
                   W.LIAISON, "roles"),
    "scep_commitments": (lambda w: A_CHANNEL, lambda w: {"c1": W.text_input("Reading"), "c2": W.text_input("Families")}, W.PRINCIPAL, "commitments"),
    "scep_setup": (lambda w: A_CHANNEL, lambda w: {"name": W.text_input("Juniper Ridge School"), "model": W.select("value", "TSI"),
                                                   "tz": W.text_input("America/New_York")}, W.LIAISON, "setup changed"),
}


@pytest.mark.parametrize("callback_id", sorted(FORMS))
def test_a_form_submitted_twice_is_one_change(world, callback_id):
    meta, values, who, what = FORMS[callback_id]
    bot = world.bot
    before = audits(world, what)
    bot.fake.clear()
    payload = W.submission(who, callback_id, meta(world), values(world), view_id="V0TWICE01", sealed_by=bot)
    first = bot.interactive(payload)
    second = bot.interactive(payload)
    assert first.status == second.status == 200
    assert audits(world, what) == before + 1, f"{callback_id}: {audits(world, what) - before} changes"
    announced = [c for c in bot.fake.of("chat.postMessage") if c.args.get("channel") == A_CHANNEL]
    assert len(announced) <= 1, f"{callback_id} announced twice"


def test_the_note_form_submitted_twice_saves_once(world):
    bot = world.bot
    _, meta = W.open_note_form(world, W.TEAM, A_CHANNEL)
    values = {"school": W.select("note_school", world.a), "step": W.select("value", "2021-22|nysed-tsi-visits/visit-1"), "commitment": W.select("value", "1")}
    payload = W.submission(W.TEAM, "scep_save_note", meta, values)
    before = audits(world, "note saved")
    bot.fake.clear()
    bot.interactive(payload)
    bot.interactive(payload)
    assert audits(world, "note saved") == before + 1
    assert len(bot.fake.of("reactions.add")) == 1
    assert "Already saved" in bot.fake.of("chat.postEphemeral")[-1].args["text"]


def test_setup_of_a_new_channel_sent_twice_links_one_school(world):
    bot = world.bot
    payload = W.submission(W.MEMBER, "scep_setup", "C0NEWSCH1", {"name": W.text_input("New School"), "model": W.select("value", "TSI"),
                                                                  "tz": W.text_input("America/New_York")}, sealed_by=bot)
    bot.interactive(payload)
    bot.interactive(payload)
    linked = [e for e in (world.store.index_entry(s) for s in world.store.school_ids()) if e and e["channel_id"] == "C0NEWSCH1"]
    assert len(linked) == 1
    body = command_body(bot, "setup Newer School", user=W.MEMBER, n=901).replace(A_CHANNEL, "C0NEWSCH2")
    deliver(bot, body)
    deliver(bot, body)  # the command delivered twice (no retry header): the second finds the school, changes nothing
    assert len([s for s in world.store.school_ids() if (world.store.index_entry(s) or {}).get("channel_id") == "C0NEWSCH2"]) == 1
