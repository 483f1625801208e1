"""/scep through the real Bolt app: signed slash-command requests, answers and Web API calls."""

from __future__ import annotations

from tests.harness import ADMIN, CHANNEL, Bot


def test_unlinked_channel_is_told_how_to_link(bot):
    ans = bot.command("next")
    assert ans.status == 200
    assert ans.json["response_type"] == "ephemeral"
    assert "isn't linked to a school yet" in ans.text
    assert "/scep setup &lt;school name&gt;" in ans.text  # escaped: Slack shows <school name>


def test_setup_then_next_gives_the_open_visit_window(bot):
    bot.setup("Lincoln Elementary model:TSI")
    # setup writes: it acks empty and answers through the response_url
    reply = bot.last_response_text()
    assert "Lincoln Elementary" in reply and "(TSI)" in reply
    assert bot.responses()[-1]["response_type"] == "in_channel"

    ans = bot.at("2021-11-02T13:00:00Z").command("next")
    text = ans.text
    assert "SCEP Support Visit 1" in text
    assert "open until Tue Nov 30 2021 (28 days left)" in text
    # then visit 2's window; a TSI school in 2021-22 follows that year's edition: the visits
    # only, never the 2024-25 planning sessions stacked on top (issue 11, item 3)
    assert text.index("Visit 1") < text.index("SCEP Support Visit 2")
    assert "Planning Session 1" not in text
    assert "Wed Dec 1 2021 – Fri Dec 31 2021 (opens in 29 days)" in text
    assert "Owner: liaison" in text


def test_next_counts_and_bad_counts(bot):
    bot.setup()
    assert bot.command("next 1").text.count("Owner:") == 1
    assert bot.command("next 5").text.count("Owner:") == 5
    for bad in ("next 0", "next 99", "next soon", "next 1 2"):
        ans = bot.command(bad)
        assert ans.json["response_type"] == "ephemeral"
        assert "/scep next 5" in ans.text, bad


def test_overdue_comes_first(bot):
    bot.setup("PS 7 model:TSI cycles:nysed-tsi-visits")
    ans = bot.at("2022-01-10T14:00:00Z").command("next 3")
    text = ans.text
    assert text.index("SCEP Support Visit 1") < text.index("SCEP Support Visit 2") < text.index("SCEP Support Visit 3")
    assert "not marked done" in text
    assert "open until Mon Feb 28 2022 (49 days left)" in text


def test_deadlines_show_local_time_zone_and_days_left(bot):
    bot.setup("Brightwood cycles:sezp-planning")
    ans = bot.at("2022-04-29T14:00:00Z").command("next 10")
    assert "Priority Levers Form (DRAFT)" in ans.text
    # the January data review was never marked done: overdue, listed before what is upcoming
    assert ans.text.index("Mid-year data review") < ans.text.index("Priority Levers Form (DRAFT)")
    assert "due Fri May 6 2022, 4:00 PM EDT (in 7 days)" in ans.text


def test_setup_rejects_bad_values_with_the_valid_choices(bot):
    cases = {
        "setup X model:QSI": "Choose one of: CSI, ATSI, TSI",
        "setup X cycles:nope": "Available:",
        "setup X year:2021": "2026-27",
        "setup X tz:Mars/Olympus": "America/New_York",
        "setup X colour:red": "Options:",
        "setup model:TSI": "Give the school a name",
    }
    for text, expected in cases.items():
        bot.fake.clear()
        bot.command(text)
        reply = bot.last_response_text()
        assert expected in reply, (text, reply)
        assert bot.responses()[-1]["response_type"] == "ephemeral"
    # nothing was created by the bad set-ups
    assert bot.services.store.school_ids() == []


def test_setup_again_updates_the_school(bot):
    bot.setup("Lincoln Elementary model:TSI")
    bot.setup("Lincoln Elementary School tz:America/Chicago year:2026-27")
    store = bot.services.store
    assert len(store.school_ids()) == 1
    entry = store.index_entry(store.school_ids()[0])
    assert entry["name"] == "Lincoln Elementary School" and entry["channel_id"] == CHANNEL
    ans = bot.at("2026-09-01T14:00:00Z").command("next 1")
    assert "CDT" in ans.text or "2026" in ans.text
    assert "2026-27" in ans.text


def test_setup_without_arguments_opens_a_modal_and_its_submission_saves(bot):
    ans = bot.command("setup")
    assert ans.status == 200
    opened = bot.fake.of("views.open")
    assert len(opened) == 1
    view = opened[0].args["view"]
    assert view["callback_id"] == "scep_setup" and Bot.unseal(view["private_metadata"]) == CHANNEL
    values = {
        "name": {"value": {"type": "plain_text_input", "value": "Roosevelt Middle"}},
        "model": {"value": {"type": "static_select", "selected_option": {"value": "ATSI"}}},
        "cycles": {"value": {"type": "multi_static_select", "selected_options": []}},
        "year": {"value": {"type": "plain_text_input", "value": "2021"}},
        "tz": {"value": {"type": "plain_text_input", "value": "America/New_York"}},
    }
    payload = {"type": "view_submission", "team": {"id": "T0DEMO001"}, "user": {"id": ADMIN, "team_id": "T0DEMO001"},
               "view": {**view, "state": {"values": values}}, "trigger_id": "t"}
    bad = bot.interactive(payload)
    assert bad.json["response_action"] == "errors" and "2026-27" in bad.json["errors"]["year"]
    assert bot.services.store.school_ids() == []
    values["year"]["value"]["value"] = ""
    good = bot.interactive(payload)
    assert good.status == 200 and good.body == ""
    posted = bot.fake.wait_for("chat.postMessage")
    assert posted and "Roosevelt Middle" in posted[-1].args["text"] and posted[-1].args["channel"] == CHANNEL


def test_timeline_shows_every_step_with_status(bot):
    bot.setup("PS 7 cycles:nysed-tsi-visits")
    ans = bot.at("2021-12-15T15:00:00Z").command("timeline")
    text = ans.text
    for n in range(1, 6):
        assert f"SCEP Support Visit {n}" in text
    assert "overdue" in text and "open" in text and "upcoming" in text
    past = bot.command("timeline 2019-20").text
    assert "2019-20" in past and "Tue Oct 1 2019" in past
    assert "2026-27" in bot.command("timeline 2020").text


def test_schools_lists_every_school_with_its_next_item(bot):
    bot.setup("Lincoln Elementary")
    bot.setup("Adams High model:CSI", channel="C0SCHOOL2")
    text = bot.command("schools").text
    assert "2 schools" in text
    assert text.index("Adams High") < text.index("Lincoln Elementary")
    assert "<#C0SCHOOL2>" in text and "CSI" in text
    assert "SCEP Support Visit 1" in text


def test_cycles_and_help(bot):
    text = bot.command("cycles").text
    for cid in ("nysed-tsi-visits", "nysed-planning-sessions", "sezp-planning", "district-plan-review"):
        assert cid in text
    help_text = bot.command("help").text
    assert "/scep setup" in help_text and "/scep next" in help_text and "/scep timeline" in help_text
    unknown = bot.command("frobnicate")
    assert "I don't know `/scep frobnicate`" in unknown.text and unknown.json["response_type"] == "ephemeral"
    assert "/scep next" in bot.command("").text


def test_user_text_is_escaped(bot):
    bot.setup("<!channel> School &amp; <@U999>")
    reply = bot.last_response_text()
    assert "<!channel>" not in reply and "&lt;!channel&gt;" in reply
    assert "<@U999>" not in bot.command("schools").text


def test_a_failure_inside_a_listener_gets_an_apology_with_an_error_id(bot, tmp_path, caplog):
    bot.setup()
    schools = tmp_path / "data" / "schools"
    before = {p.name: p.read_bytes() for p in schools.iterdir()}
    # the disk goes away under the bot: its school folder is no longer a folder
    schools.rename(tmp_path / "data" / "schools.moved")
    schools.write_text("not a folder")
    bot.command("setup New Name")
    reply = bot.last_response_text()
    assert "Sorry, something went wrong" in reply and "Error id `" in reply
    eid = reply.split("Error id `")[1].split("`")[0]
    assert any(eid in r.getMessage() and "Traceback" in r.getMessage() for r in caplog.records)
    # the process lives on, and nothing was half-written
    schools.unlink()
    (tmp_path / "data" / "schools.moved").rename(schools)
    assert {p.name: p.read_bytes() for p in schools.iterdir()} == before
    assert "Lincoln Elementary" in bot.command("next").text


def test_a_command_with_the_word_payload_is_not_lost(bot):
    """Bolt takes any form body holding the word "payload" for an interactive payload and drops it;
    the edge (handlers/dispatch.py) parses it as the slash command it is."""
    bot.setup("PS 7 cycles:nysed-tsi-visits")
    for text in ("notes payload", "help payload", "timeline payload=1"):
        ans = bot.command(text)
        assert ans.status == 200, (text, ans.status, ans.body[:200])
        assert ans.body or bot.responses(), f"/scep {text}: nothing answered"
    assert "payload" in bot.command("notes payload").text + "\n".join(r.get("text", "") for r in bot.responses())
