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


# ---------------------------------------------------------------- item 7: set up part-way through a plan year


def statuses(bot: Bot) -> dict[str, str]:
    """``/scep timeline``'s fallback lines: item title -> status."""
    out = {}
    for line in bot.command("timeline").text.splitlines():
        line = line.strip()
        if line.startswith("["):
            status, rest = line[1:].split("] ", 1)
            out[rest.split(": ", 1)[0]] = status
    return out


def test_a_sezp_school_set_up_in_november_starts_with_the_plan_year_in_progress(abot):
    bot = abot
    bot.at("2026-11-10T15:00:00Z")
    bot.setup("Brightwood cycles:sezp-planning state:MA")
    give_roles(bot)
    # plan year 2026-27 runs Jan - Dec 2026: everything that closed before Tue Nov 10 is "untracked"
    # (closed before tracking began), the calendar's milestones have passed, monitoring (Oct 1 - Dec 31) is open
    U = "untracked"
    assert statuses(bot) == {
        "Priority Levers Form (DRAFT)": U, "Priority Levers Form (FINAL)": U,
        "Educator Working Conditions (DRAFT)": U, "Educator Working Conditions (FINAL)": U,
        "Student & Staff Calendars (DRAFT)": U, "Student & Staff Calendars (FINAL)": U,
        "Optional Services Decisions - SPS": U, "Optional Services Decisions - SEZP Support": U,
        "Launch Summer School Planning": "undated",
        "Priority Lever Goals Form (DRAFT)": U, "Priority Lever Goals Form (FINAL)": U,
        "TLT Transition Form (DRAFT)": U, "TLT Transition Form (FINAL)": U,
        "Summer Plan (DRAFT)": U, "Summer Plan (FINAL)": U,
        "Strategic Action Plan": U, "Faculty Handbook updates": U,
        "Mid-year Performance Targets": U, "TLT Selection and Faculty Engagement Form": U,
        "Mid-year data review": U, "Launch school budgets": "passed", "TLT goal-setting meetings": U,
        "SEZP Board approval of school plans": "passed",  # the Board's: a milestone in the school
        "Phases III and IV begin": "passed", "TLT elections": U,
        "Bi-weekly school planning check-ins": "undated",  # all year, no dates (issue 11 item 6)
        "Newly elected TLTs set mid-year improvement targets": U, "Monitoring plan implementation": "open",
    }
    text = bot.command("timeline").text
    assert "overdue" not in text and "closed before tracking began" in text
    # never nudged: nothing is sent for them through the rest of the plan year
    d = Driver(bot)
    d.run(utc("2026-11-10T16:00:00Z"), utc("2026-12-20T16:00:00Z"))
    # only what is still in progress: monitoring's midpoint (Oct 1 + 45 days = Sun Nov 15 -> Mon Nov 16)
    sent = [(p.local().date().isoformat(), it.split("/")[-1], r) for p in d.posts for it, r in p.nudges]
    assert sent == [("2026-11-16", "monitoring", "midpoint")]
    assert all(p.text.startswith("Your week") for p in d.posts if not p.nudges)  # and the liaison's weekly digests


def test_a_ny_school_set_up_in_february_keeps_what_was_still_open(abot):
    bot = abot
    setup_ny(bot, "2026-02-02T15:00:00Z")
    # session 1's typical window (Oct 1 - Nov 30 2025) closed before tracking began; session 2's
    # (Jan 6 - Feb 28 2026) was still open: it waits for its dates; sessions 3-5 are to come
    assert statuses(bot) == {
        "Pre-SCEP Team Meeting Planning Session 1": "untracked", "Pre-SCEP Team Meeting Planning Session 2": "waiting",
        "Pre-SCEP Team Meeting Planning Session 3": "upcoming", "Pre-SCEP Team Meeting Planning Session 4": "upcoming",
        "Pre-SCEP Team Meeting Planning Session 5": "upcoming",
    }
    d = Driver(bot)
    d.run(utc("2026-02-02T16:00:00Z"), utc("2026-03-10T16:00:00Z"))
    sent = sorted((p.local().date().isoformat(), it.split("/")[-1], r) for p in d.channel_posts(CHANNEL) for it, r in p.nudges)
    # session 2's ask (Dec 23) came before setup: not sent; its overdue (Mon Mar 2, the window
    # closed Sat Feb 28) is; session 3 opens Sun Mar 1: the nudge on Mon Mar 2
    assert sent == [("2026-03-02", "session-2", "overdue"), ("2026-03-02", "session-3", "opens")]
