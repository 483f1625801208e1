"""Pictures in the Word exports: the visit summary carries the year with its step highlighted, the
year summary (`/scep export year docx`) the picture of the year. Both read back with python-docx:
the image part is there, is a PNG 800 px wide, is the picture the bot draws, and sits on the page
at the text width."""

from __future__ import annotations

import io

from docx import Document
from docx.shared import Inches

from bot.calendar.dates import SchoolYear
from bot.core.school_calendar import read_school
from bot.pictures.year import year_png
from bot.root.cli import main as cli_main
from tests.notes_helpers import LIAISON, PRINCIPAL, TEACHER, reply, start_prompt, ts_at
from tests.test_notes_exports_digest import schedule
from tests.test_pictures import PNG_SIGNATURE, png_size

VISIT1 = "nysed-tsi-visits/visit-1"


def held_visit(bot) -> str:
    """Lincoln (TSI visits only, set explicitly): visit 1 held Wed Nov 3 2021 9:00 EDT."""
    for user, name in ((TEACHER, "Tia Teacher"), (LIAISON, "Lee Liaison"), (PRINCIPAL, "Pat Principal")):
        bot.fake.add_user(user, name)
    bot.at("2021-10-20T13:00:00Z")
    bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits")
    bot.command('commitments "Every student reads daily" "Family partnership" "Data-driven instruction"')
    bot.command(f"roles liaison:<@{LIAISON}> principal:<@{PRINCIPAL}>")
    sid = bot.services.store.school_ids()[0]
    schedule(bot, sid, "visit 1", "2021-11-03T13:00:00Z")
    return sid


def visit_with_notes(bot) -> None:
    held_visit(bot)
    bot.at("2021-11-03T18:00:00Z")
    thread = start_prompt(bot, "visit 1")
    texts = ["C1: Reading blocks happen daily in grades 3-5.", "C1: Teachers want more leveled texts.",
             "C2: Families came to the literacy night.", "C3: The data team meets weekly.", "C3: Benchmarks are in by January.",
             "Overall the SCEP is on track."]
    for i, t in enumerate(texts):
        reply(bot, t, thread_ts=thread, ts=ts_at(f"2021-11-03T18:{10 + i:02d}:00Z", i), user=[TEACHER, PRINCIPAL, LIAISON][i % 3])


def images(data: bytes) -> list[bytes]:
    """The image parts of a .docx, in the order the body shows them."""
    doc = Document(io.BytesIO(data))
    out = []
    for shape in doc.inline_shapes:
        rid = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        part = doc.part.related_parts[rid]
        assert part.content_type == "image/png"
        out.append(part.blob)
    return out


def state_of(bot):
    return read_school(bot.services.store, bot.services.store.school_ids()[0])


def test_visit_summary_docx_carries_the_year_with_the_visit_highlighted(bot):
    visit_with_notes(bot)
    bot.command("export summary visit 1")
    docx = next(f for f in bot.fake.uploaded() if f["filename"].endswith(".docx"))
    doc = Document(io.BytesIO(docx["data"]))
    [png] = images(docx["data"])
    assert png[:8] == PNG_SIGNATURE and png_size(png)[0] == 800 and 220 <= png_size(png)[1] < 1600
    # exactly the picture of 2021-22 with visit 1 highlighted, not the plain one
    state = state_of(bot)
    assert png == year_png(state, bot.services.library, bot.now, SchoolYear(2021), highlight=VISIT1)
    assert png != year_png(state, bot.services.library, bot.now, SchoolYear(2021))
    assert abs(doc.inline_shapes[0].width - Inches(6.5)) < Inches(0.01)
    body = [p.text for p in doc.paragraphs]
    assert any(t.startswith("SCEP Support Visit 1 in the school's year 2021-22 (highlighted row)") for t in body)
    # the picture comes after the facts table and before the first commitment
    xml = doc.element.body.xml
    assert xml.index("<w:tbl>") < xml.index("<pic:pic") < xml.index("Commitment 1: Every student reads daily")
    # the Markdown copy is unchanged: text only
    md = next(f for f in bot.fake.uploaded() if f["filename"].endswith(".md"))
    assert b"![" not in md["data"]


def test_year_summary_docx_has_the_picture_and_every_step(bot):
    visit_with_notes(bot)
    bot.command("export year docx")
    assert "Uploading `Lincoln-Elementary-current-year.docx`" in bot.last_response_text()
    data = bot.fake.uploaded()[-1]["data"]
    doc = Document(io.BytesIO(data))
    [png] = images(data)
    assert png_size(png)[0] == 800 and png == year_png(state_of(bot), bot.services.library, bot.now)
    facts = {r.cells[0].text: r.cells[1].text for r in doc.tables[0].rows}
    assert facts["School"] == "Lincoln Elementary" and facts["School year"] == "2021-22" and facts["Time zone"] == "America/New_York"
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == ["SCEP Support Visits (TSI) (2021-22)"]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in doc.tables[1].rows}
    assert rows["Step"] == ["Step", "Dates", "Status", "Done", "Notes"]
    visit1 = rows["SCEP Support Visit 1"]
    assert visit1[1].startswith("Fri Oct 1 2021 – Tue Nov 30 2021") and "scheduled Wed Nov 3 2021, 9:00 AM EDT" in visit1[1]
    assert visit1[2] == "open" and visit1[4] == "6"
    # a year given, and Word named either way; CSV stays the default
    bot.command("export year 2022-23 word")
    assert bot.fake.uploaded()[-1]["filename"] == "Lincoln-Elementary-2022-23-year.docx"
    later = Document(io.BytesIO(bot.fake.uploaded()[-1]["data"]))
    assert [p.text for p in later.paragraphs if p.style.name == "Heading 1"] == ["SCEP Support Visits (TSI) (2022-23)"]
    bot.command("export year")
    assert bot.fake.uploaded()[-1]["filename"] == "Lincoln-Elementary-current-year.csv"
    assert "`/scep export year docx`" in bot.fake.uploaded()[-1]["initial_comment"]


def test_year_summary_of_a_school_with_no_steps_that_year_says_so(bot):
    held_visit(bot)
    bot.command("export year 2035-36 docx")
    data = bot.fake.uploaded()[-1]["data"]
    doc = Document(io.BytesIO(data))
    body = [p.text for p in doc.paragraphs]
    [png] = images(data)
    assert png_size(png)[0] == 800
    assert "SCEP Support Visits (TSI) (2035-36)" in body and len(doc.tables) == 2  # facts, the steps of 2035-36


def test_cli_exports_the_year_as_word_with_its_picture(bot, tmp_path, monkeypatch, capsys):
    visit_with_notes(bot)
    monkeypatch.setenv("SCEP_DATA_DIR", str(bot.services.settings.data_dir))
    out = tmp_path / "year.docx"
    code = cli_main(["export", "year", "--school", "Lincoln", "--format", "docx", "-o", str(out), "--now", "2021-11-04T12:00:00Z"])
    assert code == 0, capsys.readouterr().err
    [png] = images(out.read_bytes())
    assert png[:8] == PNG_SIGNATURE and png_size(png)[0] == 800
    summary = tmp_path / "summary.docx"
    assert cli_main(["export", "summary", "visit", "1", "--school", "Lincoln", "-o", str(summary), "--now", "2021-11-04T12:00:00Z"]) == 0
    assert len(images(summary.read_bytes())) == 1
