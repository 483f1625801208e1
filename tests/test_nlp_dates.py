"""The dateparser wrapper: a table of phrases with the instants they mean (worked out with a
calendar), across both DST changes, dateparser's traps, and any text never raising."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.calendar import dates
from bot.calendar.nlp_dates import When, WhenError, at_local, parse

NY = "America/New_York"
# Tuesday November 2 2021, 9:00 AM EDT: five days before clocks fall back (Sun Nov 7)
NOW = datetime(2021, 11, 2, 13, 0, tzinfo=timezone.utc)


def utc(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=timezone.utc)


PHRASES = [
    # the examples
    ("Dec 14 10am", utc(2021, 12, 14, 15), "Tue Dec 14 2021, 10:00 AM EST"),
    ("next Tuesday at 2pm", utc(2021, 11, 9, 19), "Tue Nov 9 2021, 2:00 PM EST"),
    ("tomorrow 3pm", utc(2021, 11, 3, 19), "Wed Nov 3 2021, 3:00 PM EDT"),
    ("2021-12-14 10:00", utc(2021, 12, 14, 15), "Tue Dec 14 2021, 10:00 AM EST"),
    # dateparser's traps
    ("the 6th at 10am", utc(2021, 11, 6, 14), "Sat Nov 6 2021, 10:00 AM EDT"),  # dateparser: June 1
    ("6th 10am", utc(2021, 11, 6, 14), None),
    ("the 1st 9am", utc(2021, 12, 1, 14), "Wed Dec 1 2021, 9:00 AM EST"),  # Nov 1 has passed
    ("the 31st 10am", utc(2021, 12, 31, 15), None),  # November has no 31st
    ("the 2nd at 11am", utc(2021, 11, 2, 15), None),  # today
    ("next Friday 9am", utc(2021, 11, 12, 14), "Fri Nov 12 2021, 9:00 AM EST"),  # next week's
    ("this Friday 9am", utc(2021, 11, 5, 13), "Fri Nov 5 2021, 9:00 AM EDT"),
    ("Friday 9am", utc(2021, 11, 5, 13), None),
    ("friday next week 9am", utc(2021, 11, 12, 14), None),
    ("this Tuesday 2pm", utc(2021, 11, 2, 18), None),
    # across the fall DST change (Sun Nov 7 2021): 9:00 stays 9:00 local
    ("Nov 5 9am", utc(2021, 11, 5, 13), "Fri Nov 5 2021, 9:00 AM EDT"),
    ("Nov 8 9am", utc(2021, 11, 8, 14), "Mon Nov 8 2021, 9:00 AM EST"),
    ("Nov 7 2021 1:30am", utc(2021, 11, 7, 5, 30), "Sun Nov 7 2021, 1:30 AM EDT"),  # happens twice: the first
    # and the spring one (Sun Mar 13 2022)
    ("Mar 11 2022 9am", utc(2022, 3, 11, 14), "Fri Mar 11 2022, 9:00 AM EST"),
    ("Mar 14 2022 9am", utc(2022, 3, 14, 13), "Mon Mar 14 2022, 9:00 AM EDT"),
    ("Mar 13 2022 2:30am", utc(2022, 3, 13, 7, 30), "Sun Mar 13 2022, 3:30 AM EDT"),  # the gap moves forward
    # zones people add: the wall clock of that zone, never a fixed offset
    ("Dec 14 10am PST", utc(2021, 12, 14, 18), "Tue Dec 14 2021, 1:00 PM EST"),
    ("Dec 14 10am EST", utc(2021, 12, 14, 15), None),
    ("July 14 10am EST", utc(2022, 7, 14, 14), "Thu Jul 14 2022, 10:00 AM EDT"),
    ("2021-12-14T10:00-06:00", utc(2021, 12, 14, 16), None),
    # other ways to say it
    ("noon tomorrow", utc(2021, 11, 3, 16), None),
    ("in 2 hours", utc(2021, 11, 2, 15), None),
    ("12/14 2:30pm", utc(2021, 12, 14, 19, 30), None),
    ("december fourteenth at 10am", utc(2021, 12, 14, 15), None),
    ("Tuesday Dec 14 10am", utc(2021, 12, 14, 15), None),
    ("on Dec 14 at 10:30 a.m.", utc(2021, 12, 14, 15, 30), None),
    ("Dec 14 14:00", utc(2021, 12, 14, 19), None),
    # no year: the next one, unless it passed in the last 60 days (the caller says it has passed)
    ("Nov 1 10am", utc(2021, 11, 1, 14), None),
    ("Jun 12 9am", utc(2022, 6, 12, 13), None),
]


@pytest.mark.parametrize("text, instant, echo", PHRASES, ids=[p[0] for p in PHRASES])
def test_phrase_means_this_instant(text, instant, echo):
    when = parse(text, NOW, NY)
    assert when.instant == instant, (text, when)
    assert when.instant.tzinfo == timezone.utc
    if echo:
        assert when.echo == echo


def test_the_same_wall_clock_in_another_school_zone():
    assert parse("Dec 14 10am", NOW, "America/Chicago").instant == utc(2021, 12, 14, 16)
    assert parse("Jul 14 10am", NOW, "America/Chicago").instant == utc(2022, 7, 14, 15)
    assert parse("Jul 14 10am", NOW, "Pacific/Honolulu").instant == utc(2022, 7, 14, 20)


def test_notes_say_what_was_assumed():
    assert any("clocks spring forward" in n for n in parse("Mar 13 2022 2:30am", NOW, NY).notes)
    assert any("happens twice" in n for n in parse("Nov 7 2021 1:30am", NOW, NY).notes)
    assert any("next week's" in n for n in parse("next Friday 9am", NOW, NY).notes)
    assert any("converted" in n for n in parse("Dec 14 10am PST", NOW, NY).notes)
    assert parse("Dec 14 10am", NOW, NY).notes == ()


DAYS = [
    ("Oct 20", date(2021, 10, 20)),
    ("today", date(2021, 11, 2)),
    ("yesterday", date(2021, 11, 1)),
    ("Jun 12", date(2021, 6, 12)),  # nearest: the past June is closer
    ("Sep 1", date(2021, 9, 1)),
    ("Jan 20", date(2022, 1, 20)),
    ("next Monday", date(2021, 11, 8)),
    ("in 3 days", date(2021, 11, 5)),
    ("the 6th", date(2021, 11, 6)),
    ("2021-10-20", date(2021, 10, 20)),
]


@pytest.mark.parametrize("text, day", DAYS, ids=[d[0] for d in DAYS])
def test_day_only_answers_for_reported_dates(text, day):
    when = parse(text, NOW, NY, need_time=False, prefer="nearest")
    assert when.day == day and when.instant is None and when.echo == dates.fmt_day(day)


REFUSED = [
    ("January", "too vague"),
    ("Jan 2022", "too vague"),
    ("soon", "too vague"),
    ("next week", "too vague"),
    ("next month", "too vague"),
    ("Dec", "too vague"),
    ("2022", "too vague"),
    ("end of month", "too vague"),
    ("sometime in the spring", "too vague"),
    ("Dec 14", "What time on Tue Dec 14 2021?"),
    ("the 6th", "What time on Sat Nov 6 2021?"),
    ("Dec 14 at 10", "say am or pm"),
    ("Dec 14 10", "say am or pm"),
    ("friday at 3", "say am or pm"),
    ("Monday Dec 14 10am", "is a Tuesday, not a Monday"),
    ("asdf", "couldn't read"),
    ("the 32nd 10am", "no 32nd day"),
    ("", "Say when"),
    ("x" * 500, "characters long"),
    ("in 99999999 days", "couldn't read"),
    ("1639494000", "couldn't read"),
]


@pytest.mark.parametrize("text, message", REFUSED, ids=[r[0][:20] or "empty" for r in REFUSED])
def test_vague_or_unreadable_answers_are_refused_with_examples(text, message):
    with pytest.raises(WhenError) as exc:
        parse(text, NOW, NY)
    assert message in str(exc.value)
    if "vague" in message or "couldn't read" in message:
        assert "`Dec 14 10am`" in str(exc.value)


def test_picked_day_and_time_use_the_same_zone_rules():
    assert at_local(date(2021, 12, 14), datetime(2000, 1, 1, 10).time(), NY, NOW).instant == utc(2021, 12, 14, 15)
    gap = at_local(date(2022, 3, 13), datetime(2000, 1, 1, 2, 30).time(), NY, NOW)
    assert gap.instant == utc(2022, 3, 13, 7, 30) and gap.notes


# ---------------------------------------------------------------- any text: a When or a WhenError

TOKENS = ["dec", "14", "10am", "the", "6th", "next", "friday", "at", "2pm", "tomorrow", "noon", "in", "2", "weeks",
          "january", "2022", "pst", "est", "on", "12/14", "3:30", "pm", "am", "last", "this", "week", "31st", "0",
          "99", "-", ",", "2021-12-14", "t10:00", "+05:00", "o'clock", "first", "twenty", "a.m.", "year", "ago"]
ZONES = st.sampled_from([NY, "America/Chicago", "America/Los_Angeles", "Pacific/Honolulu", "UTC", "Europe/London"])
NOWS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc))


def _check(text, now, tz, need_time, prefer):
    try:
        when = parse(text, now, tz, need_time=need_time, prefer=prefer)
    except WhenError as exc:
        assert str(exc).strip()
        return
    assert isinstance(when, When) and when.echo
    if need_time:
        assert when.instant is not None and when.instant.tzinfo is not None
        assert dates.local_today(when.instant, tz) == when.day
    assert abs(when.day.year - dates.local_today(now, tz).year) <= 3


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60), NOWS, ZONES, st.booleans(), st.sampled_from(["future", "nearest"]))
def test_any_text_gives_a_when_or_a_clear_error(text, now, tz, need_time, prefer):
    _check(text, now, tz, need_time, prefer)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=6).map(" ".join), NOWS, ZONES, st.booleans(), st.sampled_from(["future", "nearest"]))
def test_any_date_like_text_gives_a_when_or_a_clear_error(text, now, tz, need_time, prefer):
    _check(text, now, tz, need_time, prefer)
