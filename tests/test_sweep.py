"""The sweep against the fake Slack: downtime and restarts, concurrency, Slack's faults, people
who left, channels the bot cannot post in, buttons, dry runs."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, timedelta

import pytest

from bot.calendar.dates import SchoolYear
from bot.core import steps
from bot.core.schools import SchoolState
from bot.store.schema import LEDGER
from handlers.slack_client import web_client
from schedules.sweep.jobs import sweep
from schedules.sweep.pacing import Pacer
from schedules.sweep.sweeper import Sweeper
from tests.harness import CHANNEL, Bot
from tests.nudge_driver import (
    DISTRICT,
    LIAISON,
    PRINCIPAL,
    Driver,
    add_people,
    give_roles,
    nine,
    utc,
)

pytestmark = pytest.mark.usefixtures("nudges_only")


@pytest.fixture
def people(fake):
    add_people(fake)
    return fake


def tsi(bot: Bot, when: str = "2021-07-01T12:00:00Z") -> Driver:
    bot.at(when)
    bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits year:2021-22")
    give_roles(bot)
    return Driver(bot)


def sezp(bot: Bot, when: str = "2021-12-15T15:00:00Z") -> Driver:
    bot.at(when)
    bot.setup("Brightwood cycles:sezp-planning year:2022-23")
    give_roles(bot)
    return Driver(bot)


def school_state(bot: Bot) -> SchoolState:
    store = bot.services.store
    return SchoolState.read(store.view(store.school_ids()[0]))


def ledger(bot: Bot) -> dict:
    store = bot.services.store
    return store.view(store.school_ids()[0]).all(LEDGER)


def nudges_of(posts) -> list[tuple[str, str]]:
    return [n for p in posts for n in p.nudges]


# ---------------------------------------------------------------- downtime


def test_a_restart_after_a_week_down_sends_what_still_means_something_once(tmp_path, people):
    """SEZP, May 2022: the bot is down from Thu May 19 to Thu May 26. When it comes back, the
    FINAL reminders due meanwhile (7 days before, 2 days before) collapse into one that says the
    true time left; the DRAFT's morning-of (May 20, 4pm passed) is stale and skipped; the DRAFT's
    overdue notice (Mon May 23) still means something and is sent."""
    bot = Bot(tmp_path / "data", people, utc("2021-12-15T15:00:00Z"))
    d = sezp(bot)
    d.run(utc("2022-05-09T00:00:00Z"), utc("2022-05-19T12:00:00Z"))
    before = len(d.posts)
    bot.close()  # the process stops; a new one starts a week later on the same data directory

    bot = Bot(tmp_path / "data", people, utc("2022-05-26T15:00:00Z"))
    d2 = Driver(bot)
    back = d2.sweep(utc("2022-05-26T15:00:00Z"))
    came = [p for p in d2.posts if p.channel == CHANNEL]
    kinds = sorted(nudges_of(came))
    finals = [f"2022-23:sezp-planning/{s}:final" for s in ("calendars", "educator-working-conditions", "priority-lever-goals", "priority-levers", "summer-plan", "tlt-transition")]
    drafts = [f"2022-23:sezp-planning/{s}:draft" for s in ("priority-lever-goals", "summer-plan", "tlt-transition")]
    # (the SEZP Board's approval is the district's step: its reminders go to the district role)
    assert kinds == sorted([(f, "before-2") for f in finals] + [(dr, "overdue") for dr in drafts])
    # the text is true at the moment it is sent
    text = "\n".join(p.text for p in came)
    assert "Priority Levers Form (FINAL) is due Fri May 27 2022, 4:00 PM EDT (tomorrow)" in text
    assert "Priority Lever Goals Form (DRAFT) was due Fri May 20 2022, 4:00 PM EDT (6 days ago)" in text
    assert len(came) == 1  # one message with everything due for the channel, not a burst
    # recorded as skipped: superseded 7-days-before reminders, stale morning-of reminders
    skipped = {(d_.key.split("|")[1], d_.reason.split(":")[0].split(" by")[0]) for d_ in back.of("skipped") if d_.school}
    assert {(f"{f}/before-7", "superseded") for f in finals} <= skipped
    assert {(f"{dr}/morning-of", "stale") for dr in drafts} <= skipped
    led = ledger(bot)
    assert all(led[d_.key]["state"] == "skipped" for d_ in back.of("skipped") if d_.school)
    # the overdue notices are escalated too (liaison and district), and nothing is sent twice later
    # and the district role gets the Board's reminder (Tue May 24, for Tue Jun 7) in a DM of its own
    board = ("2022-23:sezp-planning/board-approval:due", "before-14")
    assert sorted(nudges_of(d2.dms(DISTRICT))) == sorted([(dr, "escalation") for dr in drafts] + [board])
    assert len(d2.dms(DISTRICT)) == 2 and d2.dms(DISTRICT)[0].text.startswith("3 things overdue in your schools")
    assert d2.dms(DISTRICT)[1].text.startswith("District step by the SEZP Board: SEZP Board approval of school plans is due in 14 days")
    n = len(d2.posts)
    d2.run(utc("2022-05-26T16:00:00Z"), utc("2022-06-01T00:00:00Z"))
    later = nudges_of(p for p in d2.posts[n:] if p.channel == CHANNEL)
    assert all(n not in kinds for n in later)
    assert ("2022-23:sezp-planning/priority-levers:final", "morning-of") in later  # the next one came as usual
    assert before > 0
    bot.close()


def test_downtime_longer_than_a_window_sends_nothing_stale(people, bot):
    d = tsi(bot)
    d.sweep(utc("2021-10-01T13:00:00Z"))  # visit 1 opens
    # down from Oct 2 to Dec 9: visit 1's midpoint, closing and overdue (Dec 1, stale after Dec 8)
    # and visit 2's opening (Dec 1, superseded by nothing: still open, sent) fell due meanwhile
    report = d.sweep(utc("2021-12-09T15:00:00Z"))
    sent = sorted(nudges_of(d.posts[1:]))
    assert ("2021-22:nysed-tsi-visits/visit-2", "opens") in sent
    assert not any(n[0].endswith("visit-1") for n in sent)
    stale = {x.key.split("|")[1] for x in report.of("skipped")}
    assert {"2021-22:nysed-tsi-visits/visit-1/midpoint", "2021-22:nysed-tsi-visits/visit-1/closing", "2021-22:nysed-tsi-visits/visit-1/overdue"} <= stale
    opens = d.find("2021-22:nysed-tsi-visits/visit-2", "opens")
    assert "until Fri Dec 31 2021 (22 days left)" in opens.text


# ---------------------------------------------------------------- concurrency


def test_two_sweeps_at_the_same_moment_post_each_nudge_once(people, bot):
    d = sezp(bot)
    d.sweep(utc("2022-05-26T14:00:00Z"))  # the bot was running: everything due before is sent
    bot.fake.clear()
    at = utc("2022-05-27T13:00:00Z")  # six FINAL deadlines: six morning-of nudges
    bot.fake.fail_next("chat.postMessage", delay=0.05, times=20)  # slow Slack widens the race
    other = Sweeper(bot.services, pacer=Pacer(sleep=lambda s: None))
    start = threading.Barrier(2)
    reports = []

    def run(sw):
        start.wait()
        reports.append(sw.run(d.client, at))

    threads = [threading.Thread(target=run, args=(sw,)) for sw in (d.sweeper, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    posted = [c for c in bot.fake.of("chat.postMessage") if c.args.get("channel") == CHANNEL]
    ids = [b.get("block_id") for c in posted for b in c.args["blocks"] if str(b.get("block_id", "")).startswith("nudge|")]
    assert len(ids) == 6 and len(set(ids)) == 6
    assert sum(len(r.of("sent")) for r in reports) == 6
    led = ledger(bot)
    sent_keys = [k for k, e in led.items() if e.get("state") == "sent" and e.get("at") == "2022-05-27T13:00:00+00:00"]
    assert len(sent_keys) == 6 and all("|morning-of|" not in k for k in sent_keys) and all("/morning-of|" in k for k in sent_keys)


# ---------------------------------------------------------------- Slack's faults


def test_429_honours_retry_after_then_posts_once(people, bot):
    d = tsi(bot)
    bot.fake.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    report = d.sweep(utc("2021-10-01T13:00:00Z"))
    took = time.monotonic() - started
    calls = bot.fake.of("chat.postMessage")
    assert len(calls) == 2 and took >= 1.0  # refused, waited Retry-After, posted
    assert calls[1].at - calls[0].at >= 1.0
    assert len(report.of("sent")) == 1
    d.sweep(utc("2021-10-01T13:01:00Z"))
    assert len(bot.fake.of("chat.postMessage")) == 2


def test_429_that_persists_releases_the_claim_for_a_later_sweep(people, bot):
    d = tsi(bot)
    bot.fake.fail_next("chat.postMessage", status=429, retry_after=0, times=3)
    report = d.sweep(utc("2021-10-01T13:00:00Z"))
    assert report.of("sent") == [] and len(report.of("retry")) == 1
    entry = next(iter(ledger(bot).values()))
    assert entry["state"] == "retry" and "rate limited" in entry["reason"]
    report = d.sweep(utc("2021-10-01T13:01:00Z"))
    assert len(report.of("sent")) == 1
    ok = [c for c in bot.fake.of("chat.postMessage")]
    assert len(ok) == 4  # 3 refused, 1 posted
    d.sweep(utc("2021-10-01T13:02:00Z"))
    assert len(bot.fake.of("chat.postMessage")) == 4


def test_500_is_retried_at_the_next_sweep_and_posted_once(people, bot):
    d = tsi(bot)
    bot.fake.fail_next("chat.postMessage", status=500)
    first = d.sweep(utc("2021-10-01T13:00:00Z"))
    assert first.of("sent") == [] and len(first.of("retry")) == 1
    second = d.sweep(utc("2021-10-01T13:01:00Z"))
    assert len(second.of("sent")) == 1
    d.run(utc("2021-10-01T13:02:00Z"), utc("2021-10-01T14:00:00Z"), step=timedelta(minutes=1))
    opens = [c for c in bot.fake.of("chat.postMessage") if "window is open" in c.args.get("text", "")]
    assert len(opens) == 2  # the refused call and the one that went through
    assert next(iter(ledger(bot).values()))["attempts"] == 1


def test_a_network_error_is_retried(people, bot):
    d = tsi(bot)
    dead = web_client("xoxb-test", "http://127.0.0.1:9/api/")  # nothing listens on port 9
    report = sweep(bot.services, dead, utc("2021-10-01T13:00:00Z"))
    assert report.of("sent") == [] and len(report.of("retry")) == 1
    report = d.sweep(utc("2021-10-01T13:01:00Z"))
    assert len(report.of("sent")) == 1 and len(bot.fake.of("chat.postMessage")) == 1


def test_posts_are_paced_to_one_a_second_per_channel(people, bot):
    d = tsi(bot)
    d.sweep(utc("2021-11-26T14:00:00Z"))
    state = school_state(bot)
    ref = steps.resolve(state, bot.services.library, bot.now, "visit 1")
    with bot.services.store.transaction(state.school.school_id) as tx:
        steps.set_schedule(tx, ref, nine(2021, 11, 30, 10), LIAISON, utc("2021-11-26T15:00:00Z"))
    d.vt.sleeps.clear()
    d.posts.clear()
    # Wed Dec 1: visit 1's notes prompt (its own message, a thread for notes), and visit 1's
    # overdue notice with visit 2's opening in one message: two posts, one second apart
    d.sweep(utc("2021-12-01T14:00:00Z"))
    channel = [p for p in d.posts if p.channel == CHANNEL]
    assert sorted(sorted(r for _, r in p.nudges) for p in channel) == [["notes-prompt"], ["opens", "overdue"]]
    assert d.vt.sleeps == [1.0]
    assert [p.nudges for p in d.posts if p.channel == LIAISON] == [[("2021-22:nysed-tsi-visits/visit-1", "escalation")]]


def test_a_busy_channel_gets_one_message_not_a_burst(people, bot):
    d = sezp(bot)
    d.sweep(utc("2022-05-26T14:00:00Z"))
    d.posts.clear()
    d.sweep(utc("2022-05-27T13:00:00Z"))  # six FINAL deadlines today
    channel = [p for p in d.posts if p.channel == CHANNEL]
    assert len(channel) == 1 and len(channel[0].nudges) == 6
    assert channel[0].text.startswith("6 reminders")
    assert len([b for b in channel[0].blocks if b["type"] == "actions"]) == 6
    # each keeps its own ledger entry, with the message's ts
    led = ledger(bot)
    entries = [led[f"{school_state(bot).school.school_id}|{item}/{rule}|2022-05-27T20:00:00+00:00"] for item, rule in channel[0].nudges]
    assert {e["state"] for e in entries} == {"sent"} and len({e["ts"] for e in entries}) == 1


@pytest.mark.parametrize("problem", ["is_archived", "channel_not_found", "not_in_channel"])
def test_a_channel_the_bot_cannot_post_in_is_recorded_and_told_once(people, bot, problem):
    d = tsi(bot)
    bot.fake.fail_next("chat.postMessage", error=problem, times=1)
    report = d.sweep(utc("2021-10-01T13:00:00Z"))
    assert [x.reason for x in report.of("failed")] == [problem]
    told = d.dms(LIAISON)
    assert len(told) == 1 and problem in told[0].text and "/invite @scep-bot" in told[0].text
    # not retried forever: the next sweeps leave it alone
    d.run(utc("2021-10-01T13:01:00Z"), utc("2021-10-01T15:00:00Z"), step=timedelta(minutes=30))
    assert len([c for c in bot.fake.of("chat.postMessage") if c.args["channel"] == CHANNEL]) == 1
    # /scep schools shows it
    bot.at("2021-10-02T13:00:00Z")
    assert problem in bot.command("schools").text
    # the next nudge fails the same way: the liaison is not told again
    bot.fake.fail_next("chat.postMessage", error=problem, times=1)
    d.sweep(utc("2021-11-01T13:00:00Z"))
    assert len([p for p in d.dms(LIAISON) if problem in p.text]) == 1
    # once the bot can post again, the problem is cleared
    d.sweep(utc("2021-11-26T14:00:00Z"))
    assert ("2021-22:nysed-tsi-visits/visit-1", "closing") in d.posts[-1].nudges
    assert problem not in bot.command("schools").text


def test_a_user_who_left_is_not_mentioned_and_the_liaison_is_told_once(people, bot):
    d = tsi(bot)
    bot.fake.add_user(PRINCIPAL, "pat.principal", deleted=True)
    d.sweep(utc("2021-10-01T13:00:00Z"))
    post = next(p for p in d.posts if p.channel == CHANNEL)
    assert f"<@{PRINCIPAL}>" not in post.text and f"<@{PRINCIPAL}>" not in str(post.blocks)
    assert "@pat.principal (left the workspace)" in post.text
    assert f"<@{LIAISON}>" in post.text
    told = [p for p in d.dms(LIAISON) if "has left the workspace" in p.text]
    assert len(told) == 1 and "/scep roles principal:@name" in told[0].text
    d.sweep(utc("2021-11-01T13:00:00Z"))
    assert len([p for p in d.dms(LIAISON) if "has left the workspace" in p.text]) == 1


# ---------------------------------------------------------------- buttons


def test_mark_done_cancels_the_remaining_nudges(people, bot):
    d = tsi(bot)
    d.sweep(utc("2021-10-01T13:00:00Z"))
    opens = d.posts[-1]
    ans = d.click(opens, "nudge_done", LIAISON, utc("2021-10-20T15:00:00Z"))
    assert ans.status == 200
    replaced = bot.fake.of("response_url")[-1].args
    assert replaced["replace_original"] is True and "SCEP Support Visit 1 marked done by" in replaced["text"]
    d.run(utc("2021-10-20T16:00:00Z"), utc("2021-12-02T16:00:00Z"))
    after = nudges_of(p for p in d.posts[1:] if p.channel == CHANNEL)
    # no midpoint, closing or overdue for visit 1; the notes prompt the school day after it was held
    assert [n for n in after if n[0].endswith("visit-1")] == [("2021-22:nysed-tsi-visits/visit-1", "notes-prompt")]
    notes = d.find("2021-22:nysed-tsi-visits/visit-1", "notes-prompt")
    assert notes.local().date() == date(2021, 10, 21) and notes.call.args["blocks"]
    assert notes.button("nudge_done") is None  # it is done
    assert ("2021-22:nysed-tsi-visits/visit-2", "opens") in after
    audit = bot.services.store.view(bot.services.store.school_ids()[0]).all("audit")
    assert any(e["what"] == "done" and e["who"] == LIAISON for e in audit.values())


def test_mark_done_from_the_channel_is_for_its_members_and_recorded(people, bot):
    # whoever can click in the school's channel is one of the school's people (docs/checklists.md)
    d = tsi(bot)
    d.sweep(utc("2021-10-01T13:00:00Z"))
    bot.fake.add_user("U0MEMBER1", "member")
    d.click(d.posts[-1], "nudge_done", "U0MEMBER1", utc("2021-10-02T13:00:00Z"))
    done = school_state(bot).steps["2021-22:nysed-tsi-visits/visit-1"]["done"]
    assert list(done.values())[0]["by"] == "U0MEMBER1"


def test_snooze_comes_back_two_days_later_once_and_a_done_step_says_so(people, bot):
    d = tsi(bot)
    d.sweep(utc("2021-10-01T13:00:00Z"))  # Fri Oct 1: visit 1 opens
    d.click(d.posts[-1], "nudge_snooze", PRINCIPAL, utc("2021-10-01T14:00:00Z"))
    answer = bot.fake.of("response_url")[-1].args
    assert answer["replace_original"] is True and "Mon Oct 4 2021, 9:00 AM EDT" in answer["text"]  # 2 days: Sunday -> Monday
    d.run(utc("2021-10-01T15:00:00Z"), utc("2021-10-06T00:00:00Z"))
    back = [p for p in d.posts[1:] if p.channel == CHANNEL]
    assert len(back) == 1 and back[0].nudges == [("2021-22:nysed-tsi-visits/visit-1", "snoozed")]
    assert back[0].local().isoformat().startswith("2021-10-04T09:00") and "Snoozed reminder" in back[0].text
    assert "(57 days left)" in back[0].text
    # mark it done from the snoozed reminder; snoozing again says it is done
    d.click(back[0], "nudge_done", PRINCIPAL, utc("2021-10-05T13:00:00Z"))
    d.click(back[0], "nudge_snooze", PRINCIPAL, utc("2021-10-05T13:05:00Z"))
    answer = bot.fake.of("response_url")[-1].args
    assert answer["response_type"] == "ephemeral" and "already marked done: there is nothing to snooze" in answer["text"]
    d.click(back[0], "nudge_done", PRINCIPAL, utc("2021-10-05T13:06:00Z"))
    assert "already marked done by" in bot.fake.of("response_url")[-1].args["text"]


def test_open_checklist_opens_the_steps_checklist(people, bot):
    d = tsi(bot)
    d.sweep(utc("2021-12-01T14:00:00Z"))
    item = "2021-22:nysed-tsi-visits/visit-2"
    post = d.find(item, "opens")
    assert post.button("open_checklist", item)["value"] == "2021-22:nysed-tsi-visits/visit-2"
    d.click(post, "open_checklist", PRINCIPAL, utc("2021-12-01T15:00:00Z"), item=item)
    opened = bot.fake.of("views.open")
    assert opened, "the checklist did not open"
    text = json.dumps(opened[-1].args["view"])
    assert opened[-1].args["view"]["title"]["text"] == "Visit 2: checklist" and "Staff focus group of 4-7" in text


def test_escalation_dm_has_a_mark_done_button_that_works_from_the_dm(people, bot):
    d = tsi(bot)
    d.sweep(utc("2021-12-01T14:00:00Z"))
    dm = next(p for p in d.dms(LIAISON) if ("2021-22:nysed-tsi-visits/visit-1", "escalation") in p.nudges)
    assert "Lincoln Elementary" in dm.text and "visit" in dm.text.lower()
    d.click(dm, "nudge_done", LIAISON, utc("2021-12-01T15:00:00Z"))
    assert "marked done by" in bot.fake.of("response_url")[-1].args["text"]
    assert school_state(bot).steps["2021-22:nysed-tsi-visits/visit-1"]["done"]


# ---------------------------------------------------------------- dry run, anchors, digest


def test_a_dry_run_claims_and_posts_nothing(people, bot):
    d = tsi(bot)
    report = d.sweep(utc("2021-10-01T13:00:00Z"), dry_run=True)
    assert [x.status for x in report.deliveries if x.school] == ["would send"]
    assert "window is open" in report.of("would send")[0].text
    assert bot.fake.of("chat.postMessage") == [] and ledger(bot) == {}
    report = d.sweep(utc("2021-10-01T13:00:00Z"))
    assert len(report.of("sent")) == 1


def test_event_relative_sessions_wait_for_their_anchors(people, bot):
    bot.at("2024-07-01T12:00:00Z")
    bot.setup("Adams High model:CSI cycles:nysed-planning-sessions year:2024-25")
    give_roles(bot)
    d = Driver(bot)
    d.run(utc("2024-09-30T13:00:00Z"), utc("2024-12-01T13:00:00Z"), step=timedelta(hours=6))
    # the typical window is not nudged; the dates are asked for (due Tue Sep 17, still meaningful
    # until the typical window closes: sent by the first sweep, Mon Sep 30 at 09:00)
    asked = [(p.local().date(), rule) for p in d.posts for item, rule in p.nudges if "session-1" in item]
    assert asked == [(date(2024, 9, 30), "ask-dates")]
    store = bot.services.store
    bot.at("2024-12-02T14:00:00Z")
    with store.transaction(store.school_ids()[0]) as tx:
        steps.set_anchor(tx, SchoolYear.parse("2024-25"), "milestones-data", date(2024, 12, 4), PRINCIPAL, bot.now)
    d.run(utc("2024-12-02T15:00:00Z"), utc("2024-12-05T15:00:00Z"), step=timedelta(hours=1))
    # data ready after the typical window (waiting for it is allowed): no overdue, the window opens with the data
    got = [(p, rule) for p in d.posts for item, rule in p.nudges if "session-1" in item and rule != "ask-dates"]
    assert [r for _, r in got] == ["opens"] and got[0][0].local().date() == date(2024, 12, 4)


def test_the_weekly_digest_lists_each_liaisons_schools(people, bot):
    bot.fake.add_user(LIAISON, "lia.liaison", tz="America/Los_Angeles")
    d = tsi(bot)
    bot.at("2021-07-01T12:00:00Z")
    bot.setup("Brightwood cycles:sezp-planning year:2021-22", channel="C0SCHOOL2")
    bot.command(f"roles liaison:<@{LIAISON}> principal:<@{PRINCIPAL}>", channel="C0SCHOOL2")
    store = bot.services.store
    # visit 1 scheduled: it is no longer listed as unscheduled
    d.run(utc("2021-11-01T14:00:00Z"), utc("2021-11-01T17:00:00Z"))  # Mon Nov 1, 08:00 in Los Angeles is 15:00Z
    digest = [p for p in d.dms(LIAISON) if p.text.startswith("Your week")]
    assert len(digest) == 1 and digest[0].at == utc("2021-11-01T15:00:00Z")
    body = str(digest[0].blocks)
    assert "Brightwood" in body and "Lincoln Elementary" in body
    assert "SCEP Support Visit 1*: nothing scheduled yet" in body
    assert "TLT Selection" in body or "Mid-year Performance Targets" in body or "overdue" in body
    assert body.index("Brightwood") < body.index("Lincoln Elementary")
    # one a week, not one a sweep
    d.run(utc("2021-11-01T18:00:00Z"), utc("2021-11-08T14:00:00Z"), step=timedelta(hours=2))
    assert len([p for p in d.dms(LIAISON) if p.text.startswith("Your week")]) == 1
    assert store.view("workspace").all(LEDGER)


def test_a_liaison_with_many_schools_gets_one_dm_for_the_mornings_overdue_items(people, bot):
    bot.at("2021-07-01T12:00:00Z")
    for n in range(15):
        channel = f"C0MANY{n:03d}"
        bot.setup(f"School {n:02d} model:TSI cycles:nysed-tsi-visits year:2021-22", channel=channel)
        bot.command(f"roles liaison:<@{LIAISON}> principal:<@{PRINCIPAL}>", channel=channel)
    d = Driver(bot)
    d.sweep(utc("2021-12-01T14:00:00Z"))  # every school's visit 1 is overdue
    dms = [p for p in d.dms(LIAISON) if p.nudges]
    assert len(dms) == 1
    dm = dms[0]
    assert dm.text.startswith("15 things overdue in your schools (buttons on the first 10")
    assert len(dm.nudges) == 10 and len([b for b in dm.blocks if b["type"] == "actions"]) == 10
    assert all(f"School {n:02d}" in dm.text for n in range(15))
    assert len(dm.blocks) <= 50
    # each school recorded its escalation as sent, with that message's ts
    store = bot.services.store
    sent = [e for sid in store.school_ids() for k, e in store.view(sid).all(LEDGER).items() if "/escalation|" in k]
    assert len(sent) == 15 and {e["state"] for e in sent} == {"sent"} and len({e["ts"] for e in sent}) == 1
    assert d.vt.sleeps == []


def test_the_clock_is_one_apscheduler_job_that_never_drops_a_late_sweep(people, bot):
    from schedules.sweep.jobs import start_scheduler

    scheduler = start_scheduler(bot.services, bot.app.client)
    try:
        jobs = scheduler.get_jobs()
        assert len(jobs) == 1
        job = jobs[0]
        assert (job.id, job.coalesce, job.max_instances, job.misfire_grace_time) == ("sweep", True, 1, None)
        assert str(job.trigger) == "cron[second='0']"
        assert type(scheduler).__name__ == "BackgroundScheduler"
    finally:
        scheduler.shutdown(wait=False)
