"""/scep done, undo, data and meeting: the school's state from what people type."""

from __future__ import annotations

from datetime import date

from bot.calendar.nlp_dates import parse
from bot.store.schema import ANCHOR_KIND, STEP_KIND
from tests.test_nlp_dates import NOW, NY


def view(bot):
    store = bot.services.store
    return store.view(store.school_ids()[0])


def reply(bot, text):
    bot.fake.clear()
    bot.command(text)
    r = bot.responses()[-1]
    return r["response_type"], bot.last_response_text()


def test_done_and_undo_a_visit(bot):
    bot.setup()
    kind, text = reply(bot, "done visit 1")
    assert kind == "in_channel" and "marked *SCEP Support Visit 1* done" in text
    assert "Its checklist is 0/8: `/scep checklist visit 1`" in text
    done = view(bot).get(STEP_KIND, "2021-22:nysed-tsi-visits/visit-1")["done"]["held"]
    assert done == {"at": "2021-11-02T13:00:00+00:00", "by": "U0ADMIN01"}
    kind, text = reply(bot, "done v1")
    assert kind == "ephemeral" and "already marked done by <@U0ADMIN01> on Tue Nov 2 2021, 9:00 AM EDT" in text
    assert "[done] SCEP Support Visit 1" in bot.command("timeline").text
    kind, text = reply(bot, "undo first visit")
    assert kind == "in_channel" and "reopened *SCEP Support Visit 1*" in text
    assert view(bot).get(STEP_KIND, "2021-22:nysed-tsi-visits/visit-1")["done"] == {}
    kind, text = reply(bot, "undo visit 1")
    assert kind == "ephemeral" and "isn't marked done: nothing to undo" in text


def test_done_draft_then_final(bot):
    bot.setup("Brightwood cycles:sezp-planning")
    bot.at("2022-05-02T14:00:00Z")
    kind, text = reply(bot, "done priority levers")
    assert "marked *Priority Levers Form (DRAFT)* done" in text  # the first deadline not done
    kind, text = reply(bot, "done priority levers")
    assert "marked *Priority Levers Form (FINAL)* done" in text
    kind, text = reply(bot, "done priority levers draft")
    assert kind == "ephemeral" and "already marked done" in text
    kind, text = reply(bot, "undo priority levers final")
    assert "reopened *Priority Levers Form* (FINAL)" in text
    assert set(view(bot).get(STEP_KIND, "2022-23:sezp-planning/priority-levers")["done"]) == {"draft"}


def test_done_with_a_label_the_step_does_not_have(bot):
    bot.setup()
    kind, text = reply(bot, "done visit 1 draft")
    assert kind == "ephemeral" and "has no draft/final deadlines" in text
    kind, text = reply(bot, "done visit 1 tomorrow")
    assert kind == "ephemeral" and "say `draft` or `final`" in text
    assert view(bot).all(STEP_KIND) == {}


def test_data_and_meeting_fix_the_planning_session(bot):
    bot.setup()
    kind, text = reply(bot, "data milestones ready Oct 20")
    assert kind == "in_channel" and "Early Progress Milestone data to be available: *Wed Oct 20 2021* (2021-22)" in text
    assert "now waits only for the date of the fall SCEP team meeting (`/scep meeting fall &lt;date&gt;`)" in text
    kind, text = reply(bot, "meeting fall Nov 10")
    assert "Pre-SCEP Team Meeting Planning Session 1 can be held Wed Oct 20 2021 – Tue Nov 9 2021" in text
    anchors = view(bot).all(ANCHOR_KIND)
    assert anchors["2021-22:milestones-data"]["date"] == "2021-10-20"
    assert anchors["2021-22:fall-team-meeting"]["date"] == "2021-11-10"
    assert "Pre-SCEP Team Meeting Planning Session 1: window open until Tue Nov 9 2021 (7 days left)" in bot.command("next 5").text
    kind, text = reply(bot, "meeting fall Nov 12")
    assert "was Wed Nov 10 2021" in text
    kind, text = reply(bot, "data milestones clear")
    assert "cleared" in text and "2021-22:milestones-data" not in view(bot).all(ANCHOR_KIND)


def test_data_ready_today_by_default_and_benchmarks_in_winter(bot):
    bot.setup()
    reply(bot, "data milestones ready")
    assert view(bot).all(ANCHOR_KIND)["2021-22:milestones-data"]["date"] == "2021-11-02"
    reply(bot, "data benchmarks ready Jan 20")
    assert view(bot).all(ANCHOR_KIND)["2021-22:benchmarks-data"]["date"] == "2022-01-20"


def test_year_end_data_is_read_in_the_cycle_year(bot):
    bot.setup()
    kind, text = reply(bot, "data year-end ready Jun 20")
    assert "*Mon Jun 20 2022* (2021-22)" in text and "SCEP Support Visit 5 needed it" in text
    kind, text = reply(bot, "data year end ready June 24")
    assert view(bot).all(ANCHOR_KIND)["2021-22:year-end-data"]["date"] == "2022-06-24"


def test_august_pd_for_sezp_schools_only(bot):
    bot.setup()
    kind, text = reply(bot, "meeting august-pd Aug 22")
    assert kind == "ephemeral" and "don't wait for the date of the first day of August PD (SEZP School Improvement Planning does)" in text
    bot.setup("Brightwood cycles:sezp-planning", channel="C0SEZP001")
    bot.fake.clear()
    bot.at("2022-06-01T14:00:00Z").command("meeting august pd Aug 22", channel="C0SEZP001")
    text = bot.last_response_text()
    assert "Mon Aug 22 2022" in text and "Faculty Handbook updates can be held Mon Aug 1 2022 – Sun Aug 21 2022" in text


def test_bad_data_and_meeting_input(bot):
    bot.setup()
    cases = {
        "data": "Which one?",
        "data grades ready": "isn't one I track",
        "data milestones ready January": "too vague",
        "data milestones ready soon": "`Oct 20`",
        "meeting fall": "When is it?",
        "meeting spring Nov 1": "isn't one I track",
        "data benchmarks clear": "Nothing recorded",
    }
    for command, says in cases.items():
        kind, text = reply(bot, command)
        assert kind == "ephemeral" and says in text, (command, text)
    assert view(bot).all(ANCHOR_KIND) == {}


def test_within_reads_a_month_and_day_in_the_cycle_year():
    assert parse("Jun 20", NOW, NY, need_time=False, prefer="nearest").day == date(2021, 6, 20)
    assert parse("Jun 20", NOW, NY, need_time=False, prefer="nearest", within=(date(2021, 10, 1), date(2022, 7, 31))).day == date(2022, 6, 20)
