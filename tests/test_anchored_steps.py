"""Event-anchored steps that cannot slip (issue 11, item 4) and schools set up mid-year (item 7),
through signed requests and hourly sweeps. Expected dates are written by hand from a calendar:
planning session 1's typical window is Oct 1 - Nov 30, session 2's Jan 6 - Feb 28 (seed 001,
carried same-date); the dates are asked for 14 days before, at 09:00 on a school day."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.store.schema import STEP_KIND
from tests.harness import CHANNEL, Bot
from tests.nudge_driver import LIAISON, PRINCIPAL, Driver, add_people, give_roles, utc
from tests.slack import button, message_click, view_submission

pytestmark = pytest.mark.usefixtures("nudges_only")
P = "nysed-planning-sessions"
S1 = f"2025-26:{P}/session-1"


@pytest.fixture
def abot(tmp_path, fake):
    add_people(fake)
    b = Bot(tmp_path / "data", fake, utc("2025-07-01T12:00:00Z"))
    yield b
    b.close()


def setup_ny(bot: Bot, when: str) -> None:
    bot.at(when)
    bot.setup("Adams High model:CSI cycles:nysed-planning-sessions")
    give_roles(bot)


def step_doc(bot: Bot, key: str) -> dict:
    store = bot.services.store
    return store.view(store.school_ids()[0]).get(STEP_KIND, key) or {}


def test_a_session_whose_dates_never_come_is_asked_for_once_then_overdue_and_escalated(abot):
    bot = abot
    setup_ny(bot, "2025-07-01T12:00:00Z")
    d = Driver(bot)
    seen = {}

    def look(name):
        def run():
            seen[name] = bot.command("timeline").text
        return run

    d.run(utc("2025-07-01T13:00:00Z"), utc("2026-07-01T05:00:00Z"), events={
        utc("2025-10-15T15:00:00Z"): look("oct"), utc("2025-12-02T15:00:00Z"): look("dec")})
    got = Counter()
    for p in d.channel_posts(CHANNEL):
        for item, rule in p.nudges:
            if "/session-1" in item or "/session-2" in item:
                local = p.local()
                got[(local.date().isoformat(), f"{local:%H:%M}", item.split("/")[-1], rule)] += 1
    assert got == Counter({
        ("2025-09-17", "09:00", "session-1", "ask-dates"): 1,  # Wed: 14 days before Wed Oct 1
        ("2025-12-01", "09:00", "session-1", "overdue"): 1,  # the window closed Sun Nov 30: next school day Mon Dec 1
        ("2025-12-23", "09:00", "session-2", "ask-dates"): 1,  # Tue: 14 days before Tue Jan 6
        ("2026-03-02", "09:00", "session-2", "overdue"): 1,  # closed Sat Feb 28: Mon Mar 2
    })
    esc = sorted((p.local().date().isoformat(), item.split("/")[-1]) for p in d.dms(LIAISON) for item, rule in p.nudges
                 if rule == "escalation" and ("/session-1" in item or "/session-2" in item))
    assert esc == [("2025-12-01", "session-1"), ("2026-03-02", "session-2")]
    ask = d.find(S1, "ask-dates")
    assert "Early Progress Milestone data to be available and the date of the fall SCEP team meeting" in ask.text
    assert f"<@{PRINCIPAL}>" in ask.text and ask.button("anchor_dates_open") is not None
    assert next(x for x in seen["oct"].splitlines() if "Session 1" in x).strip().startswith("[waiting]")
    line = next(x for x in seen["dec"].splitlines() if "Session 1" in x)
    assert line.strip().startswith("[overdue]") and "never reported" in line


def test_the_ask_nudge_opens_a_form_with_date_pickers_and_a_future_data_date_is_not_open(abot):
    bot = abot
    setup_ny(bot, "2025-07-01T12:00:00Z")
    d = Driver(bot)
    d.run(utc("2025-09-17T12:00:00Z"), utc("2025-09-17T14:00:00Z"))
    ask = d.find(S1, "ask-dates")
    d.click(ask, "anchor_dates_open", PRINCIPAL, utc("2025-09-18T14:00:00Z"))
    view = bot.fake.of("views.open")[-1].args["view"]
    pickers = [b["block_id"] for b in view["blocks"] if b.get("type") == "input"]
    assert pickers == ["a:milestones-data", "a:fall-team-meeting"]
    assert all(b["element"]["type"] == "datepicker" for b in view["blocks"] if b.get("type") == "input")

    def values(**days):
        return {f"a:{k.replace('_', '-')}": {"value": {"type": "datepicker", "selected_date": v}} for k, v in days.items()}

    # a date in a past school year: a question on the field, nothing saved
    bad = bot.interactive(view_submission(view, values(milestones_data="2024-10-20"), user=PRINCIPAL))
    assert bad.json["response_action"] == "errors" and "Did you mean Mon Oct 20 2025?" in bad.json["errors"]["a:milestones-data"]
    bot.fake.clear()
    bot.interactive(view_submission(view, values(milestones_data="2025-10-20", fall_team_meeting="2025-11-19"), user=PRINCIPAL))
    post = bot.fake.of("chat.postMessage")[-1].args["text"]
    assert "Mon Oct 20 2025" in post and "Wed Nov 19 2025" in post
    # the data is ready Oct 20: on Oct 1 (the typical opening) session 1 is upcoming, not open
    bot.at("2025-10-01T14:00:00Z")
    line = next(x for x in bot.command("timeline").text.splitlines() if "Session 1" in x)
    assert line.strip().startswith("[upcoming]") and "(opens in 19 days)" in line
    # its nudges follow the reported dates, and the ask is never sent again
    d.run(utc("2025-09-17T15:00:00Z"), utc("2025-10-21T15:00:00Z"))
    assert [r for p in d.posts for it, r in p.nudges if it == S1] == ["ask-dates", "opens"]
    assert d.find(S1, "opens").local().date().isoformat() == "2025-10-20"


def test_done_before_the_data_date_asks_on_every_path(abot):
    bot = abot
    setup_ny(bot, "2025-07-01T12:00:00Z")
    bot.at("2025-10-01T14:00:00Z").command("data milestones ready Oct 20", user=PRINCIPAL)
    bot.command("meeting fall Nov 19", user=PRINCIPAL)
    bot.at("2025-10-08T14:00:00Z")
    # /scep done: a question with the way to confirm; nothing written
    bot.fake.clear()
    bot.command("done session 1", user=PRINCIPAL)
    shown = bot.responses()[-1]
    assert "reported for Mon Oct 20 2025: it can't have been held yet" in shown["text"] and "session 1 anyway" in shown["text"]
    assert not step_doc(bot, S1).get("done")
    # the question's button: Mark done anyway
    btn = button(shown["blocks"], "done_confirm")
    bot.interactive(message_click(bot.fake, shown, CHANNEL, "1.5", btn, user=PRINCIPAL))
    assert "held" in step_doc(bot, S1)["done"]
    assert "confirmed: before its data date" in bot.fake.of("response_url")[-1].args["text"]
    bot.command("undo session 1", user=PRINCIPAL)
    # the nudge's Mark done asks too
    bot.fake.clear()
    value = f"{bot.services.store.school_ids()[0]}|{S1}|day-before"
    msg = {"text": "x", "blocks": [{"type": "actions", "block_id": "act|x", "elements": [
        {"type": "button", "action_id": "nudge_done", "value": value, "text": {"type": "plain_text", "text": "Mark done"}}]}]}
    bot.interactive(message_click(bot.fake, msg, CHANNEL, "1.6", {**msg["blocks"][0]["elements"][0], "block_id": "act|x"}, user=PRINCIPAL))
    said = bot.fake.of("response_url")[-1].args
    assert "it can't have been held yet" in said["text"] and not step_doc(bot, S1).get("done")
    # the checklist's Mark done asks too
    ck = {"text": "x", "blocks": [{"type": "actions", "block_id": "ckb|x", "elements": [
        {"type": "button", "action_id": "ck_done", "value": f"{value.split('|')[0]}|{S1}|held", "text": {"type": "plain_text", "text": "Mark done"}}]}]}
    bot.fake.clear()
    bot.interactive(message_click(bot.fake, ck, CHANNEL, "1.7", {**ck["blocks"][0]["elements"][0], "block_id": "ckb|x"}, user=PRINCIPAL))
    said = [c.args for c in bot.fake.calls if "it can't have been held yet" in str(c.args)]
    assert said and not step_doc(bot, S1).get("done")
    # typed confirmation, and after the data date no question at all
    bot.command("done session 1 anyway", user=PRINCIPAL)
    assert "held" in step_doc(bot, S1)["done"]
    bot.command("undo session 1", user=PRINCIPAL)
    bot.at("2025-10-21T14:00:00Z").command("done session 1", user=PRINCIPAL)
    assert "held" in step_doc(bot, S1)["done"]


def test_a_data_date_in_the_past_year_or_far_future_is_a_question(abot):
    bot = abot
    setup_ny(bot, "2025-07-01T12:00:00Z")
    bot.at("2025-09-20T14:00:00Z")
    text = bot.command("data milestones ready Oct 20 2024", user=PRINCIPAL).text + bot.last_response_text()
    assert "a past school year" in text and "Did you mean Mon Oct 20 2025?" in text
    text = bot.command("data milestones ready Oct 20 2027", user=PRINCIPAL).text + bot.last_response_text()
    assert "a later school year" in text
    store = bot.services.store
    assert not store.view(store.school_ids()[0]).all("anchors")
