"""``scep-bot schools import FILE [--dry-run]`` and ``scep-bot schools export``: 200 schools from a
CSV with channels and people named as people write them (looked up through users.list and
conversations.list on the fake Web API), idempotent, every bad row named by line, nothing
half-imported, and export -> import -> export the same file."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest

from bot.root.cli import main
from bot.store.schema import AUDIT_KIND, PROFILE
from bot.store.tinydb_store import TinyStore

NOW = "2021-08-02T13:00:00Z"
HEADER = "school,channel,model,cycles,zone,liaison,principal,team,reviewer"
TSI = "nysed-tsi-visits, nysed-planning-sessions"


@pytest.fixture
def district(tmp_path, fake, monkeypatch):
    """A workspace of 200 schools' channels and 600 people; the CLI pointed at it with a token."""
    for n in range(200):
        fake.channels[f"C{n:07d}"] = {"id": f"C{n:07d}", "name": f"school-{n:03d}"}
        for role in ("lia", "pri", "tea"):
            fake.add_user(f"U{role.upper()}{n:05d}", f"{role}.{n:03d}")
    for k in [k for k in os.environ if k.startswith("SLACK_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("SCEP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SLACK_API_URL", fake.url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    return tmp_path


def roster(n: int = 200) -> str:
    rows = [HEADER]
    for i in range(n):
        model = ("TSI", "ATSI", "CSI")[i % 3]
        cycles = TSI if model == "TSI" else ("defaults" if model == "ATSI" else "nysed-planning-sessions")
        # channels by #name or id, people by @name, id or display name: as a district's sheet has them
        channel = f"#school-{i:03d}" if i % 2 else f"C{i:07d}"
        liaison = f"@lia.{i:03d}" if i % 2 else f"ULIA{i:05d}"
        rows.append(f'School {i:03d},{channel},{model},"{cycles}",America/New_York,{liaison},pri.{i:03d},"@tea.{i:03d}, ULIA{(i + 1) % 200:05d}",')
    return "\n".join(rows) + "\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["schools", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def schools(root) -> dict[str, dict]:
    store = TinyStore(root / "data")
    try:
        return {store.index_entry(s)["channel_id"]: store.view(s).get(*PROFILE) for s in store.school_ids()}
    finally:
        store.close()


def test_200_schools_dry_run_then_real_then_again_changes_nothing(district, fake, capsys):
    path = district / "roster.csv"
    path.write_text(roster())
    code, out, err = run(capsys, "import", str(path), "--dry-run", "--now", NOW)
    assert code == 0, err
    assert out.splitlines()[-1] == "200 schools: 200 to create, 0 to change, 0 unchanged (dry run: nothing written)"
    assert "line 2: create School 000 (C0000000): model TSI" in out
    assert schools(district) == {}  # a dry run writes nothing

    code, out, err = run(capsys, "import", str(path), "--now", NOW)
    assert code == 0, err
    assert out.splitlines()[-1] == "200 schools: 200 created, 0 changed, 0 unchanged"
    got = schools(district)
    assert len(got) == 200
    s7 = got["C0000007"]
    assert (s7["name"], s7["model"], s7["cycles"], s7.get("default_cycles", True), s7["tz"]) == ("School 007", "ATSI", [], True, "America/New_York")
    assert s7["roles"] == {"liaison": ["ULIA00007"], "principal": ["UPRI00007"], "team": ["UTEA00007", "ULIA00008"]}
    assert "reviewer" not in s7["roles"]  # an empty cell: nobody
    assert got["C0000002"]["cycles"] == ["nysed-planning-sessions"]
    assert {m for c in fake.calls for m in [c.method]} >= {"auth.test", "users.list", "conversations.list"}

    code, out, err = run(capsys, "import", str(path), "--now", NOW)
    assert code == 0, err
    assert out == "200 schools: 0 created, 0 changed, 200 unchanged\n"
    assert schools(district) == got


def test_export_then_import_the_export_is_the_same_file(district, capsys, tmp_path):
    (district / "roster.csv").write_text(roster(30))
    assert run(capsys, "import", str(district / "roster.csv"), "--now", NOW)[0] == 0
    code, first, _ = run(capsys, "export")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(first)))
    assert len(rows) == 30 and rows[7] == {
        "school": "School 007", "channel": "C0000007", "model": "ATSI", "cycles": "", "zone": "America/New_York",
        "liaison": "ULIA00007", "principal": "UPRI00007", "team": "UTEA00007, ULIA00008", "reviewer": ""}
    (district / "export.csv").write_text(first)
    assert run(capsys, "import", str(district / "export.csv"), "--now", NOW)[1].endswith("30 unchanged\n")
    os.environ["SCEP_DATA_DIR"] = str(tmp_path / "elsewhere")  # a second machine: the export imported afresh
    assert run(capsys, "import", str(district / "export.csv"), "--now", NOW)[1].endswith("30 created, 0 changed, 0 unchanged\n")
    assert run(capsys, "export", "-o", str(district / "again.csv"))[0] == 0
    assert (district / "again.csv").read_text() == first


def test_a_change_is_shown_by_the_dry_run_then_made_and_audited(district, capsys):
    (district / "roster.csv").write_text(roster(3))
    run(capsys, "import", str(district / "roster.csv"), "--now", NOW)
    changed = roster(3).replace("School 001,#school-001,ATSI", "School 001,#school-001,CSI").replace(",pri.001,", ",lia.002,")
    (district / "roster.csv").write_text(changed)
    code, out, _ = run(capsys, "import", str(district / "roster.csv"), "--dry-run")
    assert code == 0
    # the row still names its cycles, so they stay (a row without cycles would take the new model's)
    assert out.splitlines()[0] == "line 3: update School 001 (C0000001): model ATSI → CSI; principal UPRI00001 → ULIA00002"
    assert out.splitlines()[-1] == "3 schools: 0 to create, 1 to change, 2 unchanged (dry run: nothing written)"
    assert schools(district)["C0000001"]["model"] == "ATSI"
    run(capsys, "import", str(district / "roster.csv"), "--now", "2021-08-03T13:00:00Z")
    assert schools(district)["C0000001"]["model"] == "CSI"
    store = TinyStore(district / "data")
    try:
        sid = store.school_for_channel("T0DEMO001", "C0000001")
        entries = list(store.view(sid).all(AUDIT_KIND).values())
    finally:
        store.close()
    assert [e["what"] for e in entries] == ["imported", "import changed"]
    assert entries[1]["who"] == "operator" and entries[1]["at"] == "2021-08-03T13:00:00+00:00"


BAD = {
    "unknown column": ("school,channel,grade\nA,C0000001,3\n", ["line 1: unknown column 'grade': the columns are " + HEADER.replace(",", ", ")]),
    "duplicate channels": (f"{HEADER}\nA,C0000001,TSI,,,,,,\nB,#school-001,TSI,,,,,,\n",
                           ["line 3: channel C0000001 is already on line 2: one school per channel"]),
    "unknown user": (f"{HEADER}\nA,C0000001,TSI,,,@nobody,,,\n", ["line 2: liaison: no active member '@nobody' in this workspace"]),
    "unknown zone": (f"{HEADER}\nA,C0000001,TSI,,Mars/Olympus,,,,\n",
                     ["line 2: zone 'Mars/Olympus' is not a time zone: use an IANA name such as America/New_York"]),
    "bad model": (f"{HEADER}\nA,C0000001,XYZ,,,,,,\n", ["line 2: model 'XYZ' is not one of CSI, ATSI, TSI"]),
    "model and cycles that do not go together": (f"{HEADER}\nA,C0000001,ATSI,nysed-tsi-visits,,,,,\n",
                                                ["line 2: nysed-tsi-visits is for TSI schools, not ATSI. A ATSI school can follow: "]),
    "bad cycles": (f"{HEADER}\nA,C0000001,TSI,nysed-visits-1999,,,,,\n", ["line 2: unknown cycle nysed-visits-1999; the cycles are "]),
    "unknown channel": (f"{HEADER}\nA,#no-such-room,TSI,,,,,,\n", ["line 2: no channel '#no-such-room' in this workspace"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_row_is_named_by_line_and_nothing_is_imported(district, capsys, case):
    text, reasons = BAD[case]
    good = "".join(f"Good {n},C000010{n},TSI,nysed-tsi-visits,,,,,\n" for n in range(3))
    (district / "bad.csv").write_text(text + (good if text.startswith(HEADER) else ""))
    for dry in ([], ["--dry-run"]):
        code, out, err = run(capsys, "import", str(district / "bad.csv"), *dry, "--now", NOW)
        assert code == 1 and out == ""
        assert "nothing was imported" in err
        for reason in reasons:
            assert reason in err, err
    assert schools(district) == {}  # the good rows were not imported either


def test_every_bad_row_of_a_file_is_listed_at_once(district, capsys):
    text = f"{HEADER}\nA,C0000001,XYZ,,,,,,\nB,C0000002,TSI,,,,,,\nC,C0000003,TSI,,Nowhere,,,,\n"
    (district / "bad.csv").write_text(text)
    code, _, err = run(capsys, "import", str(district / "bad.csv"))
    assert code == 1
    assert "2 problems in the file; nothing was imported:\nline 2: model 'XYZ'" in err and "\nline 4: zone 'Nowhere'" in err


def test_without_a_token_ids_are_taken_and_names_refused(district, capsys, monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    (district / "r.csv").write_text(f"{HEADER}\nA,C0000001,TSI,nysed-tsi-visits,,U0000AAA1,,,\nB,#school-002,TSI,,,,,,\n")
    code, _, err = run(capsys, "import", str(district / "r.csv"), "--team", "T0DEMO001")
    assert code == 1
    assert "line 3: '#school-002' is a name: without SLACK_BOT_TOKEN only channel ids (C0123ABCD) can be used" in err
    (district / "r.csv").write_text(f"{HEADER}\nA,C0000001,TSI,nysed-tsi-visits,,U0000AAA1,,,\n")
    code, out, err = run(capsys, "import", str(district / "r.csv"), "--team", "T0DEMO001")
    assert code == 0, err
    assert schools(district)["C0000001"]["roles"] == {"liaison": ["U0000AAA1"]}


def test_a_file_that_is_not_there_or_not_text_is_one_line(district, capsys):
    code, _, err = run(capsys, "import", str(district / "missing.csv"))
    assert code == 2 and err.strip() == f"scep-bot: cannot read {district / 'missing.csv'}: No such file or directory"
    (district / "x.csv").write_bytes(b"\xff\xfe\x00bad")
    code, _, err = run(capsys, "import", str(district / "x.csv"))
    assert code == 2 and "is not UTF-8 text: save the spreadsheet as CSV UTF-8" in err
    assert json.dumps(schools(district)) == "{}"


def test_a_row_naming_an_unlinked_school_links_it_back_to_the_rows_channel(district, capsys):
    (district / "roster.csv").write_text(roster(3))
    run(capsys, "import", str(district / "roster.csv"), "--now", NOW)
    store = TinyStore(district / "data")
    try:
        (entry,) = [e for e in map(store.index_entry, store.school_ids()) if e["channel_id"] == "C0000001"]
        sid, team = entry["school_id"], entry["team_id"]
        with store.transaction(sid) as tx:
            tx.put("notes", "C0000001:1.0", {"text": "kept through the unlink"})
            tx.bind(name="School 001", team_id=team, channel_id=None)  # what /scep privacy unlink school does
    finally:
        store.close()
    moved = roster(3).replace("School 001,#school-001,", "School 001,#school-150,")  # the district's new channel for it
    (district / "roster.csv").write_text(moved)
    code, out, err = run(capsys, "import", str(district / "roster.csv"), "--dry-run")
    assert code == 0, err
    assert "line 3: relink School 001 (C0000150): its kept data linked back to this channel" in out
    assert out.splitlines()[-1] == "3 schools: 0 to create, 1 to link back, 0 to change, 2 unchanged (dry run: nothing written)"
    code, out, err = run(capsys, "import", str(district / "roster.csv"), "--now", "2021-08-03T13:00:00Z")
    assert out.splitlines()[-1] == "3 schools: 0 created, 1 linked back, 0 changed, 2 unchanged"
    store = TinyStore(district / "data")
    try:
        assert store.school_for_channel(team, "C0000150") == sid and store.unlinked(team) == []
        assert store.view(sid).get("notes", "C0000001:1.0") == {"text": "kept through the unlink"}
        assert store.view(sid).get(*PROFILE)["channel_id"] == "C0000150"
        assert store.view(sid).find(AUDIT_KIND, what="relinked")
    finally:
        store.close()
    assert run(capsys, "import", str(district / "roster.csv"))[1].endswith("3 unchanged\n")


def test_a_row_without_a_model_is_checked_against_the_schools_model(district, capsys):
    (district / "roster.csv").write_text(roster(3))
    run(capsys, "import", str(district / "roster.csv"), "--now", NOW)
    before = schools(district)
    assert before["C0000002"]["model"] == "CSI"
    # School 002 is CSI: the TSI visits do not fit it; a new school without a model is TSI: SEZP planning does not fit
    text = f"{HEADER}\nSchool 002,C0000002,,nysed-tsi-visits,,,,,\nNew School,C0000150,,sezp-planning,,,,,\nSchool 000,C0000000,,,Europe/London,,,,\n"
    (district / "bad.csv").write_text(text)
    for dry in ([], ["--dry-run"]):
        code, out, err = run(capsys, "import", str(district / "bad.csv"), *dry, "--now", NOW)
        assert code == 1 and out == "", out
        assert "2 problems in the file; nothing was imported" in err
        assert "line 2: nysed-tsi-visits is for TSI schools, not CSI." in err and "line 3: sezp-planning is for " in err and "not TSI." in err
    assert schools(district) == before  # the good row (a new zone for School 000) was not imported either
