"""Text from people never pings or links anything: hostile values everywhere, then every Web API
call the fake Slack recorded (messages, updates, ephemerals, modals, App Home, response_url
posts, file comments) and every ack is scanned for Slack control sequences (``<!channel>``,
``<@U…>``, ``<#C…>``, ``<https://…|…>``) that the bot did not make itself.

The bot's own sequences are allowed: mentions of the people and channels it knows (role
holders, the school's channel) and permalinks to Slack messages.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from bot.root.emulator import TEAM_ID
from tests import authz_world as W
from tests.authz_world import A_CHANNEL, B_CHANNEL, PEOPLE
from tests.notes_helpers import reply, ts_at
from tests.slack import app_home_opened

EVIL_USER = "U0EVIL001"
EVIL_CHANNEL = "C0EVIL001"
HOSTILE = f"<!channel> <!here> <!everyone> <@{EVIL_USER}> <#{EVIL_CHANNEL}> <https://evil.example/x|click> <!subteam^S0EVIL01>"
SHORT = f"<!channel><@{EVIL_USER}|x><https://evil.example|y>"  # fits where text is short (school names)

SEQUENCE = re.compile(r"<([^<>]*)>")


def allowed_sequence(body: str, users: set[str], channels: set[str]) -> bool:
    if body.startswith("@"):
        return body[1:].split("|")[0] in users
    if body.startswith("#"):
        return body[1:].split("|")[0] in channels
    if body.startswith("!"):
        return False  # the bot never pings @channel, @here, @everyone or a group
    return body.startswith("https://demo.slack.com/archives/")  # permalinks the bot builds


def mrkdwn_texts(obj: Any, top: bool = True) -> Iterator[str]:
    """The strings Slack parses as mrkdwn in a message or view payload (not plain_text ones)."""
    if isinstance(obj, dict):
        kind = obj.get("type")
        for key, value in obj.items():
            if key == "text" and isinstance(value, str):
                if kind == "mrkdwn" or (top and kind is None) or kind in ("section",):
                    yield value
            elif key in ("initial_comment",) and isinstance(value, str):
                yield value
            elif key in ("title", "submit", "close", "placeholder", "label") and isinstance(value, dict):
                continue  # plain_text only
            else:
                yield from mrkdwn_texts(value, top=False)
    elif isinstance(obj, list):
        for item in obj:
            yield from mrkdwn_texts(item, top=False)


def payloads(bot, answers: list) -> Iterator[tuple[str, Any]]:
    for a in answers:
        if a is not None and a.body.startswith("{"):
            yield "ack", a.json
    for c in bot.fake.calls:
        if c.method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url", "files.completeUploadExternal"):
            yield c.method, c.args
        elif c.method in ("views.open", "views.update", "views.push", "views.publish"):
            view = c.args.get("view")
            yield c.method, json.loads(view) if isinstance(view, str) else view


def unescaped(bot, answers: list) -> list[str]:
    users = set(PEOPLE.values()) | {"UBOT0001", "U0MALLORY"}  # people the bot knows (Mallory's name is hostile, her id is not)
    channels = {A_CHANNEL, B_CHANNEL, W.ELSEWHERE}
    bad = []
    for method, payload in payloads(bot, answers):
        for text in mrkdwn_texts(payload):
            for m in SEQUENCE.finditer(text):
                if not allowed_sequence(m.group(1), users, channels):
                    bad.append(f"{method}: <{m.group(1)}> in {text[max(0, m.start() - 80):m.end() + 40]!r}")
    return bad


def test_hostile_text_everywhere_is_shown_never_acted_on(bot):
    world = W.build(bot)
    fake = bot.fake
    fake.add_user("U0MALLORY", f"Mallory {SHORT}")  # a display name is typed by people too
    answers: list = []

    def cmd(text: str, user: str = W.ADMIN, channel: str = A_CHANNEL):
        answers.append(bot.command(text, user=user, channel=channel))

    def act(payload: dict[str, Any]):
        answers.append(bot.interactive(payload))

    # what people type, stored: the school's name, commitments, notes, feedback
    cmd(f"setup {SHORT} Elementary")
    cmd(f'commitments "{HOSTILE} reads" "Families {SHORT}"')
    cmd("notes start visit 2")
    thread = [c for c in fake.of("chat.postMessage") if "Notes for" in c.args["text"]][-1].response["ts"]
    reply(bot, f"C1: {HOSTILE}", thread_ts=thread, ts=ts_at("2021-11-02T12:30:00Z", 1), user=W.TEAM)
    reply(bot, f"C7: {HOSTILE} student 12345678", thread_ts=thread, ts=ts_at("2021-11-02T12:31:00Z", 2), user="U0MALLORY")
    reply(bot, f"general {HOSTILE}", thread_ts=thread, ts=ts_at("2021-11-02T12:32:00Z", 3), user=W.PRINCIPAL)
    # the message shortcut on a hostile message, from a channel no school uses
    msg = {"type": "message", "user": "U0MALLORY", "text": HOSTILE, "ts": ts_at("2021-11-02T12:40:00Z", 4)}
    act(W.shortcut(bot, W.ADMIN, W.ELSEWHERE, msg))
    form = [c for c in fake.of("views.open") if c.args["view"].get("callback_id") == "scep_save_note"][-1].args["view"]
    act(W.submission(W.ADMIN, "scep_save_note", form["private_metadata"],
                     {"school": W.select("note_school", world.a), "step": W.select("value", "2021-22|nysed-tsi-visits/visit-2"),
                      "commitment": W.select("value", "1")}))
    # the reviewer's feedback
    act(W.submission(W.REVIEWER, "scep_feedback", f"{world.a}|{world.key('priority levers')}|1||",
                     {"feedback": {"value": {"type": "plain_text_input", "value": f"Please fix {HOSTILE}\nand {SHORT}"}}}, sealed_by=bot))
    cmd("submit priority levers draft", user=W.PRINCIPAL)
    # forms with hostile fields
    act(W.submission(W.ADMIN, "scep_setup", A_CHANNEL, {"name": W.text_input(f"{SHORT} High"), "model": W.select("value", "TSI"),
                                                           "tz": W.text_input(SHORT), "year": W.text_input(SHORT)}, sealed_by=bot))
    act(W.submission(W.ADMIN, "scep_commitments", A_CHANNEL, {"c1": W.text_input(HOSTILE), "c2": W.text_input(SHORT)}, sealed_by=bot))
    act(W.submission(W.ADMIN, "scep_schedule", f"{world.a}|{world.key('visit 2')}|{A_CHANNEL}",
                     {"date": {"value": {"type": "datepicker", "selected_date": SHORT}}, "time": {"value": {"type": "timepicker", "selected_time": SHORT}}}, sealed_by=bot))
    # hostile words typed after every subcommand, and as the subcommand
    for verb in ("", "next", "timeline", "schools", "cycles", "help", "step", "checklist", "schedule", "schedule visit 2", "done", "undo",
                 "data", "data milestones ready", "meeting", "meeting fall", "submit", "submit priority levers", "notes", "notes start",
                 "commitments", "forget", "export", "export summary", "export year", "history", "roles", "roles team:", "setup model:",
                 "setup tz:", "setup year:", "setup cycles:", "done visit 1", "remind", "remind visit 2"):
        for word in (HOSTILE, SHORT):
            cmd(f"{verb} {word}".strip())
    for opt in ("opens", "before", "time", "quiet", "holiday", "unholiday", "district-holiday", "escalate", "closing", "morning-of"):
        for word in (HOSTILE.replace(" ", ""), SHORT):  # /scep remind's options
            cmd(f"remind visit 2 {opt}:{word}")
            cmd(f"remind {opt}:{word}")
    for word in (HOSTILE, SHORT):  # in a channel no school uses, and from someone who may not
        cmd(f"next {word}", channel=W.ELSEWHERE)
        cmd(f"done {word}", user=W.GUEST)
    # clicks carrying hostile values
    for action_id in ("ck_done", "sched_open", "home_checklist", "ck_current", "open_checklist", "rv_submit", "rv_approve", "rv_changes",
                      "roles_edit", "note_redact", "note_keep", "home_page", "ck_toggle_0", "nudge_done", "nudge_snooze"):
        for value in (HOSTILE, f"{world.a}|{HOSTILE}|draft", f"{world.a}|{world.key('visit 1')}|{SHORT}"):
            act(W.click(bot, W.ADMIN, {"action_id": action_id, "value": value, "block_id": value}, where=A_CHANNEL))
    # now everything that shows it: answers, the checklist, App Home, the digest, exports
    for text in ("next 20", "timeline", "schools", "step visit 2", "step priority levers", "checklist visit 1", "checklist visit 2",
                 "notes visit 2", "commitments", "roles", "history all", "export summary visit 2", "export year", "export calendar"):
        cmd(text)
    for role in ("admin", "liaison", "team", "reviewer", "district"):
        answers.append(bot.event(app_home_opened(PEOPLE[role])))
    act(W.click(bot, W.LIAISON, {"action_id": "home_checklist", "value": f"{world.a}|{world.key('visit 1')}"}, where=None))
    act(W.click(bot, W.REVIEWER, {"action_id": "rv_changes", "value": f"{world.a}|{world.key('priority levers')}|2"}, where="D0DIRECT1"))
    for note_key, note in bot.services.store.view(world.a).all("notes").items():
        if note.get("flags"):
            act(W.click(bot, W.ADMIN, {"action_id": "note_redact", "value": json.dumps({"s": world.a, "k": note_key})}, where=A_CHANNEL))
    from schedules.sweep.jobs import sweep

    # what the clock sends: nudges, notes prompts, the monthly digest, the weekly digest, escalations
    for instant in ("2021-11-02T14:05:00Z", "2021-11-08T13:05:00Z", "2021-11-15T14:05:00Z", "2021-11-27T14:05:00Z",
                    "2021-12-01T14:05:00Z", "2021-12-01T15:05:00Z", "2021-12-02T14:05:00Z", "2021-12-06T14:05:00Z"):
        sweep(bot.services, bot.app.client, bot.at(instant).now)
    nudged = [c for c in fake.of("chat.postMessage") if "nudge_done" in json.dumps(c.args)]
    assert nudged, "no nudge was sent: the clock's messages were not exercised"
    for c in nudged[:3]:  # and their buttons, clicked
        msg = {"type": "message", "ts": c.response["ts"], "text": c.args["text"], "blocks": c.args["blocks"], "user": "UBOT0001", "bot_id": "BBOT0001"}
        for el in [e for b in c.args["blocks"] if b.get("type") == "actions" for e in b["elements"]][:3]:
            act(W.click(bot, W.TEAM, {"action_id": el["action_id"], "value": el.get("value", ""), "block_id": "b"}, where=c.args["channel"], message=msg))
    # every surface was really exercised with the hostile values
    methods = {c.method for c in bot.fake.calls}
    assert {"chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.publish", "response_url",
            "files.completeUploadExternal"} <= methods
    posted = " ".join(c.args["text"] for c in bot.fake.of("chat.postMessage"))
    assert "monthly update" in posted and "ready for review" in posted
    saved = bot.services.store.view(world.a).all("notes").values()
    assert sum(1 for n in saved if "<!channel>" in n["text"]) >= 4  # stored as typed, shown escaped
    bad = unescaped(bot, answers)
    assert not bad, f"{len(bad)} control sequences from people's text reached Slack unescaped:\n" + "\n".join(bad[:40])
    # and the text itself is still shown, escaped
    everything = json.dumps([p for _, p in payloads(bot, answers)])
    assert "&lt;!channel&gt;" in everything and f"&lt;@{EVIL_USER}&gt;" in everything


def test_the_scanner_catches_what_it_should(bot):
    """The scan above can fail: an unescaped ping, a link and a stranger's mention are caught."""
    bot.fake.clear()
    bot.app.client.chat_postMessage(channel=A_CHANNEL, text="hi <!channel>", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "<https://evil.example|x>"}}])
    bot.app.client.views_publish(user_id=W.ADMIN, view={"type": "home", "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": f"<@{EVIL_USER}>"}]}]})
    bot.app.client.chat_postMessage(channel=A_CHANNEL, text="fine", blocks=[{"type": "header", "text": {"type": "plain_text", "text": "<!channel> as plain text is shown as is"}}])
    bad = unescaped(bot, [])
    assert len(bad) == 3 and "<!channel>" in bad[0] and "evil.example" in bad[1] and EVIL_USER in bad[2]
    assert allowed_sequence(f"@{W.ADMIN}", {W.ADMIN}, set()) and allowed_sequence(f"#{A_CHANNEL}", set(), {A_CHANNEL})
    assert TEAM_ID  # the fake's workspace


def test_what_the_bot_sends_stays_within_slacks_limits_with_hostile_values(bot):
    """The same hostile session: every message, modal and App Home is one Slack accepts."""
    from tests.blockkit import call_problems

    test_hostile_text_everywhere_is_shown_never_acted_on(bot)
    problems = [p for c in bot.fake.calls for p in call_problems(c.method, c.args)]
    assert not problems, "\n".join(sorted(set(problems))[:40])
