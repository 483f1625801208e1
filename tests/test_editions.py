"""Editions of the guidance (issue 11, item 3): which cycles a school of each model follows in a
school year, the rollover into another edition told once, and a model and cycles that don't go
together refused with the valid choices.

The tables are written by hand from the seeds: seed 000 is the 2021-22 Support Visits "for TSI
schools"; seed 001 (2024-25) calls its five sessions "the five designated touchpoints" for CSI,
ATSI and TSI schools, so from 2024-25 it replaces the visits; seed 002 is SEZP's (Springfield,
Massachusetts); seed 003 names Mississippi's SIG, Priority and Focus schools and has no cycle.
"""

from __future__ import annotations

import pytest

from bot.calendar.cycle_files import CycleLibrary, parse_cycle
from bot.calendar.cycles import CycleError
from bot.calendar.dates import SchoolYear
from bot.calendar.editions import defaults_for
from bot.core.schools import School
from tests.harness import CHANNEL, Bot
from tests.nudge_driver import Driver, add_people, give_roles, nine, utc
from tests.test_running import run_cli

V, S, Z = "nysed-tsi-visits", "nysed-planning-sessions", "sezp-planning"

ORACLE = {  # model: {school year: the cycles followed by default}
    "TSI": {"2021-22": [V], "2023-24": [V], "2024-25": [S], "2026-27": [S]},
    "ATSI": {"2021-22": [S], "2023-24": [S], "2024-25": [S], "2026-27": [S]},
    "CSI": {"2021-22": [S], "2023-24": [S], "2024-25": [S], "2026-27": [S]},
    "SEZP": {"2021-22": [Z], "2023-24": [Z], "2024-25": [Z], "2026-27": [Z]},
    "SIG": {"2021-22": [], "2023-24": [], "2024-25": [], "2026-27": []},
    "Priority": {"2021-22": [], "2023-24": [], "2024-25": [], "2026-27": []},
    "Focus": {"2021-22": [], "2023-24": [], "2024-25": [], "2026-27": []},
}


@pytest.fixture(scope="module")
def library():
    lib = CycleLibrary.load()
    assert not lib.errors
    return lib


@pytest.mark.parametrize("model", sorted(ORACLE))
def test_the_default_cycles_follow_the_edition_in_force(library, model):
    got = {y: [c.id for c in defaults_for(library.cycles.values(), model, SchoolYear.parse(y))] for y in ORACLE[model]}
    assert got == ORACLE[model]


def test_never_ten_touchpoints_for_a_tsi_school(library):
    for start in range(2015, 2035):
        ids = [c.id for c in defaults_for(library.cycles.values(), "TSI", SchoolYear(start))]
        assert len(ids) == 1 and ids[0] in (V, S), (start, ids)


@pytest.mark.parametrize("model, year, shown, hidden", [
    ("TSI", "2021-22", "Visit 1", "Session 1"),
    ("TSI", "2023-24", "Visit 3", "Session 2"),
    ("TSI", "2024-25", "Session 1", "Visit 1"),
    ("TSI", "2026-27", "Session 5", "Visit 5"),
    ("ATSI", "2021-22", "Session 1", "Visit 1"),
    ("CSI", "2026-27", "Session 3", "Visit 3"),
])
def test_the_timeline_of_a_year_shows_that_years_edition_only(bot, model, year, shown, hidden):
    bot.at("2021-07-01T13:00:00Z").setup(f"Lincoln Elementary model:{model} year:2021-22")
    text = bot.command(f"timeline {year}").text
    assert shown in text and hidden not in text, text


def test_a_district_can_still_add_a_cycle_by_name(bot):
    bot.at("2025-09-01T13:00:00Z").setup("Lincoln Elementary model:TSI cycles:defaults,nysed-tsi-visits,district-plan-review")
    text = bot.last_response_text()
    assert "Pre-SCEP Team Meeting Planning Sessions" in text and "named by the district" in text, text
    text = bot.command("timeline 2025-26").text
    assert "Session 1" in text and "Visit 1" in text and "Fall check-in" in text


def test_the_setup_reply_says_the_edition_and_the_next_change(bot):
    bot.at("2023-09-05T13:00:00Z").setup("Lincoln Elementary model:TSI")
    text = bot.last_response_text()
    assert "SCEP Support Visits (TSI) (`nysed-tsi-visits`) (the TSI defaults in force in 2023-24)" in text, text
    assert "from 2024-25: Pre-SCEP Team Meeting Planning Sessions" in text, text


@pytest.mark.parametrize("setup, says", [
    ("Brightwood model:TSI cycles:sezp-planning", ["`sezp-planning` is for `SEZP` schools, not TSI", "`nysed-tsi-visits`", "`district-plan-review`"]),
    ("Brightwood model:TSI state:MA", ["Massachusetts schools follow the SEZP model, not TSI", "`model:SEZP`"]),
    ("Brightwood model:SEZP cycles:nysed-planning-sessions", ["is for `ATSI`, `CSI`, `TSI` schools, not SEZP", "`sezp-planning`"]),
    ("Jackson High model:Focus", ["No cycle is a default for Focus schools", "`district-plan-review`"]),
    ("Jackson High model:Turnaround", ["not a support model", "CSI, ATSI, TSI (New York); SEZP (Massachusetts); SIG, Priority, Focus (Mississippi)"]),
])
def test_a_model_and_cycles_that_dont_go_together_get_the_valid_choices(bot, setup, says):
    bot.setup(setup)
    text = bot.last_response_text()
    for s in says:
        assert s in text, text
    assert bot.services.store.school_ids() == [], "a refused setup writes nothing"


def test_sezp_and_mississippi_schools_are_labelled_by_their_model(bot):
    bot.setup("Brightwood cycles:sezp-planning state:MA")
    text = bot.last_response_text()
    assert "(SEZP)" in text and "(TSI)" not in text, text
    bot.setup("Jackson High model:focus state:MS cycles:district-plan-review", channel="C0SCHOOL2")
    text = bot.last_response_text()
    assert "(Focus)" in text and "State: MS" in text, text


def test_a_profile_stored_before_editions_follows_them():
    old = {"school_id": "s1", "name": "PS 1", "team_id": "T", "channel_id": "C", "model": "TSI",
           "cycles": [V, S], "tz": "America/New_York"}
    school = School.from_doc(old)
    assert school.default_cycles and school.cycles == []
    chosen = School.from_doc({**old, "cycles": ["district-plan-review"]})
    assert not chosen.default_cycles and chosen.cycles == ["district-plan-review"]


CYCLE = """\
id: my-visits
title: My Visits
reference_year: 2021-22
models: {models}
edition: {edition}
steps:
  - id: v1
    title: Visit 1
    kind: visit
    owner: liaison
    window: {{opens: 2021-11-01, closes: 2021-11-30}}
"""


@pytest.mark.parametrize("models, edition, says", [
    ("[TSI, Charter]", "{of: my-touchpoints, from: 2021-22}", "my.yaml:4: field 'models': Value error, 'Charter' is not a support model"),
    ("[TSI]", "{of: my-touchpoints, from: 2024-25, until: 2022-23}", "the edition ends (2022-23) before it starts (2024-25)"),
    ("[TSI]", "{of: my-touchpoints, from: next year}", "'next year' is not a school year"),
    ("[TSI]", "{of: my-touchpoints}", "field 'edition.from': Field required"),
])
def test_a_cycle_files_models_and_years_are_checked(models, edition, says):
    with pytest.raises(CycleError) as err:
        parse_cycle(CYCLE.format(models=models, edition=edition), "my.yaml")
    assert says.replace("Value error, ", "") in str(err.value), str(err.value)


def test_cycles_check_names_a_bad_model(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(CYCLE.format(models="[TSI, Charter]", edition="{of: my-touchpoints, from: 2021-22}"))
    proc = run_cli(["cycles", "check", str(path)], tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "'Charter' is not a support model: write any of CSI, ATSI, TSI, SEZP, SIG, Priority, Focus" in proc.stdout + proc.stderr


def test_a_district_edition_replaces_the_builtin_from_its_year(tmp_path):
    folder = tmp_path / "cycles"
    folder.mkdir()
    (folder / "mine.yaml").write_text(CYCLE.format(models="[TSI]", edition="{of: nysed-touchpoints, from: 2026-27}"))
    lib = CycleLibrary.load(folder)
    assert not lib.errors
    ids = {y: [c.id for c in defaults_for(lib.cycles.values(), "TSI", SchoolYear.parse(y))] for y in ("2023-24", "2025-26", "2026-27")}
    assert ids == {"2023-24": [V], "2025-26": [S], "2026-27": ["my-visits"]}
    assert [c.id for c in defaults_for(lib.cycles.values(), "CSI", SchoolYear.parse("2026-27"))] == [S]


# ------------------------------------------------------------ rollover, through the real sweep

@pytest.fixture
def swept(tmp_path, fake, nudges_only):
    add_people(fake)
    b = Bot(tmp_path / "data", fake, utc("2024-01-08T14:00:00Z"))
    yield b
    b.close()


def _edition_posts(d: Driver, channel: str = CHANNEL):
    return [p for p in d.channel_posts(channel) if p.text.startswith(":books: New school year")]


def test_the_rollover_into_the_2024_25_edition_is_told_once(swept):
    bot = swept
    bot.setup("Lincoln Elementary model:TSI")
    give_roles(bot)
    bot.setup("Adams High model:CSI", channel="C0SCHOOL2")  # the same edition both years: nothing to tell
    d = Driver(bot)
    d.run(utc("2024-06-20T12:00:00Z"), utc("2024-08-20T12:00:00Z"))
    d.sweep(nine(2024, 7, 1))  # a sweep again at the same instant: still once
    posts = _edition_posts(d)
    assert len(posts) == 1, [p.text for p in posts]
    assert posts[0].local().strftime("%Y-%m-%d %H:%M") == "2024-07-01 09:00"  # Monday July 1 2024, a school day
    text = posts[0].text
    assert "New school year 2024-25" in text and "Pre-SCEP Team Meeting Planning Sessions" in text
    assert "in place of SCEP Support Visits (TSI)" in text and "`/scep timeline 2023-24`" in text
    assert _edition_posts(d, "C0SCHOOL2") == []
    # the next rollover has nothing new to say
    d.run(utc("2025-06-25T12:00:00Z"), utc("2025-07-20T12:00:00Z"), step=utc("2024-01-01T06:00:00Z") - utc("2024-01-01T00:00:00Z"))
    assert len(_edition_posts(d)) == 1


def test_a_school_set_up_in_the_new_edition_is_not_told(swept):
    bot = swept
    bot.at("2024-07-10T14:00:00Z").setup("Lincoln Elementary model:TSI")
    d = Driver(bot)
    d.run(utc("2024-07-10T15:00:00Z"), utc("2024-08-10T12:00:00Z"), step=utc("2024-01-01T03:00:00Z") - utc("2024-01-01T00:00:00Z"))
    assert _edition_posts(d) == []


def test_a_school_that_named_its_cycles_does_not_switch(swept):
    bot = swept
    bot.setup("Lincoln Elementary model:TSI cycles:nysed-tsi-visits")
    d = Driver(bot)
    d.run(utc("2024-06-28T12:00:00Z"), utc("2024-07-08T12:00:00Z"))
    assert _edition_posts(d) == []
    text = bot.at("2024-09-03T13:00:00Z").command("timeline").text
    assert "Visit 1" in text and "Session 1" not in text


def test_a_default_tsi_school_is_nudged_for_one_edition_only(swept):
    bot = swept
    bot.at("2024-08-20T14:00:00Z").setup("Lincoln Elementary model:TSI year:2024-25")
    give_roles(bot)
    d = Driver(bot)
    d.run(utc("2024-08-20T15:00:00Z"), utc("2025-06-30T23:00:00Z"), step=utc("2024-01-01T06:00:00Z") - utc("2024-01-01T00:00:00Z"))
    cycles = {item.split(":", 1)[1].split("/")[0] for p in d.channel_posts(CHANNEL) for item, _ in p.nudges}
    assert cycles == {S}, cycles
