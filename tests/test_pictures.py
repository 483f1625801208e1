"""Pictures of the year: the PNG Slack receives, and what was drawn where (artists and pixels)."""

from __future__ import annotations

import io
import struct
from datetime import date

import matplotlib.dates as mdates
import numpy as np
from matplotlib.colors import to_rgb

from bot.core.schools import SchoolState
from bot.pictures.year import STYLE, render, short

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def state_of(bot) -> SchoolState:
    return SchoolState.read(bot.services.store.view(bot.services.store.school_ids()[0]))


def pixel_at(pic, day: date, row_key: str) -> tuple[float, float, float]:
    """The colour drawn at the middle of ``day`` on the row of step ``row_key``."""
    fig = pic.figure
    fig.canvas.draw()
    ax = fig.axes[0]
    n = len(pic.rows)
    y = n - 1 - [r.key for r in pic.rows].index(row_key)
    x_px, y_px = ax.transData.transform((mdates.date2num(day) + 0.5, y))
    rgba = np.asarray(fig.canvas.buffer_rgba())
    height = rgba.shape[0]
    px = rgba[int(round(height - y_px)), int(round(x_px))]
    return tuple(c / 255 for c in px[:3])


def close(a, b, tol=0.03) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def test_timeline_picture_is_uploaded_as_an_800px_png(bot):
    bot.setup(f"PS 7 cycles:nysed-tsi-visits,{bot.adopt('sezp-planning', 'TSI')} tz:America/Chicago")
    bot.command("timeline picture")
    files = [f for f in bot.fake.uploaded() if f.get("filename", "").endswith(".png")]
    assert files, bot.fake.calls[-5:]
    data = files[-1]["data"]
    width, height = png_size(data)
    assert width == 800 and 400 < height < 1600
    ans = bot.command("timeline picture 2030/31x")
    assert "/scep timeline picture" in ans.text


def test_what_is_drawn_matches_the_timeline(bot):
    bot.setup(f"PS 7 cycles:nysed-tsi-visits,{bot.adopt('sezp-planning', 'TSI')} tz:America/Chicago")
    bot.command("schedule visit 1 Nov 9 10am")
    pic = render(state_of(bot), bot.services.library, bot.now)
    keys = [r.key for r in pic.rows]
    assert keys[0] == "nysed-tsi-visits/visit-1" and len(keys) == len(set(keys)) > 20
    ax = pic.figure.axes[0]
    gids = {a.get_gid() for a in ax.get_children() if a.get_gid()}
    # visit 1 (Oct 1 - Nov 30 2021) is open on Nov 2: a bar from Oct 1, 61 days long, in the "open" colour
    bar = next(p for p in ax.patches if p.get_gid() == "bar:nysed-tsi-visits/visit-1:open")
    assert mdates.num2date(bar.get_x()).date() == date(2021, 10, 1) and round(bar.get_width()) == 61
    assert close(pixel_at(pic, date(2021, 10, 20), "nysed-tsi-visits/visit-1"), to_rgb(STYLE["open"][0]), 0.05)
    # visit 2 is upcoming (grey, dotted); before its window the row is white
    assert "bar:nysed-tsi-visits/visit-2:upcoming" in gids
    assert close(pixel_at(pic, date(2021, 10, 20), "nysed-tsi-visits/visit-2"), (1, 1, 1))
    # DRAFT and FINAL deadlines are marks, the scheduled date a circle, today a dashed line on Nov 2
    # (May 2021: closed before the school was set up on Nov 2, so "untracked", not overdue)
    assert {"mark:district-sezp-planning/priority-levers:draft:untracked", "mark:district-sezp-planning/priority-levers:final:untracked"} <= gids
    assert "scheduled:nysed-tsi-visits/visit-1" in gids
    today = next(a for a in ax.lines if a.get_gid() == "today")
    assert mdates.num2date(today.get_xdata()[0]).date() == date(2021, 11, 2)
    texts = {t.get_text() for t in ax.texts}
    assert {"DRAFT", "FINAL"} <= texts
    legend = [t.get_text() for t in pic.figure.legends[0].get_texts()]
    assert {"open", "upcoming", "untracked", "DRAFT due", "FINAL due", "scheduled"} <= set(legend)
    # every status in the legend has its own hatch: it reads in greyscale too
    hatches = [h.get_hatch() for h in pic.figure.legends[0].legend_handles if hasattr(h, "get_hatch") and h.get_label() in STYLE]
    assert len(set(hatches)) == len(hatches)


def test_the_school_zone_decides_the_day(bot):
    # visit 1 opens at local midnight Oct 1: in Honolulu that is 10:00 UTC, still Oct 1 locally
    bot.setup("PS 9 cycles:nysed-tsi-visits tz:Pacific/Honolulu")
    pic = render(state_of(bot), bot.services.library, bot.now)
    assert pic.rows[0].bars[0][:2] == (date(2021, 10, 1), date(2021, 11, 30))
    assert pic.today == date(2021, 11, 2)


def test_a_school_with_no_steps_in_a_year_gets_a_picture_that_says_so(bot):
    bot.setup("PS 7 cycles:nysed-tsi-visits")
    from bot.calendar.dates import SchoolYear

    state = state_of(bot)
    state.school.cycles = []
    pic = render(state, bot.services.library, bot.now, SchoolYear(2021))
    assert not pic.rows
    assert any("No dated steps" in t.get_text() for t in pic.figure.axes[0].texts)
    assert png_size(pic.png())[0] == 800


def test_long_names_are_wrapped_and_shortened():
    name = "Educator Working Conditions and the very long name of a step that nobody could read on a phone screen"
    shown = short(name)
    lines = shown.split("\n")
    assert len(lines) == 2 and all(len(line) <= 30 for line in lines) and lines[-1].endswith("…")
    assert short("Visit 1") == "Visit 1"


def test_png_reads_back_with_matplotlib(bot):
    bot.setup("PS 7 cycles:nysed-tsi-visits")
    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(render(state_of(bot), bot.services.library, bot.now).png()), format="png")
    assert img.shape[1] == 800 and img.shape[2] in (3, 4)


def test_the_button_under_the_timeline_uploads_the_picture(bot):
    from tests.slack import button, message_click

    bot.setup("PS 7 cycles:nysed-tsi-visits")
    shown = bot.command("timeline").json
    btn = button(shown["blocks"], "timeline_picture")
    assert btn["value"] == "2021-22"
    before = len(bot.fake.uploaded())
    bot.interactive(message_click(bot.fake, shown, "C0SCHOOL1", "1700000050.000001", btn))
    files = bot.fake.uploaded()[before:]
    assert [f["filename"] for f in files] == ["PS-7-2021-22.png"] and png_size(files[0]["data"])[0] == 800


def test_district_picture_of_50_schools_puts_attention_first(tmp_path):
    from benchmarks.seed import seed
    from bot.calendar import dates
    from bot.calendar.cycle_files import CycleLibrary
    from bot.pictures import district
    from bot.root.settings import Settings
    from bot.root.store import open_store

    pairs = seed(tmp_path / "data", 50)
    store = open_store(Settings(data_dir=tmp_path / "data"))
    try:
        states = [SchoolState.read(store.view(sid)) for sid, _ in pairs]
        now = dates.parse_instant("2021-11-02T13:00:00Z")
        pic = district.render(states, CycleLibrary.load(tmp_path / "data" / "cycles"), now)
    finally:
        store.close()
    data = pic.png()
    assert png_size(data)[0] == 800 and len(pic.rows) == 50
    overdue = [r.overdue for r in pic.rows]
    assert overdue == sorted(overdue, reverse=True) and overdue[0] > 0 and overdue[-1] == 0
    # a school on the TSI visits only: visit 1's window (Oct-Nov) is open in November, visit 2 upcoming in December
    tsi = next(r for r in pic.rows if states[[s.school.school_id for s in states].index(r.school_id)].school.cycles == ["nysed-planning-sessions"])
    assert tsi.cells[0] is None  # nothing in July
    visits = next(r for r in pic.rows if "nysed-tsi-visits" in states[[s.school.school_id for s in states].index(r.school_id)].school.cycles
                  and r.overdue == 0)
    assert visits.cells[4] == "open" and visits.cells[5] == "upcoming"
    ax = pic.figure.axes[0]
    assert {c.get_gid() for c in ax.collections} >= {"cells:open", "cells:overdue", "cells:upcoming"}
    # the cell's pixels have the "open" colour
    pic.figure.canvas.draw()
    y = 50 - 1 - [r.school_id for r in pic.rows].index(visits.school_id)
    x_px, y_px = ax.transData.transform((4.47, y))
    rgba = np.asarray(pic.figure.canvas.buffer_rgba())
    assert close(tuple(c / 255 for c in rgba[int(round(rgba.shape[0] - y_px)), int(round(x_px))][:3]), to_rgb(STYLE["open"][0]), 0.05)


def test_schools_picture_command_for_a_liaison(bot, fake):
    fake.add_user("U0LIA0001", "lia")
    fake.add_user("U0PRI0001", "pri")
    bot.setup("PS 7 cycles:nysed-tsi-visits")
    bot.command("roles liaison:<@U0LIA0001> principal:<@U0PRI0001>")
    bot.command("schools picture", user="U0LIA0001")
    files = [f for f in bot.fake.uploaded() if f.get("filename", "").startswith("schools-")]
    assert files and png_size(files[-1]["data"])[0] == 800
    assert "liaison or district admin" in bot.command("schools picture", user="U0PRI0001").text


def test_holidays_and_breaks_are_shaded_where_they_fall(bot):
    """The state's public holidays and the district's closures, from the school's calendar of
    record, are pale columns behind the bars: read back from the artists and from the pixels."""
    from bot.pictures.year import CLOSED

    bot.setup("PS 7 model:TSI cycles:nysed-tsi-visits tz:America/New_York")
    bot.command("holidays add 2021-12-27..2022-01-01 Winter recess")
    assert "District closures added" in bot.last_response_text()
    from bot.core.school_calendar import read_school

    state = read_school(bot.services.store, bot.services.store.school_ids()[0])
    pic = render(state, bot.services.library, bot.now)
    spans = {(a, b): name for a, b, name in pic.closed}
    # Thanksgiving (a Thursday) alone; Christmas observed on Friday Dec 24 joins the recess across the weekend
    assert spans[(date(2021, 11, 25), date(2021, 11, 25))] == "Thanksgiving Day"
    assert spans[(date(2021, 12, 24), date(2021, 12, 31))] == "Christmas Day (observed); Winter recess; New Year's Day (observed)"
    assert (date(2021, 11, 2), date(2021, 11, 2)) not in spans  # Election Day: NY schools are open
    ax = pic.figure.axes[0]
    gids = {a.get_gid() for a in ax.get_children() if a.get_gid()}
    assert "closed:2021-12-24:2021-12-31:Christmas Day (observed); Winter recess; New Year's Day (observed)" in gids
    # on a row with nothing drawn that day: the pale column on the holiday, white the day before
    row = "nysed-tsi-visits/visit-2"
    assert close(pixel_at(pic, date(2021, 11, 25), row), to_rgb(CLOSED))
    assert close(pixel_at(pic, date(2021, 11, 23), row), (1, 1, 1))
    assert close(pixel_at(pic, date(2021, 12, 29), "nysed-tsi-visits/visit-1"), to_rgb(CLOSED))  # after its window
    # a bar drawn over a holiday keeps its colour (the shading is behind)
    assert close(pixel_at(pic, date(2021, 11, 25), "nysed-tsi-visits/visit-1"), to_rgb(STYLE["open"][0]), 0.05)
    assert "holiday / break" in [t.get_text() for t in pic.figure.legends[0].get_texts()]


def test_one_step_highlighted_and_a_long_school_name_shortened(bot):
    from bot.pictures.year import HIGHLIGHT

    long_name = "The Extraordinarily Long-Named Community Academy for Science, Technology and the Arts of the Upper East Side"
    bot.setup(f"{long_name} cycles:nysed-tsi-visits,{bot.adopt('sezp-planning', 'TSI')} tz:America/Chicago")
    pic = render(state_of(bot), bot.services.library, bot.now, highlight="nysed-tsi-visits/visit-2")
    ax = pic.figure.axes[0]
    assert any(p.get_gid() == "highlight:nysed-tsi-visits/visit-2" for p in ax.patches)
    assert close(pixel_at(pic, date(2021, 10, 20), "nysed-tsi-visits/visit-2"), to_rgb(HIGHLIGHT))
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == [pic.rows[[r.key for r in pic.rows].index("nysed-tsi-visits/visit-2")].label]
    title = next(t for t in pic.figure.texts if "2021-22" in t.get_text())
    assert long_name not in title.get_text() and "…" in title.get_text()
    # nothing overlaps: the title fits the width, row names do not run into each other or the axes
    renderer = pic.figure.canvas.get_renderer()
    assert title.get_window_extent(renderer).x1 <= 800
    boxes = sorted((t.get_window_extent(renderer) for t in ax.get_yticklabels()), key=lambda b: b.y0)
    assert all(a.y1 <= b.y0 + 0.5 for a, b in zip(boxes, boxes[1:]))
    assert max(b.x1 for b in boxes) <= ax.get_window_extent(renderer).x0
    assert min(b.x0 for b in boxes) >= 0


LONG_CYCLE = """
id: long-names
title: A district's cycle with long step names
reference_year: 2021-22
models: []
carry: same-date
steps:
  - id: one
    title: Educator Working Conditions and the very long name of a step that nobody could read on a phone screen at all
    short: {short_one}
    kind: meeting
    owner: district
    window: {{opens: 2021-10-01, closes: 2021-10-29}}
  - id: two
    title: Another Extraordinarily Long Step Title About Community Partnerships, Attendance and Family Engagement Nights
    short: {short_two}
    kind: meeting
    owner: district
    window: {{opens: 2021-11-01, closes: 2021-11-30}}
"""


def test_very_long_step_names_are_wrapped_shortened_and_never_overlap(bot, tmp_path):
    """Rows named by a district's cycle file with very long names: at most two lines of 30
    characters each (the second ending in …), and no label runs into its neighbour or the axes."""
    from bot.calendar.cycle_files import CycleLibrary

    folder = tmp_path / "cycles"
    folder.mkdir()
    long_short = "Working Conditions, Staffing, Scheduling and the Climate Survey Follow-up With Staff"
    (folder / "long-names.yaml").write_text(LONG_CYCLE.format(short_one=long_short, short_two="Partnerships, attendance and family engagement nights for everyone"))
    library = CycleLibrary.load(folder)
    assert not library.errors, library.errors
    bot.setup("PS 7 cycles:nysed-tsi-visits tz:America/New_York")
    state = state_of(bot)
    state.school.cycles = ["long-names", "nysed-tsi-visits"]
    pic = render(state, library, bot.now)
    long_rows = [r for r in pic.rows if r.key.startswith("long-names/")]
    assert len(long_rows) == 2
    for row in long_rows:
        lines = row.label.split("\n")
        assert len(lines) == 2 and all(len(line) <= 30 for line in lines) and lines[-1].endswith("…"), row.label
    ax = pic.figure.axes[0]
    pic.figure.canvas.draw()
    renderer = pic.figure.canvas.get_renderer()
    boxes = sorted((t.get_window_extent(renderer) for t in ax.get_yticklabels()), key=lambda b: b.y0)
    assert all(a.y1 <= b.y0 + 0.5 for a, b in zip(boxes, boxes[1:]))
    assert max(b.x1 for b in boxes) <= ax.get_window_extent(renderer).x0 and min(b.x0 for b in boxes) >= 0
