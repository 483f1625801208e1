"""Every word of the documents reaches people (issue 11, items 5 and 6), through the real Bolt
app: visit 4's "Option 1 or Option 2" is one radio choice that counts once; optional boxes are
marked and not counted; the cycle files' ``scheduling`` and ``notes`` are shown by ``/scep step``
and the checklist; dates the document does not give say they are defaults. Schools are set up
with explicit cycles (the default cycles of a model follow the edition in force)."""

from __future__ import annotations

from bot.calendar.cycle_files import parse_cycle
from bot.calendar.cycles import CycleError
from bot.store.schema import STEP_KIND
from tests.harness import CHANNEL
from tests.slack import checkbox_blocks, message_click, options_of, tick


def _post(bot, text):
    before = len(bot.fake.of("chat.postMessage"))
    assert bot.command(text).status == 200
    posts = bot.fake.of("chat.postMessage")
    assert len(posts) == before + 1, bot.last_response_text()
    return {"text": posts[-1].args["text"], "blocks": posts[-1].args["blocks"]}, posts[-1].response["ts"]


def _radio(blocks):
    found = [(b, e) for b in blocks if b.get("type") == "actions" for e in b["elements"] if e.get("type") == "radio_buttons"]
    assert len(found) == 1, f"{len(found)} radio elements"
    return found[0]


def _pick(bot, msg, ts, k):
    """A click on option ``k`` of the message's choice, as Slack sends a radio_buttons action."""
    block, el = _radio(msg["blocks"])
    payload = message_click(bot.fake, msg, CHANNEL, ts, {"action_id": el["action_id"], "block_id": block["block_id"], "type": "radio_buttons"})
    act = payload["actions"][0]
    act.pop("value", None)
    act.pop("text", None)
    act["selected_option"] = el["options"][k]
    payload["state"] = {"values": {block["block_id"]: {el["action_id"]: {"type": "radio_buttons", "selected_option": el["options"][k]}}}}
    return bot.interactive(payload)


def _doc(bot, key):
    store = bot.services.store
    return store.view(store.school_ids()[0]).get(STEP_KIND, key) or {}


def _context_text(blocks):
    return "\n".join(e.get("text", "") for b in blocks if b["type"] == "context" for e in b["elements"])


def test_visit_4_option_1_or_option_2_is_one_choice_that_counts_once(bot):
    bot.at("2022-03-10T15:00:00Z")
    bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits")
    msg, ts = _post(bot, "checklist visit 4")
    block, el = _radio(msg["blocks"])
    texts = [o["text"]["text"] for o in el["options"]]
    assert len(texts) == 2 and texts[0].startswith("Option 1: conversation between the District staff and the Principal")
    assert texts[1].startswith("Option 2: discussion between the District staff and the SCEP Development")
    assert all(len(t) <= 75 for t in texts) and "initial_option" not in el
    # the options' full words are shown beside them
    assert "assist the team in reflecting on what it learned this year" in _context_text(msg["blocks"])
    boxes = [o["text"]["text"] for b in checkbox_blocks(msg["blocks"]) for o in b["elements"][0]["options"]]
    assert not any("Option 1:" in t or "Option 2:" in t for t in boxes)  # no longer two sets of boxes
    required = len(boxes) + 1  # the boxes and the one choice
    assert f"0/{required} done" in msg["text"]

    assert _pick(bot, msg, ts, 1).status == 200
    tick_doc = _doc(bot, "2021-22:nysed-tsi-visits/visit-4")["checklist"]["ticks"]
    assert [t["choice"] for t in tick_doc.values()] == [1]
    up = bot.fake.of("chat.update")[-1].args
    assert up["ts"] == ts and f"1/{required} done" in up["text"]
    _, el2 = _radio(up["blocks"])
    assert el2["initial_option"]["value"] == el["options"][1]["value"]
    assert "<@U0ADMIN01>" in el2["initial_option"]["description"]["text"]

    # changing one's mind: the other option, still counted once
    updated = {"text": up["text"], "blocks": up["blocks"]}
    _pick(bot, updated, ts, 0)
    up = bot.fake.of("chat.update")[-1].args
    assert f"1/{required} done" in up["text"]
    assert _radio(up["blocks"])[1]["initial_option"]["value"] == el["options"][0]["value"]
    assert [t["choice"] for t in _doc(bot, "2021-22:nysed-tsi-visits/visit-4")["checklist"]["ticks"].values()] == [0]


def test_optional_boxes_are_marked_and_do_not_hold_back_the_count(bot):
    bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits")
    msg, ts = _post(bot, "checklist visit 1")
    boxes = [o for b in checkbox_blocks(msg["blocks"]) for o in b["elements"][0]["options"]]
    optional = [o for o in boxes if o["text"]["text"].split(". ", 1)[1].startswith("Optional")]
    assert len(optional) == 1 and "Visits to classrooms" in optional[0]["text"]["text"]
    assert f"0/{len(boxes) - 1} done" in msg["text"]
    # every required box ticked: n/n done, the optional one left unticked
    current = msg
    for n in range(len(checkbox_blocks(msg["blocks"]))):
        values = [v for v in options_of(current, n) if v != optional[0]["value"]]
        bot.interactive(tick(bot.fake, current, CHANNEL, ts, n, values))
        up = bot.fake.of("chat.update")[-1].args
        current = {"text": up["text"], "blocks": up["blocks"]}
    n = len(boxes) - 1
    assert f"{n}/{n} done" in current["text"]
    assert f"*{n}/{n} done* (optional: 0/1, not counted)" in _context_text(current["blocks"])


def test_step_shows_the_documents_scheduling_and_notes(bot):
    bot.at("2022-01-10T15:00:00Z")
    bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits")
    text = bot.command("step visit 3").text
    assert "Districts should wait until that data is available so that a more in-depth reflection can occur" in text
    assert "When:" in text
    msg, _ = _post(bot, "checklist visit 3")
    assert "Districts should wait until that data is available" in _context_text(msg["blocks"])


def test_sezp_checklists_carry_the_tlt_vote_mybudgetfile_and_the_calendar_tool(bot):
    bot.at("2022-02-01T15:00:00Z")
    bot.setup("Brightwood cycles:sezp-planning")
    msg, _ = _post(bot, "checklist working conditions")
    boxes = "\n".join(o["text"]["text"] for b in checkbox_blocks(msg["blocks"]) for o in b["elements"][0]["options"])
    assert "Hold the TLT vote on the Educator Working Conditions" in boxes
    assert "collective bargaining agreement" in _context_text(msg["blocks"])  # the full box and the notes
    msg, _ = _post(bot, "checklist sps optional services")
    boxes = "\n".join(o["text"]["text"] for b in checkbox_blocks(msg["blocks"]) for o in b["elements"][0]["options"])
    assert "Make the selections directly in MyBudgetFile" in boxes and "balanced" in boxes
    msg, _ = _post(bot, "checklist calendars")
    assert "online calendar tool in the school planning folder" in str(msg["blocks"])
    text = bot.command("step planning check-ins").text
    assert "Every two weeks during school planning" in text and "SEZP operations team" in text


def test_dates_the_document_does_not_give_say_they_are_defaults(bot):
    bot.at("2022-02-01T15:00:00Z")
    bot.setup("Brightwood cycles:sezp-planning")
    text = bot.command("step sps optional services").text
    assert "due Tue Mar 1 2022, 4:00 PM EST (default: the document gives no time)" in text
    # the document's own 4pm is not labelled
    assert "due Fri May 6 2022, 4:00 PM EDT (" in bot.command("step priority levers").text
    assert "default" not in bot.command("step priority levers").text.split("Priority Levers Form (DRAFT)")[1].split("\n")[0]
    bot.at("2024-09-10T15:00:00Z")
    bot.setup("Riverside cycles:nysed-planning-sessions", channel="C0RIVER01")
    text = bot.command("step session 3", channel="C0RIVER01").text
    assert "(default: the document gives no date for Session 3)" in text
    assert "default" not in bot.command("step session 1", channel="C0RIVER01").text.split("\n")[1]
    text = bot.command("timeline", channel="C0RIVER01").text
    assert "(default: the document gives no date for Session 5)" in text


BASE = """id: mine
title: Mine
reference_year: 2025-26
steps:
  - id: v1
    title: Visit 1
    kind: visit
    owner: liaison
    window: {opens: 2025-10-01, closes: 2025-10-31}
"""


def test_cycles_check_names_a_bad_choice_or_task():
    one = BASE + "    choices:\n      - title: Who\n        options: [only one]\n"
    try:
        parse_cycle(one, "mine.yaml")
        raise AssertionError("a choice of one option passed")
    except CycleError as exc:
        assert "mine.yaml:12: step 'v1' field 'choices.0.options'" in str(exc) and "at least 2" in str(exc)
    typo = BASE + "    tasks:\n      - {text: Vote, optinal: true}\n"
    try:
        parse_cycle(typo, "mine.yaml")
        raise AssertionError("a typo passed")
    except CycleError as exc:
        assert "step 'v1' field 'tasks.0.optinal'" in str(exc)
    ok = parse_cycle(BASE + "    default: the district sets it\n    tasks: [Vote, {text: Snacks, optional: true, phase: after}]\n", "mine.yaml")
    assert [(t.text, t.optional, t.phase) for t in ok.steps[0].tasks] == [("Vote", False, "during"), ("Snacks", True, "after")]


def test_nudges_carry_the_documents_word_where_it_changes_what_to_do(bot):
    from tests.nudge_driver import Driver, utc

    bot.at("2022-02-10T15:00:00Z")
    bot.setup("Brightwood cycles:sezp-planning year:2022-23")
    d = Driver(bot)
    d.run(utc("2022-02-14T12:00:00Z"), utc("2022-03-02T12:00:00Z"))
    sps = [p for p in d.posts if any("sezp-planning/optional-services-sps" in k for k, _ in p.nudges)]
    assert sps, [p.nudges for p in d.posts]
    for p in sps:
        notes = _context_text(p.blocks)
        assert ":information_source: Selections are made directly in MyBudgetFile; keep the budget balanced." in notes
    ahead = [p for p in sps if "is due Tue Mar 1 2022" in p.text]
    assert ahead and "(default: the document gives no time)" in ahead[0].text


def _say(bot, text, user=None):
    """The answer to a /scep command (sent in the response or to its response_url)."""
    ans = bot.command(text, **({"user": user} if user else {}))
    return ans.text if ans.body else bot.last_response_text()


def test_a_district_changes_a_default_from_slack_and_every_view_and_nudge_follows(bot, fake):
    from tests.nudge_driver import DISTRICT, Driver, add_people, give_roles, utc

    add_people(fake)
    bot.at("2022-02-01T15:00:00Z")
    bot.setup("Brightwood cycles:sezp-planning year:2022-23")
    give_roles(bot)
    listed = _say(bot, "dates")
    assert "SPS Optional Services" in listed and "(default: the document gives no time)" in listed
    assert "Priority Levers" not in listed  # the document's own dates are not defaults
    # only a workspace admin or the district admin; the document's own dates are refused
    assert "Only workspace admins and the district admin" in _say(bot, "dates sps optional services due 3pm", user="U0TEAMONE")
    assert "is the document's own, not a default" in _say(bot, "dates priority levers draft 3pm", user=DISTRICT)
    assert "neither a date" in _say(bot, "dates sps optional services due soonish", user=DISTRICT)
    said = _say(bot, "dates sps optional services due 3:00 PM", user=DISTRICT)
    assert "District dates: SPS Optional Services: due 15:00" in said
    assert bot.responses()[-1].get("response_type") == "in_channel"  # the channel is told
    text = bot.command("step sps optional services").text
    assert "due Tue Mar 1 2022, 3:00 PM EST" in text and "default: the document gives no time" not in text
    assert "the district's, by <@U0DISTRCT>" in _say(bot, "dates")
    # the nudges follow: the morning-of reminder says 3pm
    d = Driver(bot)
    d.run(utc("2022-03-01T12:00:00Z"), utc("2022-03-01T16:00:00Z"))
    due = [p.text for p in d.posts if any("optional-services-sps" in k for k, _ in p.nudges)]
    assert any("due today at 3:00 PM EST" in t for t in due), due
    # back to the default
    assert "back to the default dates" in _say(bot, "dates sps optional services reset", user=DISTRICT)
    assert "due Tue Mar 1 2022, 4:00 PM EST (default: the document gives no time)" in bot.command("step sps optional services").text


def test_a_district_sets_a_sessions_window_for_this_year_and_it_carries(bot, fake):
    from tests.nudge_driver import DISTRICT, add_people, give_roles

    add_people(fake)
    bot.at("2024-09-10T15:00:00Z")
    bot.setup("Riverside cycles:nysed-planning-sessions")
    give_roles(bot)
    assert "A window of more than a year" in _say(bot, "dates session 3 window 2025-03-10..2026-04-04", user=DISTRICT)
    assert "first and last day" in _say(bot, "dates session 3 window 2025-03-10", user=DISTRICT)
    assert "closes before it opens" in _say(bot, "dates session 3 window 2025-04-04..2025-03-10", user=DISTRICT)
    assert "does not exist" in _say(bot, "dates session 3 window 2025-02-30..2025-03-10", user=DISTRICT)
    assert "is the document's own" in _say(bot, "dates session 1 window 2024-10-01..2024-10-31", user=DISTRICT)
    bot.command("dates session 3 window 2025-03-10..2025-04-04", user=DISTRICT)
    text = bot.command("step session 3").text
    assert "window Mon Mar 10 2025 – Fri Apr 4 2025" in text and "(default:" not in text
    # the next year carries the district's month and day
    assert "window Tue Mar 10 2026 – Sat Apr 4 2026" in bot.command("timeline 2025-26").text
