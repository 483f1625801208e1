"""The notes prompt and monthly digest providers (through the outbox), the exports (DOCX read back
with python-docx, ICS parsed back with icalendar, CSV), from Slack and from the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
from docx import Document
from icalendar import Calendar

from bot.calendar import dates
from bot.core.schools import SchoolState
from bot.core.steps import mark_done, resolve, set_schedule
from bot.root.cli import main as cli_main
from bot.store.schema import PROFILE
from schedules.sweep.providers import OUTBOX
from tests.harness import ADMIN, CHANNEL
from tests.notes_helpers import (
    LIAISON,
    PRINCIPAL,
    TEACHER,
    reply,
    school,
    start_prompt,
    sweep,
    ts_at,
)

VISIT1 = "nysed-tsi-visits/visit-1"


def schedule(bot, sid, step, at, *, done_at=None):
    store = bot.services.store
    state = SchoolState.read(store.view(sid))
    ref = resolve(state, bot.services.library, bot.now, step)
    with store.transaction(sid) as tx:
        if at:
            set_schedule(tx, ref, dates.parse_instant(at), ADMIN, bot.now)
        if done_at:
            mark_done(tx, ref, None, ADMIN, dates.parse_instant(done_at))


def due_keys(bot, sid, now=None):
    state = SchoolState.read(bot.services.store.view(sid))
    return [o.key for o in OUTBOX.due(state, bot.services.library, now or bot.now) if o.kind == "notes-prompt"]


def held_visit(bot):
    """Lincoln: visit 1 scheduled Wed Nov 3 2021 9:00 EDT; the sweep posts the prompt after it."""
    bot.fake.add_user(TEACHER, "Tia Teacher")
    bot.fake.add_user(LIAISON, "Lee Liaison")
    bot.fake.add_user(PRINCIPAL, "Pat Principal")
    bot.at("2021-10-20T13:00:00Z")
    sid = school(bot)
    bot.command(f"roles liaison:<@{LIAISON}> principal:<@{PRINCIPAL}>")
    schedule(bot, sid, "visit 1", "2021-11-03T13:00:00Z")
    return sid


# ---------------------------------------------------------------- the notes prompt provider


def prompts_sent(bot, at):
    return [o for o in sweep(bot, dates.parse_instant(at)) if o.kind == "notes-prompt"]


def test_the_prompt_comes_once_the_school_day_after_the_visit_is_held(bot):
    # visit 1 is held Wed Nov 3 at 9:00 EDT; the prompt comes Thu Nov 4 at the nudge hour, 9:00
    sid = held_visit(bot)
    assert prompts_sent(bot, "2021-11-03T18:00:00Z") == []
    assert prompts_sent(bot, "2021-11-04T12:59:00Z") == []
    sent = prompts_sent(bot, "2021-11-04T13:00:00Z")
    assert len(sent) == 1 and sent[0].due_at == dates.parse_instant("2021-11-04T13:00:00Z")
    post = next(c.args for c in bot.fake.of("chat.postMessage") if "Notes for" in c.args["text"])
    assert post["channel"] == CHANNEL and "Notes for SCEP Support Visit 1" in post["text"] and "Held Wed Nov 3 2021." in post["text"]
    assert f"<@{LIAISON}>" in post["text"]  # the visit's owner is called on to answer
    prompts = bot.services.store.view(sid).all("prompts")
    (pkey, prompt), = prompts.items()
    assert prompt["source"] == "auto" and prompt["commitments"][0] == "Every student reads daily"
    # a reply in the thread the sweep opened is captured
    thread = prompt["ts"]
    bot.at("2021-11-04T15:00:00Z")
    reply(bot, "C3: the data team meets weekly", thread_ts=thread, ts=ts_at("2021-11-04T15:00:00Z", 1))
    assert len(bot.services.store.view(sid).all("notes")) == 1
    # once: the next sweep, or moving the visit afterwards, brings no second prompt
    assert prompts_sent(bot, "2021-11-04T13:05:00Z") == []
    schedule(bot, sid, "visit 1", "2021-11-08T14:00:00Z")
    assert prompts_sent(bot, "2021-11-09T14:00:00Z") == []


def test_marking_done_brings_the_prompt_and_a_manual_prompt_replaces_it(bot):
    bot.at("2021-12-06T15:00:00Z")
    sid = school(bot)
    schedule(bot, sid, "visit 2", None, done_at="2021-12-06T14:00:00Z")
    assert [k for k in due_keys(bot, sid) if "visit-2/notes-prompt" in k]  # due Tue Dec 7, 9:00 EST
    start_prompt(bot, "visit 2")  # someone was quicker
    assert not [k for k in due_keys(bot, sid) if "visit-2/notes-prompt" in k]
    assert prompts_sent(bot, "2021-12-07T14:00:00Z") == []
    # a visit neither scheduled nor done gets no prompt
    assert not any("visit-3" in k for k in due_keys(bot, sid, dates.parse_instant("2022-03-01T15:00:00Z")))


# ---------------------------------------------------------------- exports


def visit_with_notes(bot):
    sid = held_visit(bot)
    bot.at("2021-11-03T18:00:00Z")
    thread = start_prompt(bot, "visit 1")
    texts = ["C1: Reading blocks happen daily in grades 3-5.", "C1: Teachers want more leveled texts.",
             "C2: Families came to the literacy night.", "C3: The data team meets weekly; <@U0TEACH01> leads it.",
             "C3: Benchmarks are in by January.", "Overall the SCEP is on track."]
    for i, t in enumerate(texts):
        reply(bot, t, thread_ts=thread, ts=ts_at(f"2021-11-03T18:{10 + i:02d}:00Z", i), user=[TEACHER, PRINCIPAL, LIAISON][i % 3])
    return sid, thread


def test_summary_docx_is_laid_out_like_the_support_visit_template(bot):
    visit_with_notes(bot)
    bot.command("export summary visit 1")
    assert "Uploading" in bot.last_response_text()
    files = {f["filename"]: f for f in bot.fake.uploaded()}
    docx_name = "SCEP-Support-Visit-Summary-Lincoln-Elementary-SCEP-Support-Visit-1-2021-22.docx"
    assert set(files) == {docx_name, docx_name.replace(".docx", ".md")}
    assert files[docx_name]["channel"] == CHANNEL
    doc = Document(io.BytesIO(files[docx_name]["data"]))
    table = {r.cells[0].text: r.cells[1].text for r in doc.tables[0].rows}
    assert table["School"] == "Lincoln Elementary" and table["Support model"] == "TSI"
    assert table["Visit"] == "SCEP Support Visit 1 (2021-22)" and table["Date"] == "Wed Nov 3 2021"
    assert "District staff (to lead the discussion)" in table["Participants"] and "Principal" in table["Participants"]
    assert table["Notes from"] == "Tia Teacher, Pat Principal, Lee Liaison"
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Commitment 1: Every student reads daily", "Commitment 2: Family partnership",
                        "Commitment 3: Data-driven instruction", "General notes"]
    body = [p.text for p in doc.paragraphs]
    c1 = body.index("Commitment 1: Every student reads daily")
    assert body[c1 + 1] == "Reading blocks happen daily in grades 3-5."  # the tag is dropped
    assert body[c1 + 2].startswith("— Tia Teacher, Wed Nov 3 2021, 2:10 PM EDT")
    assert "The data team meets weekly; @Tia Teacher leads it." in body  # markup made plain
    md = files[docx_name.replace(".docx", ".md")]["data"].decode()
    assert md.startswith("# SCEP Support Visit Summary") and "## Commitment 2: Family partnership" in md
    assert "| Date | Wed Nov 3 2021 |" in md


def test_export_of_a_step_with_no_notes_says_so_and_uploads_nothing(bot):
    bot.at("2021-11-03T18:00:00Z")
    school(bot)
    bot.command("export summary visit 2")
    assert "has no notes yet, so there is nothing to summarize" in bot.last_response_text()
    assert bot.fake.uploaded() == []
    bot.command("export summary")
    assert "/scep export summary visit 1" in bot.last_response_text()
    bot.command("export nonsense")
    assert "`summary &lt;step&gt;`, `year`, `calendar` or `month`" in bot.last_response_text()  # escaped for Slack
    bot.command("export year 2021")
    assert "2026-27" in bot.last_response_text()


def test_a_failed_upload_is_told(bot):
    visit_with_notes(bot)
    bot.fake.fail_next("files.completeUploadExternal", error="not_in_channel")
    bot.command("export summary visit 1 docx")
    assert "I couldn't upload" in bot.last_response_text() and "/invite @scep-bot" in bot.last_response_text()


def test_year_csv_has_every_step_with_status_who_and_notes(bot):
    sid, _ = visit_with_notes(bot)
    schedule(bot, sid, "visit 1", None, done_at="2021-11-03T16:00:00Z")
    bot.command("export year")
    data = bot.fake.uploaded()[-1]
    assert data["filename"] == "Lincoln-Elementary-current-year.csv"
    rows = list(csv.DictReader(io.StringIO(data["data"].decode("utf-8-sig"))))
    steps = {(r["cycle"], r["step"], r["item"]) for r in rows}
    assert ("nysed-tsi-visits", "visit-5", "window") in steps and ("nysed-planning-sessions", "session-1", "window") not in steps  # 2021-22: visits
    v1 = next(r for r in rows if r["step"] == "visit-1")
    assert v1["status"] == "done" and v1["done_by"] == ADMIN and v1["done_at"] == "2021-11-03 12:00"
    assert v1["scheduled"] == "2021-11-03 09:00" and v1["opens"] == "2021-10-01 00:00"
    assert v1["notes_count"] == "6" and "C1: Reading blocks happen daily" in v1["notes"] and "(Tia Teacher, 2021-11-03 14:10)" in v1["notes"]


def test_calendar_ics_parses_back_with_stable_uids(bot):
    sid = held_visit(bot)
    bot.command("export calendar")
    first = Calendar.from_ical(bot.fake.uploaded()[-1]["data"])
    events = first.walk("VEVENT")
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids))
    by_uid = {str(e["UID"]): e for e in events}
    window = by_uid[f"{sid}.2021-22.nysed-tsi-visits.visit-1.window@scep-bot"]
    assert str(window["SUMMARY"]) == "SCEP Support Visit 1: window"
    assert window.decoded("DTSTART").isoformat() == "2021-10-01" and window.decoded("DTEND").isoformat() == "2021-12-01"
    visit = by_uid[f"{sid}.2021-22.nysed-tsi-visits.visit-1.scheduled@scep-bot"]
    assert visit.decoded("DTSTART") == dates.parse_instant("2021-11-03T13:00:00Z")
    assert visit.decoded("DTEND") == dates.parse_instant("2021-11-03T14:30:00Z")
    # a later export: the same UIDs (re-import updates), a higher SEQUENCE
    bot.at("2021-10-21T13:00:00Z")
    bot.command("export calendar")
    second = Calendar.from_ical(bot.fake.uploaded()[-1]["data"])
    assert sorted(str(e["UID"]) for e in second.walk("VEVENT")) == sorted(uids)
    assert int(second.walk("VEVENT")[0]["SEQUENCE"]) > int(events[0]["SEQUENCE"])


def test_calendar_deadlines_keep_their_4pm(bot):
    bot.at("2022-03-01T15:00:00Z")
    bot.setup("Brightwood cycles:sezp-planning")
    bot.command("export calendar")
    cal = Calendar.from_ical(bot.fake.uploaded()[-1]["data"])
    draft = next(e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "Priority Levers Form: DRAFT due")
    assert draft.decoded("DTSTART") == dates.parse_instant("2022-05-06T20:00:00Z")  # 4:00 PM EDT


def test_cli_exports_while_the_bot_runs(bot, tmp_path, monkeypatch, capsys):
    visit_with_notes(bot)
    monkeypatch.setenv("SCEP_DATA_DIR", str(bot.services.settings.data_dir))
    out = tmp_path / "summary.docx"
    code = cli_main(["export", "summary", "visit", "1", "--school", "lincoln", "-o", str(out), "--now", "2021-11-04T12:00:00Z"])
    assert code == 0, capsys.readouterr().err
    assert "read-only" in capsys.readouterr().err
    doc = Document(str(out))
    assert doc.tables[0].rows[0].cells[1].text == "Lincoln Elementary"
    ics = tmp_path / "cal.ics"
    assert cli_main(["export", "calendar", "--school", "Lincoln Elementary", "-o", str(ics), "--now", "2021-11-04T12:00:00Z"]) == 0
    assert Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    csv_path = tmp_path / "year.csv"
    assert cli_main(["export", "year", "--school", "Lincoln", "--year", "2021-22", "-o", str(csv_path), "--now", "2021-11-04T12:00:00Z"]) == 0
    assert "visit-1" in csv_path.read_text(encoding="utf-8-sig")
    capsys.readouterr()
    assert cli_main(["export", "year", "--school", "Nowhere High", "-o", str(csv_path)]) == 1
    assert "No schools match 'Nowhere High': Lincoln Elementary" in capsys.readouterr().err
    assert cli_main(["export", "summary", "visit", "4", "--school", "Lincoln", "-o", str(out), "--now", "2021-11-04T12:00:00Z"]) == 1
    assert "has no notes yet" in capsys.readouterr().err


# ---------------------------------------------------------------- the monthly digest


def test_monthly_digest_in_the_shape_of_the_work_updates(bot):
    sid, _ = visit_with_notes(bot)
    bot.at("2021-12-01T13:59:00Z")  # 8:59 EST on Wed Dec 1, the first school day
    assert not [o for o in sweep(bot) if o.kind in ("monthly-digest", "liaison-digest")]
    bot.at("2021-12-01T14:00:00Z")
    sent = {o.kind: o for o in sweep(bot) if o.kind in ("monthly-digest", "liaison-digest")}
    assert set(sent) == {"monthly-digest", "liaison-digest"}
    channel_msg = next(c.args for c in bot.fake.of("chat.postMessage") if c.args["channel"] == CHANNEL and "monthly update" in c.args["text"])
    text = channel_msg["text"]
    assert "In November: Visit 1 held on Nov 3 (6 notes on 3 commitments)" in text
    # with the planning sessions among the school's cycles: session 1's dates were never reported
    assert ("Session 1 window closed Nov 30, not marked done" in text) == ("Session 1" in bot.command("timeline").text)
    assert "Coming in December: Visit 2 window opens Dec 1 (through Dec 31)." in text
    rollup = next(c.args["text"] for c in bot.fake.of("chat.postMessage") if c.args["channel"] == LIAISON and "Your schools" in c.args["text"])
    assert "Your schools in November 2021" in rollup and "*Lincoln Elementary*: In November: Visit 1 held on Nov 3" in rollup
    assert not [o for o in sweep(bot) if o.kind in ("monthly-digest", "liaison-digest")]  # once


def test_digest_waits_for_the_first_school_day_and_rolls_up_a_liaisons_schools(bot):
    sid = held_visit(bot)
    store = bot.services.store
    with store.transaction(sid) as tx:  # Dec 1 2021 is a holiday for Lincoln
        profile = tx.get(*PROFILE)
        profile["holidays"] = ["2021-12-01"]
        tx.put(*PROFILE, profile)
    bot.command("setup Brightwood cycles:sezp-planning", channel="C0BRIGHT1")
    other = store.school_for_channel("T0DEMO001", "C0BRIGHT1")
    bot.command(f"roles liaison:<@{LIAISON}>", channel="C0BRIGHT1")
    state = SchoolState.read(store.view(sid))
    lib = bot.services.library
    (held,) = [o for o in OUTBOX.due(state, lib, dates.parse_instant("2021-12-01T15:00:00Z")) if o.kind == "monthly-digest"
                and o.meta["month"] == "2021-11"]  # held by the sweep until it is due
    assert held.due_at == dates.parse_instant("2021-12-02T14:00:00Z")
    states = [SchoolState.read(store.view(s)) for s in (sid, other)]
    rollups = [o for o in OUTBOX.workspace_due(states, lib, dates.parse_instant("2021-12-02T14:00:00Z"), lambda uid: None)
               if o.kind == "liaison-digest" and o.due_at <= dates.parse_instant("2021-12-02T14:00:00Z")]
    assert len(rollups) == 1 and rollups[0].dm_users == [LIAISON]
    assert rollups[0].meta["schools"] == sorted([sid, other])
    text, _ = rollups[0].render(dates.parse_instant("2021-12-02T14:00:00Z"))
    assert "*Brightwood*" in text and "*Lincoln Elementary*" in text
    assert text.index("Brightwood") < text.index("Lincoln")


def test_digest_names_deliverables_submitted(bot):
    bot.at("2022-05-02T13:00:00Z")
    bot.setup("Brightwood cycles:sezp-planning")
    sid = bot.services.store.school_for_channel("T0DEMO001", CHANNEL)
    state = SchoolState.read(bot.services.store.view(sid))
    ref = resolve(state, bot.services.library, bot.now, "priority levers")
    with bot.services.store.transaction(sid) as tx:
        mark_done(tx, ref, "draft", ADMIN, dates.parse_instant("2022-05-05T15:00:00Z"))
    now = dates.parse_instant("2022-06-01T13:00:00Z")  # Wed Jun 1, 9:00 EDT
    (o,) = [o for o in OUTBOX.due(SchoolState.read(bot.services.store.view(sid)), bot.services.library, now) if o.kind == "monthly-digest" and o.due_at <= now]
    text, blocks = o.render(now)
    assert "In May: Priority Levers DRAFT submitted on May 5; " in text
    assert "Working Conditions DRAFT was due May 6, not marked done" in text
    assert "Coming in June: Board approval due Jun 7." in text
    assert json.dumps(blocks)


@pytest.mark.parametrize("when", ["2021-09-01T13:00:00Z", "2021-09-03T13:00:00Z"])
def test_a_quiet_month_is_one_line_with_what_comes_next(bot, when):
    bot.at("2021-08-02T13:00:00Z")
    bot.setup("Quiet cycles:nysed-tsi-visits")
    sid = bot.services.store.school_for_channel("T0DEMO001", CHANNEL)
    state = SchoolState.read(bot.services.store.view(sid))
    (o,) = [o for o in OUTBOX.due(state, bot.services.library, dates.parse_instant(when)) if o.kind == "monthly-digest" and o.due_at <= dates.parse_instant(when)]
    text, blocks = o.render(dates.parse_instant(when))
    assert len(blocks) == 1 and "\n" not in text
    assert text == (":calendar: *Quiet: monthly update* · Quiet in August: nothing was recorded. "
                    "Nothing on the calendar in September; next: Visit 1 window opens Oct 1 (through Nov 30).")

