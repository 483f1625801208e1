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
    bot.setup("PS 7 cycles:nysed-tsi-visits,sezp-planning tz:America/Chicago")
    bot.command("timeline picture")
    files = [f for f in bot.fake.uploaded() if f.get("filename", "").endswith(".png")]
    assert files, bot.fake.calls[-5:]
    data = files[-1]["data"]
    width, height = png_size(data)
    assert width == 800 and 400 < height < 1600
    ans = bot.command("timeline picture 2030/31x")
    assert "/scep timeline picture" in ans.text


def test_what_is_drawn_matches_the_timeline(bot):
    bot.setup("PS 7 cycles:nysed-tsi-visits,sezp-planning tz:America/Chicago")
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
    assert {"mark:sezp-planning/priority-levers:draft:untracked", "mark:sezp-planning/priority-levers:final:untracked"} <= gids
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
