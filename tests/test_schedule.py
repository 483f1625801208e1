"""/scep schedule, the "Pick a date" modal, reschedule and cancel, through signed requests."""

from __future__ import annotations

from bot.store.schema import STEP_KIND
from tests.harness import CHANNEL
from tests.slack import button, message_click, view_submission

V2 = "2021-22:nysed-tsi-visits/visit-2"


def doc(bot, key=V2):
    store = bot.services.store
    return store.view(store.school_ids()[0]).get(STEP_KIND, key) or {}


def reply(bot, text):
    bot.fake.clear()
    bot.command(text)
    r = bot.responses()[-1]
    return r["response_type"], bot.last_response_text()


def test_schedule_echoes_what_it_understood_and_next_shows_it(bot):
    bot.setup()
    kind, text = reply(bot, "schedule visit 2 Dec 14 10am")
    assert kind == "in_channel"
    assert "scheduled *SCEP Support Visit 2* (2021-22) for *Tue Dec 14 2021, 10:00 AM EST*" in text
    assert ":warning:" not in text
    assert doc(bot)["scheduled_at"] == "2021-12-14T15:00:00+00:00"
    assert "scheduled for Tue Dec 14 2021, 10:00 AM EST" in bot.command("next").text


def test_reschedule_and_cancel(bot):
    bot.setup()
    bot.command("schedule visit 2 Dec 14 10am")
    kind, text = reply(bot, 'schedule "visit 2" "Dec 15 9:30am"')
    assert kind == "in_channel" and "rescheduled" in text and "Wed Dec 15 2021, 9:30 AM EST" in text
    assert "(was Tue Dec 14 2021, 10:00 AM EST)" in text
    kind, text = reply(bot, "schedule v2 cancel")
    assert kind == "in_channel" and "cancelled the date of *SCEP Support Visit 2* (was Wed Dec 15 2021, 9:30 AM EST)" in text
    assert "scheduled_at" not in doc(bot)
    kind, text = reply(bot, "schedule v2 cancel")
    assert kind == "ephemeral" and "has no date to cancel" in text
    whats = [a["what"] for a in bot.services.store.view(bot.services.store.school_ids()[0]).all("audit").values()]
    assert whats.count("scheduled") == 2 and whats.count("unscheduled") == 1


def test_the_same_date_twice_is_one_change(bot):
    bot.setup()
    bot.command("schedule visit 2 Dec 14 10am")
    kind, text = reply(bot, "schedule visit 2 2021-12-14 10:00")
    assert kind == "ephemeral" and "already scheduled for Tue Dec 14 2021, 10:00 AM EST" in text


def test_a_date_in_the_past_is_refused(bot):
    bot.setup()
    for when, says in (("yesterday 3pm", "(yesterday)"), ("today 8am", "earlier today"), ("Nov 1 10am", "(yesterday)")):
        kind, text = reply(bot, f"schedule visit 1 {when}")
        assert kind == "ephemeral" and "is in the past" in text and says in text, when
    assert "scheduled_at" not in doc(bot, "2021-22:nysed-tsi-visits/visit-1")


def test_outside_the_window_is_allowed_with_a_warning(bot):
    bot.setup()
    kind, text = reply(bot, "schedule visit 1 Dec 3 10am")
    assert kind == "in_channel" and "Fri Dec 3 2021, 10:00 AM EST" in text
    assert ":warning: That is after Visit 1's window (Fri Oct 1 2021 – Tue Nov 30 2021)." in text
    assert doc(bot, "2021-22:nysed-tsi-visits/visit-1")["scheduled_at"] == "2021-12-03T15:00:00+00:00"


def test_steps_with_deadlines_have_no_schedule(bot):
    bot.setup("Brightwood cycles:sezp-planning")
    bot.at("2022-04-01T14:00:00Z")
    kind, text = reply(bot, "schedule priority levers May 1 10am")
    assert kind == "ephemeral"
    assert "deliverable with deadlines (DRAFT Fri May 6 2022, 4:00 PM EDT; FINAL Fri May 27 2022, 4:00 PM EDT)" in text
    assert "`/scep done priority levers draft`" in text
    kind, text = reply(bot, "schedule budgets Feb 15 10am")
    assert "milestone" in text and "nothing to schedule" in text
    store = bot.services.store
    assert store.view(store.school_ids()[0]).all(STEP_KIND) == {}


def test_vague_ambiguous_and_unknown(bot):
    bot.setup()
    cases = {
        "schedule visit 2 January": "too vague",
        "schedule visit 2 soon": "`Dec 14 10am`",
        "schedule visit 2 Dec 14": "What time on Tue Dec 14 2021?",
        "schedule visit 2 the 6th": "What time on Sat Nov 6 2021?",
        "schedule visit Dec 14 10am": "could mean 5 steps",
        "schedule vist 2 Dec 14 10am": "Did you mean `Visit 2`?",
    }
    for command, says in cases.items():
        kind, text = reply(bot, command)
        assert kind == "ephemeral" and says in text, (command, text)
    store = bot.services.store
    assert store.view(store.school_ids()[0]).all(STEP_KIND) == {}


def test_the_6th_is_not_june(bot):
    bot.setup()
    kind, text = reply(bot, "schedule visit 2 the 6th at 10am")
    # Nov 6 is a Saturday before the window: allowed with a warning, never June
    assert "Sat Nov 6 2021, 10:00 AM EDT" in text and "before Visit 2's window" in text


def test_sessions_waiting_for_data_and_visit_5_needing_year_end_data_are_warned(bot):
    bot.setup()
    kind, text = reply(bot, "schedule session 1 Nov 15 10am")
    assert kind == "in_channel" and "waits for Early Progress Milestone data to be available" in text
    kind, text = reply(bot, "schedule visit 5 Jun 10 10am")
    assert "needs year-end data to be available, not reported yet (`/scep data year-end ready &lt;date&gt;`)" in text
    bot.command("data year-end ready Jun 20")
    kind, text = reply(bot, "schedule visit 5 Jun 15 10am")
    assert "reported for Mon Jun 20 2022: after this date" in text
    kind, text = reply(bot, "schedule visit 5 Jun 22 10am")
    assert ":warning:" not in text


def test_near_year_end_a_date_in_next_years_window_schedules_next_years_step(bot):
    bot.setup("PS 7 cycles:nysed-tsi-visits")
    kind, text = reply(bot.at("2022-07-05T14:00:00Z"), "schedule visit 1 Oct 5 10am")
    assert "(2022-23)" in text and ":warning:" not in text
    assert doc(bot, "2022-23:nysed-tsi-visits/visit-1")["scheduled_at"] == "2022-10-05T14:00:00+00:00"


def test_pick_a_date_modal(bot):
    bot.setup()
    kind, text = reply(bot, "schedule visit 2")
    assert kind == "ephemeral" and "window Wed Dec 1 2021 – Fri Dec 31 2021" in text
    shown = bot.responses()[-1]
    btn = button(shown["blocks"], "sched_open")
    bot.interactive(message_click(bot.fake, shown, CHANNEL, "1700000050.000001", btn))
    view = bot.fake.of("views.open")[-1].args["view"]
    assert view["callback_id"] == "scep_schedule"
    date_el = next(b for b in view["blocks"] if b.get("block_id") == "date")["element"]
    time_el = next(b for b in view["blocks"] if b.get("block_id") == "time")["element"]
    assert date_el["type"] == "datepicker" and date_el["initial_date"] == "2021-12-01"
    assert time_el["type"] == "timepicker" and time_el["initial_time"] == "10:00"

    def values(day, at):
        return {"date": {"value": {"type": "datepicker", "selected_date": day}}, "time": {"value": {"type": "timepicker", "selected_time": at}}}

    # a day in the past: the modal says so and stays open; nothing written
    bad = bot.interactive(view_submission(view, values("2021-10-30", "10:00")))
    assert bad.json["response_action"] == "errors" and "in the past" in bad.json["errors"]["date"]
    assert "scheduled_at" not in doc(bot)
    bot.fake.clear()
    good = bot.interactive(view_submission(view, values("2021-12-14", "10:00")))
    assert good.status == 200 and good.body == ""
    posts = bot.fake.of("chat.postMessage")
    assert len(posts) == 1 and posts[0].args["channel"] == CHANNEL
    assert "Tue Dec 14 2021, 10:00 AM EST" in posts[0].args["text"]
    assert doc(bot)["scheduled_at"] == "2021-12-14T15:00:00+00:00"
    # the same form sent twice: one change, a clear answer
    bot.fake.clear()
    again = bot.interactive(view_submission(view, values("2021-12-14", "10:00")))
    assert again.status == 200 and bot.fake.of("chat.postMessage") == []
    notice = bot.fake.of("views.open")[-1].args["view"]
    assert "already scheduled" in notice["blocks"][0]["text"]["text"]
    whats = [a["what"] for a in bot.services.store.view(bot.services.store.school_ids()[0]).all("audit").values()]
    assert whats.count("scheduled") == 1


def test_pick_a_date_is_refused_for_steps_without_a_schedule(bot):
    bot.setup("Brightwood cycles:sezp-planning")
    sid = bot.services.store.school_ids()[0]
    msg = {"blocks": [{"type": "actions", "block_id": "x", "elements": [
        {"type": "button", "action_id": "sched_open", "value": f"{sid}|2022-23:sezp-planning/priority-levers", "text": {"type": "plain_text", "text": "Pick"}}]}]}
    bot.at("2022-04-01T14:00:00Z").interactive(message_click(bot.fake, msg, CHANNEL, "1.1", button(msg["blocks"], "sched_open")))
    assert bot.fake.of("views.open") == []
    assert "nothing to schedule" in bot.responses()[-1]["text"]
