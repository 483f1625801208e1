"""A whole year of each seed cycle, driven through ``sweep(now)`` hour by hour.

The expected nudges are written out by hand from the seed documents' dates (a calendar on the
desk, not the code under test): the window opens (or the next school day), its midpoint if still
unscheduled, 3 days before it closes (or the school day before), the day after it closes
(overdue, with a DM to the liaison); deadlines 14, 7 and 2 days before, the morning of, and the
next morning if missed. All at 09:00 New York time on a weekday, in EDT and in EST alike.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from bot.calendar.dates import SchoolYear
from bot.core import steps
from bot.core.schools import SchoolState
from tests.harness import CHANNEL, Bot
from tests.nudge_driver import (
    DISTRICT,
    LIAISON,
    PRINCIPAL,
    TEAM,
    Driver,
    add_people,
    give_roles,
    mondays,
    nine,
    utc,
)

pytestmark = pytest.mark.usefixtures("nudges_only")


@pytest.fixture
def year_bot(tmp_path, fake):
    add_people(fake)
    b = Bot(tmp_path / "data", fake, utc("2021-01-01T12:00:00Z"))
    yield b
    b.close()


def set_up(bot: Bot, when: str, text: str) -> Driver:
    bot.at(when)
    bot.setup(text)
    give_roles(bot)
    return Driver(bot)


def check_posts(driver: Driver, expected: list[tuple[tuple[int, int, int], str, str]], *, at_hour=(9, 0)) -> None:
    """Every channel nudge posted once, at its expected local time, none on a weekend."""
    posts = driver.channel_posts(CHANNEL)
    got = Counter()
    for p in posts:
        assert p.nudges, f"a channel post that is not a nudge: {p.text!r}"
        local = p.local()
        assert local.weekday() < 5, f"posted on a weekend: {local} {p.text}"
        assert (local.hour, local.minute) == at_hour, f"posted at {local:%H:%M}, not 09:00: {p.text}"
        for item, rule in p.nudges:
            got[((local.year, local.month, local.day), item.split(":", 1)[1], rule)] += 1
    want = Counter((d, item, rule) for d, item, rule in expected)
    missing = want - got
    extra = got - want
    assert not missing and not extra, f"missing: {sorted(missing)}\nunexpected: {sorted(extra)}"
    assert all(n == 1 for n in got.values()), "a nudge was posted twice"
    offsets = {p.local().utcoffset() for p in posts}
    assert offsets == {timedelta(hours=-4), timedelta(hours=-5)}, "expected nudges on both sides of a DST change"


def window(step: str, opens=None, midpoint=None, closing=None, overdue=None, cycle="") -> list:
    out = []
    for rule, d in (("opens", opens), ("midpoint", midpoint), ("closing", closing), ("overdue", overdue)):
        if d:
            out.append((d, f"{cycle}/{step}", rule))
    return out


def deadline(item: str, before14=None, before7=None, before2=None, morning=None, overdue=None, cycle="") -> list:
    out = []
    for rule, d in (("before-14", before14), ("before-7", before7), ("before-2", before2), ("morning-of", morning), ("overdue", overdue)):
        if d:
            out.append((d, f"{cycle}/{item}", rule))
    return out


def escalations(driver: Driver, user: str) -> list[tuple[tuple[int, int, int], str]]:
    out = []
    for p in driver.dms(user):
        for item, rule in p.nudges:
            if rule == "escalation":
                local = p.local()
                assert (local.hour, local.weekday() < 5) == (9, True)
                out.append(((local.year, local.month, local.day), item.split(":", 1)[1]))
    return sorted(out)


def digests(driver: Driver, user: str) -> list[date]:
    out = []
    for p in driver.dms(user):
        if p.text.startswith("Your week"):
            local = p.local()
            # Monday 08:00, or Tuesday when Monday is a public holiday (HOLIDAY_MONDAYS)
            assert (local.weekday(), local.hour, local.minute) in ((0, 8, 0), (1, 8, 0)), f"digest at {local}"
            out.append(local.date())
    return out


# ---------------------------------------------------------------- seed 000: TSI visits, 2021-22

C = "nysed-tsi-visits"
# The Mondays of 2021-22 that are New York public holidays: the weekly digest waits for Tuesday.
HOLIDAY_MONDAYS = {
    date(2021, 7, 5): date(2021, 7, 6),  # Independence Day (Sunday Jul 4) observed
    date(2021, 9, 6): date(2021, 9, 7),  # Labor Day
    date(2021, 10, 11): date(2021, 10, 12),  # Columbus Day
    date(2022, 1, 17): date(2022, 1, 18),  # Martin Luther King Jr. Day
    date(2022, 2, 21): date(2022, 2, 22),  # Washington's Birthday
    date(2022, 5, 30): date(2022, 5, 31),  # Memorial Day
    date(2022, 6, 20): date(2022, 6, 21),  # Juneteenth (Sunday Jun 19) observed
    date(2022, 7, 4): date(2022, 7, 5),  # Independence Day
}


def test_a_year_of_tsi_support_visits(year_bot):
    bot = year_bot
    d = set_up(bot, "2021-07-01T12:00:00Z", "Lincoln Elementary model:TSI cycles:nysed-tsi-visits year:2021-22")
    visit_2_notes = []

    def schedule_visit_2():
        state = SchoolState.read(bot.services.store.view(bot.services.store.school_ids()[0]))
        ref = steps.resolve(state, bot.services.library, bot.now, "visit 2")
        with bot.services.store.transaction(state.school.school_id) as tx:
            steps.set_schedule(tx, ref, nine(2021, 12, 14, 10), PRINCIPAL, bot.now)

    def mark_visit_2_held():
        notes = [p for p in d.channel_posts(CHANNEL) if any(r == "notes-prompt" for _, r in p.nudges)]
        assert len(notes) == 1 and "Held Tue Dec 14 2021" in notes[0].text
        visit_2_notes.append(d.click(notes[0], "nudge_done", PRINCIPAL, bot.now))

    d.run(utc("2021-07-01T13:00:00Z"), utc("2022-08-02T05:00:00Z"),
          events={utc("2021-12-02T17:00:00Z"): schedule_visit_2, utc("2021-12-15T16:00:00Z"): mark_visit_2_held})

    expected = (
        window("visit-1", opens=(2021, 10, 1), midpoint=(2021, 11, 1), closing=(2021, 11, 26), overdue=(2021, 12, 1), cycle=C)
        # visit 2: scheduled on Dec 2 for Dec 14 (no midpoint nudge), held and marked done on Dec 15
        + [((2021, 12, 1), f"{C}/visit-2", "opens"), ((2021, 12, 13), f"{C}/visit-2", "day-before"), ((2021, 12, 15), f"{C}/visit-2", "notes-prompt")]
        + window("visit-3", opens=(2022, 1, 3), midpoint=(2022, 1, 31), closing=(2022, 2, 25), overdue=(2022, 3, 1), cycle=C)
        + window("visit-4", opens=(2022, 3, 1), midpoint=(2022, 3, 31), closing=(2022, 4, 27), overdue=(2022, 5, 2), cycle=C)
        + window("visit-5", opens=(2022, 6, 1), midpoint=(2022, 7, 1), closing=(2022, 7, 28), overdue=(2022, 8, 1), cycle=C)
        # visit 5 needs year-end data, never reported: asked for 14 days before its window (Wed May 18)
        + [((2022, 5, 18), f"{C}/visit-5", "ask-dates")]
    )
    check_posts(d, expected)
    # the overdue ones are escalated to the liaison by DM, the same morning
    assert escalations(d, LIAISON) == [((2021, 12, 1), f"{C}/visit-1"), ((2022, 3, 1), f"{C}/visit-3"), ((2022, 5, 2), f"{C}/visit-4"), ((2022, 8, 1), f"{C}/visit-5")]
    # the texts say the true time left and mention the owners
    by = {(item.split(":", 1)[1], rule): p for p in d.channel_posts(CHANNEL) for item, rule in p.nudges}
    assert "window is open until Tue Nov 30 2021 (60 days left): schedule it" in by[(f"{C}/visit-1", "opens")].text
    assert "window closes in 4 days (Tue Nov 30 2021)" in by[(f"{C}/visit-1", "closing")].text
    assert "is tomorrow: Tue Dec 14 2021, 10:00 AM EST" in by[(f"{C}/visit-2", "day-before")].text
    assert f"<@{LIAISON}>" in by[(f"{C}/visit-1", "opens")].text and f"<@{PRINCIPAL}>" in by[(f"{C}/visit-1", "opens")].text
    # Mark done from the notes prompt: the message loses its Mark done/Snooze buttons, and visit 2's
    # closing (Dec 28) and overdue (Jan 3) nudges never came (checked above)
    replaced = [c.args for c in bot.fake.of("response_url") if c.args.get("replace_original")]
    assert replaced and "marked done by" in replaced[-1]["text"]
    assert not any(e.get("action_id") == "nudge_done" for b in replaced[-1]["blocks"] for e in b.get("elements", []) if isinstance(e, dict))
    # a weekly digest to the liaison every Monday at 08:00 her time
    assert digests(d, LIAISON) == [HOLIDAY_MONDAYS.get(m, m) for m in mondays(date(2021, 7, 2), date(2022, 8, 1))]
    # nothing is pending: every sweep after the last nudge found nothing due
    assert d.reports[-1].deliveries == []


# ---------------------------------------------------------------- seed 001: planning sessions, 2024-25

P = "nysed-planning-sessions"


def test_a_year_of_planning_sessions_follows_the_reported_events(year_bot):
    bot = year_bot
    d = set_up(bot, "2024-07-01T12:00:00Z", "Adams High model:CSI cycles:nysed-planning-sessions year:2024-25")
    store = bot.services.store

    def report(anchor: str, day: date):
        def run():
            sid = store.school_ids()[0]
            with store.transaction(sid) as tx:
                steps.set_anchor(tx, SchoolYear.parse("2024-25"), anchor, day, PRINCIPAL, bot.now)
        return run

    def schedule_session_4():
        state = SchoolState.read(store.view(store.school_ids()[0]))
        ref = steps.resolve(state, bot.services.library, bot.now, "session 4")
        with store.transaction(state.school.school_id) as tx:
            steps.set_schedule(tx, ref, nine(2025, 4, 10, 15, 30), PRINCIPAL, bot.now)

    d.run(utc("2024-07-01T13:00:00Z"), utc("2025-07-02T05:00:00Z"), events={
        utc("2024-10-07T14:00:00Z"): report("milestones-data", date(2024, 10, 10)),
        utc("2024-10-07T14:30:00Z"): report("fall-team-meeting", date(2024, 11, 20)),
        utc("2025-01-17T15:00:00Z"): report("benchmarks-data", date(2025, 1, 21)),
        utc("2025-04-02T15:00:00Z"): schedule_session_4,
    })
    expected = (
        # session 1: data ready Thu Oct 10, fall team meeting Wed Nov 20 (the window ends the day before)
        window("session-1", opens=(2024, 10, 10), midpoint=(2024, 10, 30), closing=(2024, 11, 15), overdue=(2024, 11, 20), cycle=P)
        # session 2: only the data date is known: the window opened, nothing else can be said
        + window("session-2", opens=(2025, 1, 21), cycle=P)
        + window("session-3", opens=(2025, 3, 3), midpoint=(2025, 3, 17), closing=(2025, 3, 28), overdue=(2025, 4, 1), cycle=P)
        # session 4: scheduled for Thu Apr 10 (no midpoint), never marked done: closing and overdue still come
        + [((2025, 4, 1), f"{P}/session-4", "opens"), ((2025, 4, 9), f"{P}/session-4", "day-before"), ((2025, 4, 11), f"{P}/session-4", "notes-prompt"),
           ((2025, 4, 25), f"{P}/session-4", "closing"), ((2025, 5, 1), f"{P}/session-4", "overdue")]
        + window("session-5", opens=(2025, 5, 15), midpoint=(2025, 6, 9), closing=(2025, 6, 27), overdue=(2025, 7, 1), cycle=P)
        # the dates are asked for 14 days before each typical window (Oct 1 -> Tue Sep 17; Jan 6 -> Mon Dec 23)
        + [((2024, 9, 17), f"{P}/session-1", "ask-dates"), ((2024, 12, 23), f"{P}/session-2", "ask-dates")]
        # session 2: the winter meeting is never reported: overdue once its typical window (to Fri Feb 28) has passed
        + [((2025, 3, 3), f"{P}/session-2", "overdue")]
    )
    check_posts(d, expected)
    assert escalations(d, LIAISON) == [((2024, 11, 20), f"{P}/session-1"), ((2025, 3, 3), f"{P}/session-2"), ((2025, 4, 1), f"{P}/session-3"),
                                       ((2025, 5, 1), f"{P}/session-4"), ((2025, 7, 1), f"{P}/session-5")]
    notes = d.find("2024-25:nysed-planning-sessions/session-4", "notes-prompt")
    assert "Held Thu Apr 10 2025" in notes.text and notes.button("nudge_done") is not None  # not marked done yet
    # sessions are the principal's: the principal is mentioned
    assert all(f"<@{PRINCIPAL}>" in p.text for p in d.channel_posts(CHANNEL))


# ---------------------------------------------------------------- seed 002: SEZP planning, 2022-23

S = "sezp-planning"
DRAFT_MAY_6 = ("priority-levers", "educator-working-conditions", "calendars")
DRAFT_MAY_20 = ("priority-lever-goals", "tlt-transition", "summer-plan")


def sezp_expected() -> list:
    exp = (
        # MLK Day (Mon Jan 17 2022): the midpoint waits for Tuesday
        window("mid-year-data-review", opens=(2022, 1, 3), midpoint=(2022, 1, 18), closing=(2022, 1, 28), overdue=(2022, 2, 1), cycle=S)
        + window("budgets-launch", opens=(2022, 2, 10), cycle=S)
        + deadline("optional-services-sps:due", (2022, 2, 15), (2022, 2, 22), (2022, 2, 25), (2022, 3, 1), (2022, 3, 2), cycle=S)
        + deadline("optional-services-sezp:due", (2022, 3, 25), (2022, 4, 1), (2022, 4, 6), (2022, 4, 8), (2022, 4, 11), cycle=S)
        + window("tlt-goal-meetings", opens=(2022, 4, 1), midpoint=(2022, 4, 15), closing=(2022, 4, 27), overdue=(2022, 5, 2), cycle=S)
        # (the SEZP Board's approval is held for the district: DMs to the district role, checked below)
        + [((2022, 7, 1), f"{S}/phase-3-4-begin:due", "morning-of")]
        + deadline("strategic-action-plan:due", (2022, 7, 22), (2022, 7, 29), (2022, 8, 3), (2022, 8, 5), (2022, 8, 8), cycle=S)
        # the Faculty Handbook: the first day of August PD (Mon Aug 22) reported on Jul 29
        + [((2022, 8, 1), f"{S}/faculty-handbook", "opens"), ((2022, 8, 18), f"{S}/faculty-handbook", "closing"), ((2022, 8, 22), f"{S}/faculty-handbook", "overdue")]
        + window("tlt-elections", opens=(2022, 8, 1), midpoint=(2022, 8, 16), closing=(2022, 8, 26), overdue=(2022, 9, 1), cycle=S)
        + window("target-setting", opens=(2022, 9, 1), midpoint=(2022, 9, 29), closing=(2022, 10, 25), overdue=(2022, 10, 31), cycle=S)
        + deadline("mid-year-targets:due", (2022, 10, 14), (2022, 10, 21), (2022, 10, 26), (2022, 10, 28), (2022, 10, 31), cycle=S)
        + deadline("tlt-selection:due", (2022, 10, 14), (2022, 10, 21), (2022, 10, 26), (2022, 10, 28), (2022, 10, 31), cycle=S)
        # New Year's Day 2023 is a Sunday, observed Monday Jan 2: overdue on Tuesday
        + window("monitoring", opens=(2022, 10, 3), midpoint=(2022, 11, 15), closing=(2022, 12, 28), overdue=(2023, 1, 3), cycle=S)
    )
    for step in DRAFT_MAY_6:
        exp += deadline(f"{step}:draft", (2022, 4, 22), (2022, 4, 29), (2022, 5, 4), (2022, 5, 6), (2022, 5, 9), cycle=S)
    for step in DRAFT_MAY_20:
        exp += deadline(f"{step}:draft", (2022, 5, 6), (2022, 5, 13), (2022, 5, 18), (2022, 5, 20), (2022, 5, 23), cycle=S)
    for step in DRAFT_MAY_6 + DRAFT_MAY_20:
        # FINAL on Friday May 27, the Friday before Memorial Day: the overdue burst waits for Tuesday May 31
        exp += deadline(f"{step}:final", (2022, 5, 13), (2022, 5, 20), (2022, 5, 25), (2022, 5, 27), (2022, 5, 31), cycle=S)
    return exp


def test_a_year_of_sezp_deadlines_draft_and_final(year_bot):
    bot = year_bot
    d = set_up(bot, "2021-12-15T15:00:00Z", "Brightwood cycles:sezp-planning year:2022-23 state:MA")
    store = bot.services.store

    def calendars_draft_done():
        state = SchoolState.read(store.view(store.school_ids()[0]))
        ref = steps.resolve(state, bot.services.library, bot.now, "calendars")
        with store.transaction(state.school.school_id) as tx:
            steps.mark_done(tx, ref, "draft", TEAM, bot.now)

    def priority_levers_final_done():
        item = "2022-23:sezp-planning/priority-levers:final"
        post = d.find(item, "before-7")
        assert "Priority Levers Form (FINAL) is due Fri May 27 2022, 4:00 PM EDT (in 7 days)" in post.text
        d.click(post, "nudge_done", TEAM, bot.now, item=item)
        replaced = bot.fake.of("response_url")[-1].args
        values = [e.get("value", "") for b in replaced["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "nudge_done"]
        assert values and not any("priority-levers:final" in v for v in values)  # only that nudge lost its button

    def august_pd():
        with store.transaction(store.school_ids()[0]) as tx:
            steps.set_anchor(tx, SchoolYear.parse("2022-23"), "august-pd", date(2022, 8, 22), PRINCIPAL, bot.now)

    d.run(utc("2021-12-15T16:00:00Z"), utc("2023-01-04T05:00:00Z"), events={
        utc("2022-05-05T18:00:00Z"): calendars_draft_done,
        utc("2022-05-20T15:00:00Z"): priority_levers_final_done,
        utc("2022-07-29T15:00:00Z"): august_pd,
    })
    # the next instance (2023-24) starts in January: its data review window opens Mon Jan 2 2023,
    # New Year's Day observed in Massachusetts: the nudge goes out Tuesday Jan 3
    expected = sezp_expected() + [((2023, 1, 3), f"{S}/mid-year-data-review", "opens")]
    # the first day of August PD is asked for 14 days before the handbook's typical window (Aug 1 -> Mon Jul 18)
    expected.append(((2022, 7, 18), f"{S}/faculty-handbook", "ask-dates"))
    # marked done: the calendars DRAFT (May 5) and the priority levers FINAL (May 20)
    for gone in [((2022, 5, 6), f"{S}/calendars:draft", "morning-of"), ((2022, 5, 9), f"{S}/calendars:draft", "overdue"),
                 ((2022, 5, 25), f"{S}/priority-levers:final", "before-2"), ((2022, 5, 27), f"{S}/priority-levers:final", "morning-of"),
                 ((2022, 5, 31), f"{S}/priority-levers:final", "overdue")]:
        expected.remove(gone)
    check_posts(d, expected)
    board = sorted(((p.local().year, p.local().month, p.local().day), rule) for p in d.dms(DISTRICT) for item, rule in p.nudges
                   if item.split(":", 1)[1] == f"{S}/board-approval:due")
    assert board == [((2022, 5, 24), "before-14"), ((2022, 5, 31), "before-7"), ((2022, 6, 3), "before-2"), ((2022, 6, 7), "morning-of"),
                     ((2022, 6, 8), "overdue")]
    # 4pm deadlines keep their local time across DST, and the text says so
    sps = d.find("2022-23:sezp-planning/optional-services-sps:due", "before-14")
    assert "due Tue Mar 1 2022, 4:00 PM EST (default: the document gives no time) (in 14 days)" in sps.text
    morning = d.find("2022-23:sezp-planning/priority-lever-goals:draft", "morning-of")
    assert "Priority Lever Goals Form (DRAFT) is due today at 4:00 PM EDT" in morning.text
    # deliverables escalate to the liaison and the district admin; windows to the liaison only
    overdue = sorted((dd, item) for dd, item, rule in expected if rule == "overdue")
    kinds = {s.id: s.kind for s in bot.services.library.get(S).steps}
    assert escalations(d, LIAISON) == overdue
    assert escalations(d, DISTRICT) == [(dd, item) for dd, item in overdue if kinds[item.split("/")[1].split(":")[0]] == "deliverable"]
    # the team owns the TLT forms and is the one mentioned
    lever = d.find("2022-23:sezp-planning/optional-services-sezp:due", "before-14")
    assert f"<@{PRINCIPAL}>" in lever.text and f"<@{TEAM}>" not in lever.text  # the principal's decision
    form = d.find("2022-23:sezp-planning/priority-levers:draft", "before-14")
    assert f"<@{TEAM}>" in form.text  # the TLT's form
    # nudges due together in one channel go out as one message, each with its own buttons
    assert len(form.nudges) == 3 and form.text.startswith("3 reminders")
    assert form.button("nudge_done", "2022-23:sezp-planning/calendars:draft")["value"].endswith("calendars:draft|before-14")


# ---------------------------------------------------------------- seed 004: district review, 2021-22

R = "district-plan-review"


def test_a_year_of_district_review_with_holidays_and_a_school_override(year_bot):
    bot = year_bot
    d = set_up(bot, "2021-03-15T14:00:00Z", "Jefferson Middle cycles:district-plan-review year:2021-22")
    bot.command("remind holiday:2021-11-01")
    assert "school holidays: + 2021-11-01" in bot.last_response_text()
    bot.command("remind district-holiday:2021-10-18")
    assert "district holidays: + 2021-10-18" in bot.last_response_text()
    bot.command("remind first draft before:10,3")
    assert "First draft: before:10,3" in bot.last_response_text()
    d.run(utc("2021-03-15T15:00:00Z"), utc("2022-03-31T23:00:00Z"))
    # the expectations meeting and the training are held once for the district (issue 11, item 8):
    # no nudge in the school's channel, a DM to the district role instead (tests/test_district_steps.py)
    district_dms = [((2021, 4, 1), "opens"), ((2021, 4, 15), "midpoint"), ((2021, 4, 27), "closing"), ((2021, 5, 3), "overdue"),
                    ((2021, 4, 15), "opens"), ((2021, 4, 26), "midpoint"), ((2021, 5, 4), "closing"), ((2021, 5, 10), "overdue")]
    expected = (
        # this school's own rule: 10 and 3 days before the first draft (Fri May 14, 4pm)
        [((2021, 5, 4), f"{R}/first-draft:due", "before-10"), ((2021, 5, 11), f"{R}/first-draft:due", "before-3"),
           ((2021, 5, 14), f"{R}/first-draft:due", "morning-of"), ((2021, 5, 17), f"{R}/first-draft:due", "overdue")]
        # Memorial Day (Mon May 31 2021): the overdue notice waits for Tuesday
        + window("first-feedback", opens=(2021, 5, 17), midpoint=(2021, 5, 21), closing=(2021, 5, 25), overdue=(2021, 6, 1), cycle=R)
        + deadline("revisions:due", (2021, 5, 28), (2021, 6, 4), (2021, 6, 9), (2021, 6, 11), (2021, 6, 14), cycle=R)
        + window("final-review", opens=(2021, 6, 14), midpoint=(2021, 6, 21), closing=(2021, 6, 22), overdue=(2021, 6, 28), cycle=R)
        + window("approval", opens=(2021, 6, 28), midpoint=(2021, 7, 6), closing=(2021, 7, 12), overdue=(2021, 7, 16), cycle=R)
        # Oct 18 is a district holiday (midpoint moves to the 19th), Nov 1 a school holiday (overdue on the 2nd)
        + window("checkin-fall", opens=(2021, 10, 1), midpoint=(2021, 10, 19), closing=(2021, 10, 28), overdue=(2021, 11, 2), cycle=R)
        + window("checkin-winter", opens=(2022, 1, 3), midpoint=(2022, 1, 18), closing=(2022, 1, 28), overdue=(2022, 2, 1), cycle=R)  # MLK Day
    )
    check_posts(d, expected)
    held = sorted(((p.local().year, p.local().month, p.local().day), rule) for p in d.dms(DISTRICT) for item, rule in p.nudges
                  if item.split(":", 1)[1] in (f"{R}/planning-start", f"{R}/training"))
    assert held == sorted(district_dms)
    kinds = {s.id: s.kind for s in bot.services.library.get(R).steps}
    overdue = sorted((dd, item) for dd, item, rule in expected if rule == "overdue")
    assert escalations(d, DISTRICT) == [(dd, item) for dd, item in overdue if kinds[item.split("/")[1].split(":")[0]] == "deliverable"]
