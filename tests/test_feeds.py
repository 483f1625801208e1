"""Calendar feeds: what `/scep calendar` hands out, read back by calendar libraries.

The feeds are parsed with ``icalendar`` and expanded with ``recurring-ical-events``, and compared
with the timeline (the calendar engine) for several years and zones, a clock-change week included.
Tokens, scope, revocation and the rate limit are checked over HTTP against a running
``scep-bot serve``.
"""

from __future__ import annotations

import re
import subprocess
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from bot.calendar import dates
from bot.core import progress
from bot.core.schools import SchoolState
from bot.feeds.access import fetch
from tests.harness import SECRET, signed_headers
from tests.test_running import env_for, free_port, post, scep_bot

LIA, PRI, GUEST, OTHER = "U0LIA0001", "U0PRI0001", "U0GST0001", "U0OTH0001"
URL = re.compile(r"(https?://\S+/calendar/[A-Za-z0-9_-]+\.ics)")


def feed_url(text: str) -> str:
    found = URL.findall(text)
    assert found, text
    return found[0]


def token_in(bot, text: str) -> str:
    return feed_url(text).rsplit("/", 1)[1][: -len(".ics")]


def events(data: bytes, start: date, end: date) -> list:
    cal = icalendar.Calendar.from_ical(data)
    return recurring_ical_events.of(cal).between(start, end)


def by_uid(data: bytes) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}


@pytest.mark.parametrize("tz, now", [
    ("America/New_York", "2021-11-02T13:00:00Z"),
    ("America/Los_Angeles", "2023-09-15T16:00:00Z"),
    ("Pacific/Honolulu", "2025-03-01T20:00:00Z"),
    ("Europe/London", "2024-10-20T09:00:00Z"),
])
def test_every_step_date_and_zone_matches_the_timeline(bot, fake, tz, now):
    bot.at(now)
    bot.setup(f"PS 7 cycles:nysed-tsi-visits,{bot.adopt('sezp-planning', 'TSI')},nysed-planning-sessions tz:{tz}")
    fake.add_user(LIA, "lia")
    bot.command(f"roles liaison:<@{LIA}>")
    bot.services.settings.public_url = "https://scep.example.org"
    bot.command("calendar", user=LIA)
    data = fetch(bot.services.store, bot.services.library, bot.now, token_in(bot, bot.last_response_text()))
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["X-WR-CALNAME"]) == "SCEP: PS 7" and str(cal["REFRESH-INTERVAL"].to_ical().decode()) == "PT1H"
    assert str(cal["X-PUBLISHED-TTL"]) == "PT1H"
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == [tz]
    state = SchoolState.read(bot.services.store.view(bot.services.store.school_ids()[0]))
    expanded = events(data, date(2019, 1, 1), date(2030, 1, 1))
    seen = {(str(e["UID"]), e["DTSTART"].dt) for e in expanded}
    expected = 0
    for cycle in progress.school_cycles(state, bot.services.library):
        year0 = progress.current_year(cycle, state, bot.now)
        for year in (year0, year0 + 1):
            for item in progress.cycle_items(cycle, year, state, bot.now):
                d = item.dated
                base = f"{state.school.school_id}.{year.name}.{d.key.replace('/', '.')}"
                if item.label:
                    dl = next(x for x in d.deadlines if x.label == item.label)
                    want = dates.to_local(dl.at, tz).replace(tzinfo=None) if dl.timed else dates.local_today(dl.at, tz)
                    got = [s for u, s in seen if u == f"{base}.{item.label}@scep-bot"]
                    assert len(got) == 1, (base, item.label)
                    if dl.timed:  # at its local wall-clock time, in the school's zone
                        assert got[0].replace(tzinfo=None) == want and str(got[0].tzinfo) == tz
                        assert got[0] == dl.at
                    else:
                        assert got[0] == want
                    expected += 1
                elif d.opens_at and d.closes_at:
                    got = [s for u, s in seen if u == f"{base}.window@scep-bot"]
                    assert got == [dates.local_today(d.opens_at, tz)], base
                    ev = next(e for e in expanded if str(e["UID"]) == f"{base}.window@scep-bot")
                    assert ev["DTEND"].dt == dates.local_today(d.closes_at, tz) + timedelta(days=1)
                    expected += 1
    assert expected > 20 and len(expanded) == expected


def test_a_scheduled_visit_across_the_clock_change_keeps_its_uid_and_bumps_its_sequence(bot, fake):
    bot.setup("PS 7 cycles:nysed-tsi-visits tz:America/New_York")
    fake.add_user(LIA, "lia")
    bot.command(f"roles liaison:<@{LIA}>")
    bot.services.settings.public_url = "https://scep.example.org"
    bot.command("calendar", user=LIA)
    token = token_in(bot, bot.last_response_text())

    def visit() -> icalendar.Event:
        data = fetch(bot.services.store, bot.services.library, bot.now, token)
        return next(e for u, e in by_uid(data).items() if u.endswith("visit-1.scheduled@scep-bot"))

    bot.command("schedule visit 1 Nov 5 10am", user=LIA)  # Friday before DST ends (Nov 7 2021)
    first = visit()
    assert first["DTSTART"].dt == datetime(2021, 11, 5, 10, tzinfo=ZoneInfo("America/New_York"))
    assert first["DTSTART"].dt.astimezone(dates.UTC).hour == 14 and str(first["STATUS"]) == "CONFIRMED"
    assert "Slack: slack://channel?team=T0DEMO001&id=C0SCHOOL1" in str(first["DESCRIPTION"])
    assert "Before the visit:" in str(first["DESCRIPTION"]) and str(first["URL"]).startswith("slack://channel?team=")
    bot.command("schedule visit 1 Nov 8 10am", user=LIA)  # Monday after: 10:00 EST is 15:00 UTC
    second = visit()
    assert second["UID"] == first["UID"] and second["SEQUENCE"] > first["SEQUENCE"]
    assert second["DTSTART"].dt.astimezone(dates.UTC) == datetime(2021, 11, 8, 15, tzinfo=dates.UTC)
    assert second["DTEND"].dt - second["DTSTART"].dt == timedelta(minutes=90)
    bot.command("schedule visit 1 cancel", user=LIA)
    third = visit()
    assert third["UID"] == first["UID"] and third["SEQUENCE"] > second["SEQUENCE"]
    assert str(third["STATUS"]) == "CANCELLED" and third["DTSTART"].dt == second["DTSTART"].dt


# ---------------------------------------------------------------- over HTTP, against `scep-bot serve`


def get(url: str) -> tuple[int, bytes, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


@pytest.fixture
def served(tmp_path, fake):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = env_for(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url,
                  SCEP_PUBLIC_URL=base, SCEP_CALENDAR_RATE_LIMIT="25")
    proc = subprocess.Popen([*scep_bot(), "serve", "--host", "127.0.0.1", "--port", str(port), "--now", "2021-11-02T13:00:00Z"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                break
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read())
            time.sleep(0.05)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def slash(base: str, fake, text: str, *, user: str, channel: str) -> str:
    """Send ``/scep text`` as Slack does; the answer (sent to the response URL or in the body)."""
    from urllib.parse import urlencode

    key = f"{channel}-{user}-{time.monotonic_ns()}"
    body = urlencode({"team_id": "T0DEMO001", "channel_id": channel, "channel_name": channel.lower(), "user_id": user, "user_name": user,
                      "command": "/scep", "text": text, "response_url": fake.response_url(key), "trigger_id": "1.t"})
    status, answer = post(base + "/slack/events", body, signed_headers(body))
    assert status == 200
    end = time.monotonic() + 10
    while time.monotonic() < end:
        calls = [c for c in fake.of("response_url") if c.args.get("_key", "") == key or key in str(getattr(c, "path", ""))]
        if calls:
            return calls[-1].args.get("text", "")
        if answer.strip().startswith("{") and '"text"' in answer:
            import json

            return json.loads(answer).get("text", "")
        time.sleep(0.02)
    raise AssertionError(f"no answer to /scep {text}")


def test_feed_urls_over_http_scope_revocation_and_rate_limit(served, fake):
    for uid, name in ((LIA, "lia"), (PRI, "pri"), (OTHER, "oth")):
        fake.add_user(uid, name)
    fake.add_user(GUEST, "gus", guest=True)
    slash(served, fake, "setup PS 1 cycles:nysed-tsi-visits", user="U0ADMIN01", channel="C0HTTP001")
    slash(served, fake, "setup PS 2 cycles:sezp-planning tz:America/Chicago", user="U0ADMIN01", channel="C0HTTP002")
    slash(served, fake, f"roles liaison:<@{LIA}> principal:<@{PRI}> team:<@{GUEST}>", user="U0ADMIN01", channel="C0HTTP001")
    slash(served, fake, f"roles liaison:<@{LIA}> team:<@{GUEST}>", user="U0ADMIN01", channel="C0HTTP002")

    answer = slash(served, fake, "calendar", user=LIA, channel="C0HTTP001")
    urls = URL.findall(answer)
    assert len(urls) == 2 and "webcal://127.0.0.1" in answer  # the school's and all of the liaison's schools
    school_url, all_url = urls
    status, data, headers = get(school_url)
    assert status == 200 and headers["Content-Type"].startswith("text/calendar")
    assert {str(e["SUMMARY"]).split(":")[0] for e in icalendar.Calendar.from_ical(data).walk("VEVENT")} >= {"SCEP Support Visit 1"}
    status, data, _ = get(all_url)
    cal = icalendar.Calendar.from_ical(data)
    assert status == 200 and str(cal["X-WR-CALNAME"]) == "SCEP: my schools"
    assert sorted(str(z["TZID"]) for z in cal.walk("VTIMEZONE")) == ["America/Chicago", "America/New_York"]
    summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert any(s.endswith("(PS 1)") for s in summaries) and any(s.endswith("(PS 2)") for s in summaries)

    # a guest gets only the school of the channel they ask in, never an all-schools feed
    guest_answer = slash(served, fake, "calendar", user=GUEST, channel="C0HTTP002")
    guest_urls = URL.findall(guest_answer)
    assert len(guest_urls) == 1
    status, data, _ = get(guest_urls[0])
    assert status == 200 and str(icalendar.Calendar.from_ical(data)["X-WR-CALNAME"]) == "SCEP: PS 2"
    # someone without a role gets no link
    assert not URL.findall(slash(served, fake, "calendar", user=OTHER, channel="C0HTTP001"))

    # the principal's link stops working once the principal loses the role
    pri_url = URL.findall(slash(served, fake, "calendar", user=PRI, channel="C0HTTP001"))[0]
    assert get(pri_url)[0] == 200
    slash(served, fake, "roles principal:none", user="U0ADMIN01", channel="C0HTTP001")
    status, body, _ = get(pri_url)
    assert status == 404 and body == b"not found\n"

    # wrong, truncated and revoked tokens: the same bare 404
    assert get(school_url[:-10] + ".ics")[:2] == (404, b"not found\n")
    assert get(served + "/calendar/" + "A" * 43 + ".ics")[:2] == (404, b"not found\n")
    again = slash(served, fake, "calendar reset", user=LIA, channel="C0HTTP001")
    new_school_url = URL.findall(again)[0]
    assert get(school_url)[:2] == (404, b"not found\n") and get(all_url)[0] == 404
    assert get(new_school_url)[0] == 200

    # the rate limit: 25 a minute from one address, then 429 with Retry-After
    codes = [get(new_school_url) for _ in range(30)]
    limited = [c for c in codes if c[0] == 429]
    assert limited, [c[0] for c in codes]
    assert 1 <= int(limited[0][2]["Retry-After"]) <= 60


def test_serve_calendars_answers_feeds_and_nothing_else(tmp_path, fake):
    from tests.harness import Bot

    bot = Bot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"))
    bot.setup("PS 7 cycles:nysed-tsi-visits")
    fake.add_user(LIA, "lia")
    bot.command(f"roles liaison:<@{LIA}>")
    bot.services.settings.public_url = "https://scep.example.org"
    bot.command("calendar", user=LIA)
    token = token_in(bot, bot.last_response_text())
    bot.close()  # one process per data directory: the listener takes it over
    port = free_port()
    proc = subprocess.Popen([*scep_bot(), "serve-calendars", "--host", "127.0.0.1", "--port", str(port), "--now", "2021-11-02T13:00:00Z"],
                            env=env_for(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, data, _ = get(f"{base}/calendar/{token}.ics")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stdout.read() if proc.poll() is not None else "no listener")
                time.sleep(0.05)
        assert status == 200 and b"BEGIN:VCALENDAR" in data
        assert get(base + "/slack/events")[0] == 404 and get(base + "/healthz")[0] == 404
        req = urllib.request.Request(f"{base}/calendar/{token}.ics", data=b"x", method="POST")
        try:
            urllib.request.urlopen(req, timeout=5)
            raise AssertionError("POST accepted")
        except urllib.error.HTTPError as exc:
            assert exc.code == 405
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_district_closure_moves_a_deadline_in_the_feed_even_when_the_school_is_unchanged(bot, fake):
    """The feed keeps the same calendar of record as the timeline: a district closure typed with
    ``/scep holidays add`` moves a deadline off that day at the next fetch, although the school's
    own documents (its revision, which keys the feed's cache) did not change."""
    bot.at("2026-04-01T12:00:00Z")
    bot.setup("PS 7 cycles:sezp-planning state:MA tz:America/New_York")
    fake.add_user(LIA, "lia")
    bot.command(f"roles liaison:<@{LIA}>")
    bot.services.settings.public_url = "https://scep.example.org"
    bot.command("calendar", user=LIA)
    token = token_in(bot, bot.last_response_text())
    sid = bot.services.store.school_ids()[0]

    def final() -> datetime:
        data = fetch(bot.services.store, bot.services.library, bot.now, token)
        return by_uid(data)[f"{sid}.2026-27.sezp-planning.priority-levers.final@scep-bot"]["DTSTART"].dt

    assert final() == datetime(2026, 5, 22, 16, 0, tzinfo=ZoneInfo("America/New_York"))
    bot.command("holidays add 2026-05-22 Staff day")
    assert "District closures added" in bot.last_response_text()
    assert final() == datetime(2026, 5, 21, 16, 0, tzinfo=ZoneInfo("America/New_York"))


def test_export_calendar_is_the_feed_in_a_file(bot, fake):
    """`/scep export calendar` and the feed come from one writer: the same events (UID, dates,
    zone, summary, status), a cancelled visit sent as cancelled; the file's SEQUENCE grows with
    time so a newer import replaces an older one; a year given keeps only that year."""
    bot.at("2021-11-02T13:00:00Z")
    bot.setup(f"PS 7 cycles:nysed-tsi-visits,{bot.adopt('sezp-planning', 'TSI')} tz:America/Chicago")
    fake.add_user(LIA, "lia")
    bot.command(f"roles liaison:<@{LIA}>")
    bot.services.settings.public_url = "https://scep.example.org"
    bot.command("schedule visit 1 Nov 5 10am", user=LIA)
    bot.command("schedule visit 1 cancel", user=LIA)
    bot.command("schedule visit 2 Jan 12 9am", user=LIA)
    bot.command("calendar", user=LIA)
    feed_data = fetch(bot.services.store, bot.services.library, bot.now, token_in(bot, bot.last_response_text()))
    bot.command("export calendar")
    file_data = bot.fake.uploaded()[-1]["data"]

    def seen(data: bytes) -> dict:
        return {str(e["UID"]): (e["DTSTART"].dt, e["DTEND"].dt, str(e["SUMMARY"]), str(e.get("STATUS", "")), str(e["DESCRIPTION"]))
                for e in events(data, date(2019, 1, 1), date(2030, 1, 1))}

    in_file, in_feed = seen(file_data), seen(feed_data)
    assert in_file == in_feed and len(in_file) > 20
    assert [str(z["TZID"]) for z in icalendar.Calendar.from_ical(file_data).walk("VTIMEZONE")] == ["America/Chicago"]
    visit1 = next(v for u, v in in_file.items() if u.endswith("visit-1.scheduled@scep-bot"))
    assert visit1[3] == "CANCELLED" and visit1[0] == datetime(2021, 11, 5, 10, tzinfo=ZoneInfo("America/Chicago"))
    visit2 = next(v for u, v in in_file.items() if u.endswith("visit-2.scheduled@scep-bot"))
    assert visit2[3] == "CONFIRMED" and visit2[0] == datetime(2022, 1, 12, 9, tzinfo=ZoneInfo("America/Chicago"))
    first_seq = {int(e["SEQUENCE"]) for e in icalendar.Calendar.from_ical(file_data).walk("VEVENT")}
    bot.at("2021-11-03T13:00:00Z")
    bot.command("export calendar")
    later = {int(e["SEQUENCE"]) for e in icalendar.Calendar.from_ical(bot.fake.uploaded()[-1]["data"]).walk("VEVENT")}
    assert len(first_seq) == len(later) == 1 and later.pop() == first_seq.pop() + 24 * 60
    bot.command("export calendar 2022-23")
    one_year = seen(bot.fake.uploaded()[-1]["data"])
    assert one_year and all(".2022-23." in u for u in one_year)
    assert set(one_year) == {u for u in in_feed if ".2022-23." in u}  # the feed's next year, event for event
