"""``/scep roster`` from Slack: a workspace admin imports a CSV shared in Slack (read through
files.info and its url_private on the fake Web API, names through users.list and
conversations.list), first as a dry run, then with ``confirm``; the roster exported as a CSV."""

from __future__ import annotations

import csv
import io

from tests.harness import ADMIN, Bot  # noqa: F401 - the bot fixture builds one

CSV = ("school,channel,model,cycles,zone,liaison,principal,team,reviewer\n"
       "Lincoln Elementary,#lincoln-scep,TSI,nysed-tsi-visits,America/Chicago,@ana,ben@district.org,\"@cy, @di\",\n"
       "Grant Middle,C0GRANT01,CSI,nysed-planning-sessions,,U0ANA0001,,,\n")


def people(fake):
    fake.add_user("U0ANA0001", "ana")
    fake.add_user("U0BEN0001", "ben")
    fake.users["U0BEN0001"]["profile"]["email"] = "ben@district.org"
    fake.add_user("U0CY00001", "cy")
    fake.add_user("U0DI00001", "di")
    fake.add_user("U0PLAIN01", "pat")
    fake.channels["C0LINC001"] = {"id": "C0LINC001", "name": "lincoln-scep"}
    fake.channels["C0GRANT01"] = {"id": "C0GRANT01", "name": "grant-scep"}


def answer(bot) -> str:
    return bot.responses()[-1]["text"]


def test_an_admin_imports_a_shared_csv_dry_run_first_then_confirmed(bot, fake):
    people(fake)
    fake.add_file("F0ROSTER1", "schools.csv", CSV.encode())
    link = "https://demo.slack.com/files/U0ADMIN01/F0ROSTER1/schools.csv"
    bot.command(f"roster import {link}", channel="D0ADMIN01")
    text = answer(bot)
    assert "2 schools: 2 to create, 0 to change, 0 unchanged (dry run: nothing written)" in text
    assert "line 2: create Lincoln Elementary (C0LINC001): model TSI; cycles nysed-tsi-visits; zone America/Chicago; " \
           "liaison U0ANA0001; principal U0BEN0001; team U0CY00001, U0DI00001" in text
    assert "`/scep roster import F0ROSTER1 confirm`" in text
    assert bot.services.store.school_ids() == []
    assert [c.args["file"] for c in fake.of("files.info")] == ["F0ROSTER1"]
    assert fake.of("users.list") and fake.of("conversations.list")

    bot.command("roster import F0ROSTER1 confirm", channel="D0ADMIN01")
    assert "2 schools: 2 created, 0 changed, 0 unchanged" in answer(bot)
    sid = bot.services.store.school_for_channel("T0DEMO001", "C0LINC001")
    assert bot.services.store.view(sid).get("school", "profile")["roles"]["team"] == ["U0CY00001", "U0DI00001"]
    bot.command("roster import F0ROSTER1 confirm", channel="D0ADMIN01")
    assert answer(bot) == "2 schools: 0 created, 0 changed, 2 unchanged"

    bot.command("roster", channel="C0LINC001")
    up = fake.uploaded()[-1]
    rows = list(csv.DictReader(io.StringIO(up["data"].decode())))
    assert [r["school"] for r in rows] == ["Grant Middle", "Lincoln Elementary"] and rows[1]["principal"] == "U0BEN0001"


def test_bad_rows_are_named_and_nothing_is_imported_from_slack(bot, fake):
    people(fake)
    bad = CSV.replace("U0ANA0001", "@nobody") + "Lincoln Annex,#lincoln-scep,TSI,,,,,,\n"
    fake.add_file("F0ROSTER2", "schools.csv", bad.encode())
    bot.command("roster import F0ROSTER2 confirm", channel="D0ADMIN01")
    text = answer(bot)
    assert "2 problems in the file; nothing was imported:" in text
    assert "line 3: liaison: no active member '@nobody' in this workspace" in text
    assert "line 4: channel C0LINC001 is already on line 2: one school per channel" in text
    assert bot.services.store.school_ids() == []


def test_only_a_workspace_admin_may_and_a_missing_file_is_said(bot, fake):
    people(fake)
    fake.add_file("F0ROSTER1", "schools.csv", CSV.encode())
    for text in ("roster import F0ROSTER1 confirm", "roster"):
        bot.command(text, user="U0PLAIN01")
        assert answer(bot).startswith(":warning: Only workspace admins can export or import the district's roster of schools.")
    assert bot.services.store.school_ids() == [] and not fake.of("files.info")
    bot.command("roster import F0NOSUCH1", channel="D0ADMIN01")
    assert answer(bot).startswith(":warning: I can't read that file (Slack says there is no such file")
    bot.command("roster import schools.csv")
    assert answer(bot).startswith(":warning: Give the link to the CSV file shared in Slack")
