"""Slack's faults, from the outside: the fake Web API answers 429 with Retry-After, 500, times
out, or refuses the token (invalid_auth), at random. Nothing people asked for is lost, nothing is
posted twice, the bot keeps answering, and a refused token is logged once, loudly, not in a loop."""

from __future__ import annotations

import json
import logging
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.calendar import dates
from bot.root.emulator import FakeSlack
from bot.root.serving import make_wsgi
from tests.harness import CHANNEL
from tests.notes_helpers import TEACHER, reply, start_prompt
from tests.slack import checkbox_blocks, tick

NY = ZoneInfo("America/New_York")
KEY2 = "2021-22:nysed-tsi-visits/visit-2"
KEY1 = "2021-22:nysed-tsi-visits/visit-1"


def healthz(bot) -> tuple[str, dict]:
    wsgi = make_wsgi(bot.app, bot.services)
    got = {}

    def start_response(status, headers):
        got["status"] = status

    body = b"".join(wsgi({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, start_response))
    return got["status"], json.loads(body)


def ok_calls(fake, method: str):
    """Calls Slack carried out (the emulator answered them; a planned fault answers nothing)."""
    return [c for c in fake.of(method) if c.response and c.response.get("ok")]


def shown_message(fake, ts: str, first: dict) -> dict:
    ups = [c for c in ok_calls(fake, "chat.update") if c.args.get("ts") == ts]
    return {"text": ups[-1].args["text"], "blocks": ups[-1].args["blocks"]} if ups else first


def critical_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.CRITICAL]


def test_random_slack_faults_lose_nothing_post_nothing_twice_and_log_a_refused_token_once(bot, caplog):
    caplog.set_level(logging.WARNING)
    rnd = random.Random(6)
    fake = bot.fake
    fake.add_user(TEACHER, "tess")
    bot.app.client.timeout = 0.3  # a "timeout" below is an answer 0.6 s late
    auth = bot.services.slack_auth
    auth.probe_after = 0.0  # the next call after a refusal checks the token again (a fixed token)
    bot.at("2021-11-15T14:00:00Z").setup("Lincoln Elementary model:TSI")
    sid = bot.services.store.school_for_channel("T0DEMO001", CHANNEL)
    thread = start_prompt(bot, "visit 1")
    bot.command("checklist visit 2")
    post = [c for c in ok_calls(fake, "chat.postMessage") if c.args.get("blocks") and "Checklist" in c.args.get("text", "")][-1]
    ck_ts, first = post.response["ts"], {"text": post.args["text"], "blocks": post.args["blocks"]}

    faults = ["429", "500", "timeout", "invalid_auth", None]
    methods = ["chat.update", "reactions.add", "users.info", "response_url", "chat.postMessage", "*"]
    want_ticks: dict[str, bool] = {}
    want_dates: list[str] = []
    notes_sent: list[str] = []
    done_wanted = None
    refusals = 0
    fallbacks: set[int] = set()  # answers posted because their response_url failed (checked per command)
    for i in range(60):
        kind, method = rnd.choice(faults), rnd.choice(methods)
        first_call = len(fake.calls)
        if kind == "429":
            fake.fail_next(method, status=429, retry_after=0, error="ratelimited")
        elif kind == "500":
            fake.fail_next(method, status=500)
        elif kind == "timeout":
            fake.fail_next(method, delay=0.6)
        elif kind == "invalid_auth" and method != "response_url":  # response_url needs no token
            fake.fail_next(method, error="invalid_auth")
        now = dates.parse_instant("2021-11-15T14:00:00Z") + timedelta(minutes=5 * (i + 1))
        bot.at(now.isoformat())
        op = i % 4
        if op == 0:  # a schedule change
            local = datetime(2021, 12, 1 + i % 28, 9 + i % 6, i % 60, tzinfo=NY)
            ans = bot.command(f"schedule visit 2 December {local.day} 2021 {local:%-I:%M%p}".lower().replace("december", "December"))
            want_dates.append(local.astimezone(dates.UTC).isoformat())
        elif op == 1:  # a tick on the checklist as Slack shows it (the last update that reached Slack)
            msg = shown_message(fake, ck_ts, first)
            groups = checkbox_blocks(msg["blocks"])
            g = rnd.randrange(len(groups))
            el = groups[g]["elements"][0]
            values = [o["value"] for o in el["options"]]
            selected = [o["value"] for o in el.get("initial_options") or []]
            item = rnd.choice(values)
            on = item not in selected
            new = [v for v in selected if v != item] + ([item] if on else [])
            ans = bot.interactive(tick(fake, msg, CHANNEL, ck_ts, g, new))
            want_ticks[item] = on
        elif op == 2:  # a note
            ts = f"{int(now.timestamp())}.{i:06d}"
            ans = reply(bot, f"note {i}: families came to literacy night", thread_ts=thread, ts=ts)
            notes_sent.append(ts)
        else:  # done / undo
            done_wanted = "undo" if done_wanted == "done" else "done"
            ans = bot.command(f"{done_wanted} visit 1")
        assert ans.status == 200, (i, kind, method, ans.body)
        # a public answer whose response_url failed comes as a post: one per command, never twice
        these = fake.calls[first_call:]
        answered = {c.args.get("text") for c in these if c.method == "response_url"}
        own = [c.args.get("text") for c in these if c.method == "chat.postMessage" and c.response and c.response.get("ok") and c.args.get("text") in answered]
        assert len(own) == len(set(own)), (i, own)
        fallbacks.update(id(c) for c in these if c.method == "chat.postMessage" and c.args.get("text") in answered)
        if kind == "invalid_auth" and fake.faults == [] and method != "response_url":
            refusals += 1
        fake.faults.clear()  # a fault not met by this change is not left for the next one

    # nothing asked for is lost
    view = bot.services.store.view(sid)
    audited = {e.get("after") for e in view.all("audit").values() if e.get("what") == "scheduled"}
    assert all(d in audited for d in want_dates)
    assert view.get("steps", KEY2)["scheduled_at"] == want_dates[-1]
    ticks = (view.get("steps", KEY2).get("checklist") or {}).get("ticks") or {}
    assert {k: (k in ticks) for k in want_ticks} == want_ticks
    notes = view.all("notes")
    assert all(f"{CHANNEL}:{ts}" in notes for ts in notes_sent)
    assert ("held" in (view.get("steps", KEY1).get("done") or {})) == (done_wanted == "done")
    # nothing posted twice: every message Slack carried out is distinct, every reaction once
    posted = [(c.args.get("channel"), c.args.get("text"), c.args.get("thread_ts")) for c in ok_calls(fake, "chat.postMessage") if id(c) not in fallbacks]
    assert len(posted) == len(set(posted))
    reacted = [c.args.get("timestamp") for c in ok_calls(fake, "reactions.add")]
    assert len(reacted) == len(set(reacted))
    # the bot is up, answers, and a refused token was logged once per refusal, never per call
    assert refusals >= 1
    assert "Lincoln Elementary" in bot.command("next").text
    crit = critical_lines(caplog)
    assert 1 <= len(crit) <= refusals and all("SLACK REFUSED THE BOT TOKEN" in c for c in crit)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and "Traceback" in r.getMessage()]
    assert healthz(bot)[0].startswith("200")


def test_a_refused_token_is_logged_once_then_slack_is_left_alone_and_healthz_says_so(bot, caplog):
    caplog.set_level(logging.INFO)
    fake = bot.fake
    fake.add_user(TEACHER, "tess")
    bot.setup("Lincoln Elementary model:TSI")
    sid = bot.services.store.school_for_channel("T0DEMO001", CHANNEL)
    thread = start_prompt(bot, "visit 1")
    bot.command("checklist visit 2")
    auth = bot.services.slack_auth
    fake.fail_next("*", error="invalid_auth", times=1000)  # the token was revoked
    calls_before = len(fake.calls)
    for n in range(20):
        reply(bot, f"note {n}", thread_ts=thread, ts=f"1635870000.{n:06d}")
        assert bot.command(f"schedule visit 2 December {n + 1} 2021 10am").status == 200
    # one call met the refusal; after it the bot stopped calling the Web API (response_url needs no token)
    web_calls = [c for c in fake.calls[calls_before:] if c.method != "response_url"]
    assert len(web_calls) == 1, [c.method for c in web_calls]
    crit = critical_lines(caplog)
    assert len(crit) == 1 and "invalid_auth" in crit[0] and "SLACK_BOT_TOKEN" in crit[0]
    # what people asked for is still recorded, and they were told on the response_url
    view = bot.services.store.view(sid)
    assert len(view.all("notes")) == 20
    assert view.get("steps", KEY2)["scheduled_at"].startswith("2021-12-20")
    assert "scheduled" in bot.last_response_text()
    status, info = healthz(bot)
    assert status.startswith("503") and info["ok"] is False and info["slack_auth"] == "invalid_auth"
    assert info["slack_calls_refused"] >= 20
    # the token is fixed: the next probe succeeds, the bot says so once and carries on
    fake.faults.clear()
    auth.probe_after = 0.0
    auth._next_probe = 0.0
    reply(bot, "after the fix", thread_ts=thread, ts="1635870100.000001")
    assert fake.of("reactions.add")[-1].args["timestamp"] == "1635870100.000001"
    assert healthz(bot)[1] == {"ok": True, "store": "ok", "schools": 1, "slack_auth": "ok"}
    assert [r for r in caplog.records if "accepts the bot token again" in r.getMessage()]
    assert len(critical_lines(caplog)) == 1


def test_a_slow_slack_never_stalls_the_acks_of_other_requests(tmp_path, fake):
    """Listener threads waiting on a Slack call that hangs do not hold up the ack of the next
    requests (Bolt's default pool of 5 threads would: every request after the fifth waited)."""
    import threading
    import time

    from tests.harness import Bot

    first = Bot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"))
    first.setup("Lincoln Elementary model:TSI")
    fake.add_user(TEACHER, "tess")
    thread = start_prompt(first, "visit 1")
    first.close()
    # as in HTTP mode: each request is answered at its ack, listeners run on Bolt's thread pool
    b = Bot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"), process_before_response=False)
    try:
        b.app.client.timeout = 5
        fake.fail_next("reactions.add", delay=2.0, times=12)  # Slack hangs on 12 reactions
        answers = []

        def note(n: int) -> None:
            t0 = time.monotonic()
            ans = reply(b, f"note {n}", thread_ts=thread, ts=f"1635870000.{n:06d}")
            answers.append((ans.status, time.monotonic() - t0))

        threads = [threading.Thread(target=note, args=(n,)) for n in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(0.2)  # the 12 listeners are now waiting on Slack
        t0 = time.monotonic()
        ans = b.command("next")
        took = time.monotonic() - t0
        assert ans.status == 200 and "Lincoln Elementary" in ans.text
        assert took < 2.0, took  # with 5 listener threads it is not answered at all (3 s: Slack gives up)
        assert all(status == 200 and t < 2.0 for status, t in answers), answers
        assert len(fake.wait_for("reactions.add", 12, timeout=10)) == 12  # and every note got its reaction in the end
    finally:
        b.close()


def test_a_prompt_posted_but_not_recorded_is_recovered_from_its_metadata_at_the_first_reply(bot):
    """Slack posts the notes prompt but its answer comes too late (or the bot dies before writing
    it down): the prompt carries its step in Slack's message metadata, so the first reply in its
    thread records it, saves the reply and reads back the replies written before it."""
    import time

    fake = bot.fake
    fake.add_user(TEACHER, "tess")
    bot.setup("Lincoln Elementary model:TSI")
    sid = bot.services.store.school_for_channel("T0DEMO001", CHANNEL)
    bot.app.client.timeout = 0.3
    fake.fail_next("chat.postMessage", delay=0.8)  # Slack posts it, but answers after the bot gave up
    bot.command("notes start visit 1")
    assert "did not confirm my post" in bot.last_response_text()
    end = time.monotonic() + 5
    while not fake.posted and time.monotonic() < end:
        time.sleep(0.02)
    (channel, thread), = [k for k, m in fake.posted.items() if "Notes for" in (m.get("text") or "")]
    assert bot.services.store.view(sid).all("prompts") == {}  # not recorded
    earlier = fake.add_reply(CHANNEL, thread, TEACHER, "written first", ts="1635870000.000001")
    ans = reply(bot, "C1: written second", thread_ts=thread, ts="1635870001.000001", parent_user_id="UBOT0001")
    assert ans.status == 200
    view = bot.services.store.view(sid)
    assert f"{CHANNEL}:{thread}" in view.all("prompts")
    assert set(view.all("notes")) == {f"{CHANNEL}:{earlier['ts']}", f"{CHANNEL}:1635870001.000001"}
    assert {c.args["timestamp"] for c in fake.of("reactions.add")} == {earlier["ts"], "1635870001.000001"}
    # a reply under any other message of the bot's is looked at once, and not taken as a note
    bot.command("checklist visit 2")
    ck = [k for k, m in fake.posted.items() if "Checklist" in (m.get("text") or "")][0][1]
    for n in range(3):
        reply(bot, f"chat {n}", thread_ts=ck, ts=f"1635870100.00000{n}", parent_user_id="UBOT0001")
    assert len([c for c in fake.of("conversations.replies") if c.args.get("ts") == ck]) == 1
    assert len(bot.services.store.view(sid).all("notes")) == 2


# ---------------------------------------------------------------- the sweep


def test_the_sweep_stops_at_a_refused_token_loses_no_nudge_and_posts_it_once_when_fixed(fake, bot, caplog, nudges_only):
    from tests.nudge_driver import Driver, add_people, give_roles, utc

    caplog.set_level(logging.INFO)
    add_people(fake)
    bot.at("2021-07-01T12:00:00Z").setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits year:2021-22")
    give_roles(bot)
    d = Driver(bot)
    auth = bot.services.slack_auth
    fake.fail_next("*", error="invalid_auth", times=1000)  # the token was revoked
    calls = len(fake.calls)
    first = d.sweep(utc("2021-10-01T13:00:00Z"))
    assert first.of("sent") == [] and first.of("failed") == []  # released, not given up
    for m in range(1, 30):  # a sweep a minute: Slack is left alone
        d.sweep(utc("2021-10-01T13:00:00Z") + timedelta(minutes=m))
    assert len(fake.calls) - calls == 1
    assert len(critical_lines(caplog)) == 1
    store = bot.services.store
    entries = store.view(store.school_ids()[0]).all("ledger")
    assert entries and all(e["state"] == "retry" for e in entries.values())
    # fixed: the next sweep after the probe interval posts what was due, once
    fake.faults.clear()
    auth._next_probe = 0.0
    d.sweep(utc("2021-10-01T13:31:00Z"))
    d.sweep(utc("2021-10-01T13:32:00Z"))
    posts = [c for c in fake.of("chat.postMessage") if c.response]
    assert posts and len({(c.args["channel"], c.args["text"]) for c in posts}) == len(posts)
    assert all(e["state"] == "sent" for e in store.view(store.school_ids()[0]).all("ledger").values())
    assert len(critical_lines(caplog)) == 1
    assert [r for r in caplog.records if "accepts the bot token again" in r.getMessage()]


def _term_of_sweeps(bot, fake, faults: random.Random | None):
    from tests.nudge_driver import Driver, add_people, give_roles, utc

    add_people(fake)
    bot.at("2021-07-01T12:00:00Z").setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits year:2021-22")
    give_roles(bot)
    bot.app.client.timeout = 0.3
    bot.services.slack_auth.probe_after = 0.0
    d = Driver(bot)
    t = utc("2021-10-01T12:00:00Z")
    while t < utc("2022-01-01T12:00:00Z"):
        r = faults.random() if faults else 1.0
        if r < 0.08:
            fake.fail_next("chat.postMessage", status=429, retry_after=0, times=3)
        elif r < 0.16:
            fake.fail_next("chat.postMessage", status=500)
        elif r < 0.20:
            fake.fail_next("chat.postMessage", error="invalid_auth")
        bot.now = t
        d.sweep(t)
        fake.faults.clear()
        t += timedelta(hours=2)
    store = bot.services.store
    return store.view(store.school_ids()[0]).all("ledger")


def test_random_faults_during_a_term_of_sweeps_post_each_nudge_once(tmp_path, fake, bot, nudges_only):
    """A term of sweeps (every 2 hours, Oct-Dec) with Slack failing at random (429 that persists,
    500, invalid_auth): every nudge the same term sends without faults is posted, once; none is
    given up or left claimed."""
    from tests.harness import Bot

    ledger = _term_of_sweeps(bot, fake, random.Random(11))
    posts = [c for c in fake.of("chat.postMessage") if c.response and c.response.get("ok")]
    keys = [(c.args["channel"], c.args["text"]) for c in posts]
    assert posts and len(keys) == len(set(keys))  # nothing posted twice
    states = {e["state"] for e in ledger.values()}
    assert states <= {"sent", "skipped"}, states
    clean_fake = FakeSlack().start()
    clean_fake.add_user("U0ADMIN01", "ada.admin", admin=True)  # as the conftest's fake has her
    clean = Bot(tmp_path / "clean", clean_fake, dates.parse_instant("2021-07-01T12:00:00Z"))
    try:
        expected = _term_of_sweeps(clean, clean_fake, None)
    finally:
        clean.close()
        clean_fake.stop()
    sent = {k.split("|", 1)[1] for k, e in ledger.items() if e["state"] == "sent"}  # keys without the school id
    assert len(sent) >= 5 and sent == {k.split("|", 1)[1] for k, e in expected.items() if e["state"] == "sent"}
