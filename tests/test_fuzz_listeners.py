"""Hostile input: hypothesis throws random and oversized slash commands, clicks, form
submissions, events and message shortcuts at every listener, as signed requests into the real
Bolt app (``process_before_response=True``, in process), on a workspace with two schools.

For every case: no ERROR log record from scep-bot, slack_bolt or slack_sdk (an exception in a
listener logs one), Slack gets a 200 (or a Slack-valid answer: a message, form errors), every
message, modal and App Home the bot sent is one Slack accepts (``tests/blockkit.py``), and a
refusal is an ephemeral message.

``SCEP_FUZZ_SCALE=10 pytest tests/test_fuzz_listeners.py`` runs ten times as many cases.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.root.emulator import TEAM_ID
from tests import authz_world as W
from tests.authz_world import A_CHANNEL, B_CHANNEL, PEOPLE
from tests.blockkit import call_problems

SCALE = float(os.environ.get("SCEP_FUZZ_SCALE", "1"))
CASES = {"commands": 3000, "actions": 3000, "views": 2000, "events": 1500, "shortcuts": 600}
TOTAL_AT_LEAST = 10_000

ACTION_IDS = ["ck_toggle_0", "ck_toggle_1", "ck_toggle_99", "ck_done", "sched_open", "open_checklist", "home_checklist", "ck_current",
              "home_page", "home_page_prev", "rv_submit", "rv_approve", "rv_changes", "roles_edit", "note_school", "note_redact", "note_keep",
              "nudge_done", "nudge_snooze"]
CALLBACKS = {  # form -> the block ids of its inputs (field errors must name one of them)
    "scep_setup": {"name", "model", "cycles", "year", "tz"},
    "scep_roles": {"liaison", "principal", "team", "reviewer", "district"},
    "scep_schedule": {"date", "time", "cancel"},
    "scep_feedback": {"feedback"},
    "scep_commitments": {f"c{i}" for i in range(1, 11)},
    "scep_save_note": {"school", "step", "commitment"},
}


def n(kind: str) -> int:
    return max(1, int(CASES[kind] * SCALE))


def test_the_suite_throws_at_least_ten_thousand_cases():
    assert sum(CASES.values()) >= TOTAL_AT_LEAST


# ---------------------------------------------------------------- the world, and what is watched


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("scep-bot", "slack_bolt", "slack_sdk")):
            if record.levelno >= logging.ERROR or "Unhandled request" in record.getMessage():
                self.records.append(record)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    yield from W.module_world(tmp_path_factory, "fuzz")


@pytest.fixture
def world(shared):
    shared.reset_all()
    shared.bot.fake.clear()
    errors = Errors()
    logging.getLogger().addHandler(errors)
    shared.errors = errors
    try:
        yield shared
    finally:
        logging.getLogger().removeHandler(errors)


def check(world, answer, what: str, *, kind: str = "", callback: str = "") -> None:
    """What every case must satisfy; clears the fake's record for the next one."""
    fake = world.bot.fake
    errors = world.errors.records
    assert not errors, f"{what}: {errors[0].name} logged {logging.Formatter().format(errors[0])[-2500:]}"
    assert answer.status == 200, f"{what}: HTTP {answer.status} {answer.body[:300]}"
    body = answer.json if answer.body.startswith("{") else {}
    if kind == "command":
        calls = fake.calls
        assert body or any(c.method in ("response_url", "views.open", "chat.postMessage", "chat.postEphemeral", "files.completeUploadExternal")
                           for c in calls), f"{what}: no answer at all"
        for payload in [body] + [c.args for c in calls if c.method == "response_url"]:
            if payload and str(payload.get("text", "")).startswith(":warning:"):
                assert payload.get("response_type") == "ephemeral", f"{what}: a refusal shown to the channel: {payload.get('text')[:200]}"
        if body:
            from tests.blockkit import message_problems

            problems = message_problems(body)
            assert not problems, f"{what}: the ack is not a valid message: {problems[:5]}"
    if kind == "view" and body:
        assert body.get("response_action") == "errors", f"{what}: unexpected answer {body}"
        errs = body.get("errors") or {}
        assert errs and all(isinstance(v, str) and v for v in errs.values()), f"{what}: empty field errors {errs}"
        assert set(errs) <= CALLBACKS[callback], f"{what}: errors for blocks the form does not have: {set(errs) - CALLBACKS[callback]}"
    for c in fake.calls:
        problems = call_problems(c.method, c.args)
        assert not problems, f"{what}: Slack would refuse {c.method}: {problems[:5]}"
        if c.method == "chat.postMessage":
            text = json.dumps(c.args)
            assert "Sorry, something went wrong" not in text, f"{what}: an apology was posted to a channel"
    apologies = [c for c in fake.calls if "Sorry, something went wrong" in json.dumps(c.args)]
    assert not apologies, f"{what}: the bot apologised (an exception): {apologies[0].args}"
    fake.clear()


def run(world, fn, examples: int, strategy) -> int:
    """Run ``fn(case)`` for ``examples`` hypothesis examples; returns how many ran."""
    count = [0]

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(case):
        count[0] += 1
        world.errors.records.clear()  # a case stands alone, also when hypothesis shrinks a failure
        world.bot.fake.clear()
        fn(case)

    one()
    assert count[0] >= examples, f"only {count[0]} of {examples} cases ran"
    return count[0]


# ---------------------------------------------------------------- strategies

WEIRD = ["", " ", "\x00", "\u202e", "é", "😀", "<!channel>", "<@U0EVIL001|x>", "<#C0EVIL001>", "<https://evil.example|x>", "&lt;",
         "\"", "“", "'", "|", "||", ":", "%s", "{}", "{0}", "${x}", "../../etc/passwd", "null", "None", "NaN", "-1", "0", "²",
         "9" * 50, "١٢", "x" * 5000, "\n\n", "\t", "\\", "*bold*", "`code`", "```", "> quote"]
WORDS = ["setup", "next", "timeline", "schools", "cycles", "roles", "help", "checklist", "schedule", "done", "undo", "data", "meeting",
         "submit", "step", "notes", "start", "sync", "commitments", "forget", "export", "history", "remind", "summary", "year", "calendar",
         "visit", "session", "1", "2", "5", "7", "v2", "s1", "priority", "levers", "draft", "final", "plan", "all", "clear", "cancel",
         "milestones", "benchmarks", "year-end", "ready", "fall", "winter", "august-pd", "Dec", "14", "10am", "tomorrow", "next", "Tuesday",
         "2021-22", "2099-00", "model:TSI", "model:", "cycles:", "cycles:sezp-planning", "year:", "tz:", "tz:America/Chicago", "tz:Mars/Base",
         "liaison:", "team:<@U0TEAM001>", "team:none", "reviewer:<@U0EVIL001>", "docx", "md", "off", "on", "2d", "every", "before",
         "opens:off", "midpoint:on", "closing:3", "before:14,7,2", "before:", "before:999", "morning-of:off", "overdue:on", "escalate:liaison,district",
         "escalate:nobody", "time:08:30", "time:25:00", "time:", "quiet:sat,sun", "quiet:", "holiday:2021-11-25", "holiday:2021-12-24..2022-01-02",
         "holiday:2021-02-30", "unholiday:2021-11-25", "district-holiday:2021-11-25", "district-unholiday:2021-11-25", "reset", "notes-prompt:off"]

# light strategies: generating a case must cost less than running it
text = st.one_of(st.sampled_from(WEIRD), st.text(max_size=30), st.text(alphabet=st.characters(codec="utf-8"), max_size=120))
users = st.sampled_from(list(PEOPLE.values()) + ["U0NOBODY1", "", "W0ENTERPR", "B0BOT0001", "x" * 300])
channels = st.sampled_from([A_CHANNEL, B_CHANNEL, W.ELSEWHERE, "D0DIRECT1", "G0PRIVATE", "", "C" + "0" * 300, "<!channel>"])
command_text = st.one_of(
    text,
    st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(WEIRD[:30])), min_size=1, max_size=8).map(" ".join),
    st.tuples(st.sampled_from(WORDS[:23]), st.lists(st.one_of(st.sampled_from(WORDS), text), max_size=6)).map(lambda t: " ".join([t[0], *t[1]])),
)


def ids(world) -> st.SearchStrategy[str]:
    """Values shaped like the bot's own: school ids, step keys, labels, rounds, JSON."""
    school = st.sampled_from([world.a, world.b, "s000000000000", "", "../x", "<!channel>"])
    key = st.sampled_from([W.VISIT.format(1), W.VISIT.format(2), "2021-22:sezp-planning/priority-levers", "2021-22:sezp-planning/calendars",
                           "2021-22:nosuch/step", "1999-00:nysed-tsi-visits/visit-1", "nysed-tsi-visits/visit-1", "", "x:y/z",
                           "2021-22:sezp-planning/priority-levers:draft", "2021-22:sezp-planning/priority-levers:nope", "2021-22:district-plan-review/first-draft:due"])
    tail = st.sampled_from(["held", "draft", "final", "due", "plan", "1", "2", "0", "99999999999999999999", "²", "", "x",
                            "closing", "opens", "overdue", "escalation", "snoozed", "day-before", "notes-prompt"])
    parts = st.lists(st.one_of(school, key, tail, text), min_size=0, max_size=6).map("|".join)
    structured = st.tuples(school, key, tail).map("|".join)
    js = st.one_of(st.builds(lambda s, k: json.dumps({"s": s, "k": k}), school, st.one_of(st.just(world.note_key), text)),
                   st.sampled_from(["{}", "[]", "null", "1", '{"s": [], "k": {}}', '"x"', "{"]))
    return st.one_of(structured, parts, js, text)


def maybe(d: dict[str, Any], drop: list[str]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in drop}


# ---------------------------------------------------------------- the fuzzers


@pytest.mark.parametrize("part", [0, 1])  # two halves, so that xdist workers share the load
def test_fuzz_slash_commands(world, part):
    bot = world.bot

    def one(case):
        cmd, user, channel = case
        answer = bot.command(cmd, user=user, channel=channel)
        check(world, answer, f"/scep {cmd[:200]!r} by {user[:20]} in {channel[:20]}", kind="command")

    where = st.just(A_CHANNEL) if part == 0 else channels
    run(world, one, n("commands") // 2, st.tuples(command_text, users, where))


@pytest.mark.parametrize("part", [0, 1])
def test_fuzz_block_actions(world, part):
    bot = world.bot
    value = ids(world)
    option = st.fixed_dictionaries({"value": value})
    action = st.fixed_dictionaries(
        {"action_id": st.sampled_from(ACTION_IDS[part::2])},
        optional={"value": value, "block_id": st.one_of(value, st.just(f"ck|{world.a}|{W.VISIT.format(1)}|deadbeef|0")),
                  "type": st.sampled_from(["button", "checkboxes", "static_select", "x"]),
                  "selected_options": st.lists(option, max_size=12), "selected_option": st.one_of(st.none(), option), "action_ts": text},
    )
    where = st.sampled_from(["message", "home", "modal", "nowhere"])
    drops = st.lists(st.sampled_from(["user", "team", "container", "channel", "message", "view", "trigger_id", "response_url"]), max_size=3)
    blocks = st.sampled_from([world.checklist["blocks"], [], [{"type": "actions", "block_id": "ck|x|y|z|0", "elements": [{"type": "checkboxes", "initial_options": [{"value": "a"}, {}]}]}],
                              [{"type": "actions", "elements": []}, {}]])
    meta = st.one_of(ids(world), st.just(json.dumps({"p": "nope"})), st.none())
    # fields of the wrong type, as no Slack payload has them
    extra = st.sampled_from([{}, {}, {}, {"user": False}, {"user": {"id": 5}}, {"actions": None}, {"actions": []}, {"actions": [None]},
                             {"actions": [{"action_id": 7}]}, {"container": []}, {"state": 5}, {"state": {"values": []}}, {"message": "x"},
                             {"view": None}, {"view": {"state": {"values": {"b": []}}}}, {"channel": {"id": ["C1"]}}, {"team": "T"},
                             {"trigger_id": 1}, {"response_url": None}, {"view": {"private_metadata": 5}}])

    def one(case):
        act, place, uid, chan, m, blk, drop, bad = case
        payload = W.click(bot, uid, act, where=chan if place == "message" else None,
                          view={"type": "modal" if place == "modal" else "home", "private_metadata": bot.seal("scep_save_note", m) if m else m,
                                "blocks": blk, "callback_id": "scep_save_note"})
        if place == "nowhere":
            payload.pop("container", None)
            payload.pop("view", None)
        if place == "message":
            payload["message"]["blocks"] = blk
        payload = maybe(payload, drop)
        payload.update(bad)
        answer = bot.interactive(payload)
        check(world, answer, f"click {json.dumps(act)[:300]} {place} by {uid[:20]} {json.dumps(bad)}")

    run(world, one, n("actions") // 2, st.tuples(action, where, users, channels, meta, blocks, drops, extra))


@pytest.mark.parametrize("part", [0, 1])
def test_fuzz_form_submissions(world, part):
    bot = world.bot
    value = ids(world)
    element = st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(["plain_text_input", "static_select", "multi_users_select", "datepicker", "timepicker", "checkboxes", "x"]),
        "value": st.one_of(st.none(), text), "selected_option": st.one_of(st.none(), st.fixed_dictionaries({"value": value})),
        "selected_options": st.lists(st.fixed_dictionaries({"value": st.sampled_from(["cancel", "x", ""])}), max_size=2),
        "selected_users": st.lists(users, max_size=12), "selected_date": st.sampled_from(["2021-12-14", "2021-02-30", "2099-01-01", "1999-12-31", "", "x", "²"]),
        "selected_time": st.sampled_from(["10:00", "25:99", "00:00", "23:59", "", "x", "10"]),
    })

    def values_for(callback: str):
        blocks = sorted(CALLBACKS[callback])[:6] + ["other"]
        return st.dictionaries(st.sampled_from(blocks), st.dictionaries(st.sampled_from(["value", "note_school", "x"]), element, min_size=1, max_size=1), max_size=len(blocks))

    meta = st.one_of(value, st.sampled_from([A_CHANNEL, B_CHANNEL, "", f"{world.a}|{A_CHANNEL}", f"{world.a}|{W.VISIT.format(2)}|{A_CHANNEL}",
                                                   f"{world.a}|2021-22:sezp-planning/priority-levers|1||", json.dumps({"p": "x"}), "[]"]))

    def one(case):
        (callback, vals), uid, m, drop = case
        payload = maybe(W.submission(uid, callback, m, vals, sealed_by=bot), drop)  # sealed: the listeners get it
        answer = bot.interactive(payload)
        check(world, answer, f"form {callback} by {uid[:20]} meta {m[:80]!r} values {json.dumps(vals)[:300]}", kind="view", callback=callback)

    drops = st.lists(st.sampled_from(["user", "team", "trigger_id"]), max_size=2)
    form = st.one_of([st.tuples(st.just(cb), values_for(cb)) for cb in sorted(CALLBACKS)[part::2]])
    run(world, one, n("views") // 2, st.tuples(form, users, meta, drops))


def test_fuzz_events(world):
    bot = world.bot
    prompt_ts = next(iter(world.store.view(world.a).all("prompts").values()))["ts"]
    ts = st.one_of(st.just(prompt_ts), st.just("1635854400.000007"), st.sampled_from(["", "x", "1.2.3", "9" * 40, "-1.0"]), text)
    file_ = st.dictionaries(st.sampled_from(["id", "name", "title", "permalink", "url_private", "mode"]), st.one_of(text, st.integers()), max_size=4)
    message = st.fixed_dictionaries({"type": st.just("message")}, optional={
        "subtype": st.sampled_from([None, "thread_broadcast", "file_share", "me_message", "message_changed", "message_deleted", "bot_message", "tombstone", "x"]),
        "channel": channels, "user": users, "text": text, "ts": ts, "thread_ts": ts, "bot_id": st.one_of(st.none(), text),
        "files": st.one_of(st.lists(file_, max_size=3), text), "deleted_ts": ts, "team": text,
        "message": st.fixed_dictionaries({}, optional={"user": users, "text": text, "ts": ts, "thread_ts": ts, "subtype": st.sampled_from(["tombstone", "x"]), "files": st.lists(file_, max_size=2)}),
        "previous_message": st.fixed_dictionaries({}, optional={"user": users, "ts": ts, "thread_ts": ts}),
    })
    home = st.fixed_dictionaries({"type": st.just("app_home_opened")}, optional={"user": users, "tab": st.sampled_from(["home", "messages", "", "x"]), "channel": channels})

    def one(case):
        event, event_id, retry = case
        answer = bot.event(event, event_id=event_id, retry=retry)
        check(world, answer, f"event {json.dumps(event)[:400]}")

    run(world, one, n("events"), st.tuples(st.one_of(message, home), st.one_of(st.none(), text.filter(bool)), st.one_of(st.none(), st.integers(1, 3))))


def test_fuzz_message_shortcut(world):
    bot = world.bot
    msg = st.fixed_dictionaries({"type": st.just("message")}, optional={
        "user": users, "text": text, "ts": st.one_of(st.just("1635854400.000100"), text), "thread_ts": st.one_of(st.none(), text),
        "bot_id": st.one_of(st.none(), text), "subtype": st.sampled_from([None, "bot_message", "x"]),
        "files": st.lists(st.dictionaries(st.sampled_from(["id", "name", "permalink"]), text, max_size=3), max_size=2),
    })

    def one(case):
        m, uid, chan, values = case
        answer = bot.interactive(W.shortcut(bot, uid, chan, m))
        check(world, answer, f"shortcut by {uid[:20]} in {chan[:20]} on {json.dumps(m)[:300]}")
        forms = [c for c in world.bot.fake.calls if c.method == "views.open"]
        meta = forms[-1].args["view"].get("private_metadata", "") if forms else bot.seal("scep_save_note", json.dumps({"p": "gone"}))
        answer = bot.interactive(W.submission(uid, "scep_save_note", meta, values))
        check(world, answer, f"save note form by {uid[:20]}", kind="view", callback="scep_save_note")

    pick = st.fixed_dictionaries({"school": st.fixed_dictionaries({"note_school": st.fixed_dictionaries({"selected_option": st.fixed_dictionaries({"value": st.sampled_from([world.a, world.b, "", "x"])})})}),
                                  "step": st.fixed_dictionaries({"value": st.fixed_dictionaries({"selected_option": st.fixed_dictionaries({"value": st.sampled_from(["2021-22|nysed-tsi-visits/visit-1", "", "x|y", "2021-22|sezp-planning/calendars"])})})}),
                                  "commitment": st.fixed_dictionaries({"value": st.fixed_dictionaries({"selected_option": st.fixed_dictionaries({"value": st.sampled_from(["0", "1", "2", "9", "-1", "²", ""])})})})})
    run(world, one, n("shortcuts"), st.tuples(msg, users, channels, pick))


def test_fuzz_raw_bodies_are_refused_politely(world):
    """Bodies Slack would never send, correctly signed: a 4xx or an empty 200, never an error."""
    bot = world.bot
    from tests.harness import signed_headers

    def one(case):
        body, ctype = case
        answer = bot.dispatch(body, signed_headers(body, content_type=ctype))
        assert answer.status in (200, 400, 401, 404), f"{body[:200]!r}: {answer.status}"
        errs = [r for r in world.errors.records if r.name.startswith("scep-bot")]
        assert not errs, f"{body[:200]!r}: {errs[0].getMessage()[:800]}"
        world.errors.records.clear()
        bot.fake.clear()

    bodies = st.one_of(text, st.builds(lambda p: "payload=" + p, text), st.builds(json.dumps, st.dictionaries(text, text, max_size=3)),
                       st.sampled_from(['{"type": "event_callback", "event": null}', '{"type": "event_callback", "event": []}',
                                        '{"type": "event_callback", "event": {"type": "message"}, "event_id": 5}',
                                        'payload={"type": "block_actions", "actions": null}', 'payload={"type": "view_submission", "view": null}',
                                        'payload={"type": "block_actions", "actions": [null]}', 'payload={"type": "message_action"}',
                                        'command=%2Fscep&text=next', 'command=%2Fscep', f'command=%2Fscep&text=next&team_id={TEAM_ID}&channel_id=x']))
    run(world, one, max(1, int(300 * SCALE)), st.tuples(bodies, st.sampled_from(["application/x-www-form-urlencoded", "application/json"])))
