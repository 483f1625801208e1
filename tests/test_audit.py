"""The audit log from the outside: every kind of change to a school (setup, roles, dates,
completions, checklist ticks, commitments, notes) made through Slack shows in `/scep history`
with who, when (the school's local time) and what."""

from __future__ import annotations

from tests.harness import ADMIN, CHANNEL
from tests.notes_helpers import TEACHER, delete, edit, reply, start_prompt, ts_at
from tests.slack import tick

LIAISON = "U0LIAIS01"


def history_rows(bot, args: str = "all") -> list[str]:
    ans = bot.command(f"history {args}")
    assert ans.status == 200
    return [line for line in ans.text.splitlines() if " · " in line]


def row(rows: list[str], *needles: str) -> str:
    found = [r for r in rows if all(n in r for n in needles)]
    assert found, f"no history row with {needles}:\n" + "\n".join(rows)
    return found[0]


def test_every_kind_of_change_is_in_the_history_with_who_when_and_what(bot):
    bot.fake.add_user(LIAISON, "lia")
    bot.fake.add_user(TEACHER, "tess")
    bot.at("2021-10-04T13:00:00Z").setup("Lincoln Elementary model:TSI")
    bot.at("2021-10-04T13:05:00Z").command("setup Lincoln Elementary tz:America/Chicago")
    bot.at("2021-10-04T14:00:00Z").command(f"roles liaison:<@{LIAISON}>")
    bot.at("2021-10-05T14:00:00Z").command('commitments "Every student reads daily" "Family partnership"', user=LIAISON)
    bot.at("2021-10-06T14:00:00Z").command("schedule visit 2 December 8 2021 10am", user=LIAISON)
    bot.at("2021-10-06T14:30:00Z").command("schedule visit 2 December 9 2021 10am", user=LIAISON)
    bot.at("2021-10-06T15:00:00Z").command("schedule visit 2 cancel", user=LIAISON)
    bot.at("2021-10-07T14:00:00Z").command("data milestones ready Oct 20", user=LIAISON)
    bot.at("2021-10-08T14:00:00Z").command("done visit 1", user=LIAISON)
    bot.at("2021-10-08T14:10:00Z").command("undo visit 1")
    before = len(bot.fake.of("chat.postMessage"))
    bot.at("2021-10-09T14:00:00Z").command("checklist visit 2", user=LIAISON)
    post = bot.fake.of("chat.postMessage")[before]
    msg, ts = {"text": post.args["text"], "blocks": post.args["blocks"]}, post.response["ts"]
    first = [o["value"] for o in next(b for b in msg["blocks"] if b.get("type") == "actions")["elements"][0]["options"]][:1]
    bot.at("2021-10-09T14:05:00Z").interactive(tick(bot.fake, msg, CHANNEL, ts, 0, first, user=LIAISON))
    # notes: the prompt, a reply saved, edited, deleted; then the step's notes forgotten
    thread = start_prompt(bot.at("2021-10-12T14:00:00Z"), "visit 1")
    note_ts = ts_at("2021-10-12T14:10:00Z", 1)
    bot.at("2021-10-12T14:10:00Z")
    reply(bot, "C2: families came to literacy night", thread_ts=thread, ts=note_ts)
    bot.at("2021-10-12T14:20:00Z")
    edit(bot, "C2: families and grandparents came", thread_ts=thread, ts=note_ts)
    other_ts = ts_at("2021-10-12T14:30:00Z", 2)
    bot.at("2021-10-12T14:30:00Z")
    reply(bot, "general note", thread_ts=thread, ts=other_ts)
    bot.at("2021-10-12T14:40:00Z")
    delete(bot, thread_ts=thread, ts=other_ts)
    bot.at("2021-10-13T14:00:00Z").command("forget visit 1", user=LIAISON)
    bot.at("2021-10-13T15:00:00Z").command("remind visit 2 closing:5 midpoint:off", user=LIAISON)
    bot.at("2021-10-13T15:10:00Z").command("remind holiday:2021-12-24..2021-12-31", user=LIAISON)

    rows = history_rows(bot.at("2021-10-14T14:00:00Z"))
    # who · when (Central time: the school's zone after the change) · what
    assert row(rows, f"<@{ADMIN}>", "Mon Oct 4 2021, 8:00 AM CDT", "setup")
    assert row(rows, f"<@{ADMIN}>", "setup changed", "tz=America/Chicago")
    assert row(rows, f"<@{ADMIN}>", "Mon Oct 4 2021, 9:00 AM CDT", "roles", f"liaison: <@{LIAISON}>")
    assert row(rows, f"<@{LIAISON}>", "commitments", "C1 “Every student reads daily”", "C2 “Family partnership”")
    assert row(rows, f"<@{LIAISON}>", "Wed Oct 6 2021, 9:00 AM CDT", "scheduled", "nysed-tsi-visits/visit-2", "for Wed Dec 8 2021, 10:00 AM CST")
    assert row(rows, f"<@{LIAISON}>", "scheduled", "for Thu Dec 9 2021, 10:00 AM CST · was Wed Dec 8 2021, 10:00 AM CST")
    assert row(rows, f"<@{LIAISON}>", "unscheduled", "was Thu Dec 9 2021, 10:00 AM CST")
    assert row(rows, f"<@{LIAISON}>", "anchor", "date 2021-10-20")
    assert row(rows, f"<@{LIAISON}>", "Fri Oct 8 2021, 9:00 AM CDT", "done", "nysed-tsi-visits/visit-1")
    assert row(rows, f"<@{ADMIN}>", "undone", "nysed-tsi-visits/visit-1", "labels held")
    assert row(rows, f"<@{LIAISON}>", "Sat Oct 9 2021, 9:05 AM CDT", "checklist", "ticked “Invite: ")
    assert row(rows, "notes prompt", "nysed-tsi-visits/visit-1")
    assert row(rows, f"<@{TEACHER}>", "Tue Oct 12 2021, 9:10 AM CDT", "note saved", "C2", "(thread reply)")
    assert row(rows, f"<@{TEACHER}>", "9:20 AM CDT", "note edited")
    assert row(rows, "slack", "9:40 AM CDT", "note deleted", f"written by <@{TEACHER}>", "(message deleted in Slack)")
    assert row(rows, f"<@{LIAISON}>", "notes forgotten", "1 notes deleted")
    assert row(rows, f"<@{LIAISON}>", "Wed Oct 13 2021, 10:00 AM CDT", "nudges", "closing")
    assert row(rows, f"<@{LIAISON}>", "nudges", "school holidays: + 2021-12-24")
    assert not any("['" in r for r in rows)  # lists are shown as words, not Python
    # the note's words are never copied into the audit log (notes may name students)
    assert not any("literacy night" in r or "grandparents" in r for r in rows)
    # a step's history keeps only its own entries
    visit1 = history_rows(bot, "visit 1 all")
    assert any("note saved" in r for r in visit1) and not any("scheduled" in r for r in visit1)


def test_notes_read_back_by_the_backfill_are_audited(bot):
    """Replies written while the bot was down are saved at start-up: the history says so."""
    from handlers.notes_backfill import backfill

    bot.fake.add_user(TEACHER, "tess")
    bot.setup("Lincoln Elementary model:TSI")
    thread = start_prompt(bot, "visit 1")
    bot.fake.add_reply(CHANNEL, thread, TEACHER, "missed while down", ts=ts_at("2021-11-02T13:30:00Z", 3))
    res = backfill(bot.services, bot.app.client)
    assert len(res.saved) == 1
    assert row(history_rows(bot), f"<@{TEACHER}>", "note saved", "(read back from the thread)")
