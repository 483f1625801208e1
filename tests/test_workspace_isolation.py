"""Many workspaces keep apart like schools do: a person, a channel id or a payload of workspace A
never reads or changes anything of workspace B, even where both have a channel with the same id;
each workspace's messages go out with its own token; an uninstalled workspace's schools are kept
but idle, and a reinstall resumes them."""

from __future__ import annotations

import json

import pytest

from bot.calendar import dates
from schedules.sweep.jobs import sweep
from tests.slack import app_home_opened
from tests.workspaces import TEAM_A, TEAM_B, ManyBot

SAME = "C0SAMECH1"  # a channel id both workspaces have
ALDER, BIRCH = "Alder Elementary", "Birch Middle"
GRID_USER = "W0GRIDUS1"  # one Enterprise Grid person in both workspaces: an admin in A only
DUE, NEXT_MINUTE = "2021-11-26T14:05:00Z", "2021-11-26T14:06:00Z"  # a nudge of a TSI school set up on 2021-11-02 is due


@pytest.fixture
def two(tmp_path, fake, postgres_db):
    b = ManyBot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"), postgres_db)
    fake.add_user(GRID_USER, "gia.grid", admin=True)
    b.oauth.admin_in[GRID_USER] = {TEAM_A}
    b.install(TEAM_A)
    b.install(TEAM_B)
    assert b.command(f"setup {ALDER} model:TSI", channel=SAME, team=TEAM_A).status == 200
    assert b.command(f"setup {BIRCH} model:TSI", channel=SAME, team=TEAM_B).status == 200
    yield b
    b.close()


def school(bot, team: str) -> str:
    sid = bot.services.store.school_for_channel(team, SAME)
    assert sid
    return sid


def said(bot, text: str, team: str, user: str = "U0ADMIN01") -> str:
    bot.fake.clear()
    ans = bot.command(text, channel=SAME, team=team, user=user)
    return ans.text + "\n" + "\n".join(json.dumps(r) for r in bot.responses())


def test_the_same_channel_id_in_two_workspaces_is_two_schools(two):
    a, b = school(two, TEAM_A), school(two, TEAM_B)
    assert a != b
    for text in ("next 20", "timeline", "schools", "roles", "commitments", "history all"):
        in_b = said(two, text, TEAM_B)
        assert ALDER not in in_b, f"/scep {text} in B's {SAME} shows A's school"
        in_a = said(two, text, TEAM_A)
        assert BIRCH not in in_a, f"/scep {text} in A's {SAME} shows B's school"
    assert BIRCH in said(two, "timeline", TEAM_B) and ALDER in said(two, "timeline", TEAM_A)


def test_changes_from_b_never_touch_a(two):
    store = two.services.store
    a = school(two, TEAM_A)
    before = store.revision(a)
    for text in ("setup Renamed School model:TSI", "commitments \"Okapi minutes\"", "schedule visit 2 Dec 13 3:15pm", "roles liaison:<@U0ADMIN01>",
                 "remind district-holiday:2021-11-24"):
        two.command(text, channel=SAME, team=TEAM_B)
    assert store.revision(a) == before, "a command from workspace B changed A's school"
    assert "Renamed School" in said(two, "timeline", TEAM_B) and "Renamed School" not in said(two, "timeline", TEAM_A)


def test_a_grid_persons_admin_rights_stay_in_their_workspace(two):
    # an admin in A: may set up a school there
    said(two, "setup Alder Annex model:TSI", TEAM_A, user=GRID_USER)
    assert two.services.store.index_entry(school(two, TEAM_A))["name"] == "Alder Annex"
    # the same person in B, right after (users.info is cached): not an admin there
    out = said(two, "setup Grid Takeover model:TSI", TEAM_B, user=GRID_USER)
    assert "Grid Takeover" not in (two.services.store.index_entry(school(two, TEAM_B)) or {}).get("name", "")
    assert BIRCH in said(two, "timeline", TEAM_B), out


def test_app_home_and_a_workspace_without_installation(two):
    two.fake.clear()
    two.event(app_home_opened("U0ADMIN01"), team=TEAM_B)
    views = [c for c in two.fake.of("views.publish")]
    assert views and all(c.token == two.token(TEAM_B) for c in views)
    assert ALDER not in json.dumps([c.args for c in views])
    # a signed request from a workspace that never installed the app: nothing is read or written
    count = len(two.services.store.school_ids())
    two.fake.clear()
    ans = two.command("setup Stranger School model:TSI", channel=SAME, team="T0CCCCCC3")
    assert len(two.services.store.school_ids()) == count
    assert not [c for c in two.fake.calls if c.method != "response_url"], "a call with some workspace's token"
    assert ALDER not in ans.body and BIRCH not in ans.body


def sent_in(bot, sid: str) -> list[str]:
    """The keys (without the school id) of the messages school ``sid``'s ledger records as sent."""
    from bot.store.schema import LEDGER

    return [k.split("|", 1)[1] for k, doc in bot.services.store.view(sid).all(LEDGER).items() if doc.get("state") == "sent"]


def posts(bot, token: str | None = None):
    return [c for c in bot.fake.of("chat.postMessage") if token is None or c.token == token]


def test_each_workspace_is_swept_with_its_own_token_and_uninstalling_idles_it(two):
    """Both schools have the same nudge due on 2021-11-26 at 09:05 New York time."""
    token_a, token_b = two.token(TEAM_A), two.token(TEAM_B)
    a = school(two, TEAM_A)
    # workspace A uninstalls: its tokens go, its school stays, idle
    assert two.event({"type": "app_uninstalled"}, team=TEAM_A).status == 200
    assert two.token(TEAM_A) is None and two.token(TEAM_B) == token_b
    two.fake.clear()
    sweep(two.services, None, two.at(DUE).now)
    sent = posts(two)
    assert sent and all(c.token == token_b for c in sent) and not [c for c in two.fake.calls if c.token == token_a]
    assert sent_in(two, school(two, TEAM_B)) and not sent_in(two, a)
    assert two.services.store.index_entry(a)["name"] == ALDER
    # reinstalled: swept again at the next minute, with the new token; B's nudge is not sent twice
    two.install(TEAM_A)
    new_a = two.token(TEAM_A)
    assert new_a and new_a != token_a
    two.fake.clear()
    sweep(two.services, None, two.at(NEXT_MINUTE).now)
    sent = posts(two)
    assert sent and all(c.token == new_a for c in sent) and {c.args["channel"] for c in sent} == {SAME}
    assert sorted(sent_in(two, a)) == sorted(sent_in(two, school(two, TEAM_B)))  # the same nudge, once in each workspace


def test_tokens_revoked_deletes_the_bot_token(two):
    token_b = two.token(TEAM_B)
    ans = two.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UB0BBBBBB2"]}}, team=TEAM_B)
    assert ans.status == 200
    assert two.token(TEAM_B) is None and two.token(TEAM_A)
    two.fake.clear()
    sweep(two.services, None, two.at(DUE).now)
    assert not [c for c in two.fake.calls if c.token == token_b]
    assert posts(two) and all(c.token == two.token(TEAM_A) for c in posts(two))


def test_the_district_closures_of_b_are_not_as(two):
    """A closure B's district admin adds closes B's school only: /scep holidays in A does not list
    it, and the nudge due that day goes out that day in A and before it in B."""
    assert "closed" in said(two, "holidays add 2021-11-26 B's snow day", TEAM_B).lower()
    assert "B's snow day" in said(two, "holidays 2021-22", TEAM_B)
    assert "B's snow day" not in said(two, "holidays 2021-22", TEAM_A)
    two.command("remind district-holiday:2021-11-29", channel=SAME, team=TEAM_A)
    assert "2021-11-29" not in said(two, "holidays 2021-22", TEAM_B).replace("Mon Nov 29", "")
    a_plan, b_plan = said(two, "remind visit 1", TEAM_A), said(two, "remind visit 1", TEAM_B)
    # visit 1's "before the window closes" nudge: Fri Nov 26 in A; moved to Wed Nov 24 in B (Thanksgiving
    # on the 25th, B's snow day on the 26th)
    assert "Fri Nov 26 2021, 9:00 AM EST \\u00b7 before the window closes" in a_plan
    assert "Wed Nov 24 2021, 9:00 AM EST \\u00b7 before the window closes" in b_plan and "Fri Nov 26" not in b_plan


def test_closures_written_before_they_were_per_workspace_stay_every_workspaces(two):
    from bot.store.schema import DISTRICT_HOLIDAYS_SETTING

    two.services.store.set_setting(DISTRICT_HOLIDAYS_SETTING, [{"dates": "2021-11-26", "name": "Old snow day", "source": "district"}])
    assert "Old snow day" in said(two, "holidays 2021-22", TEAM_A) and "Old snow day" in said(two, "holidays 2021-22", TEAM_B)
    said(two, "holidays add 2021-12-22 Recess eve", TEAM_A)
    assert "Old snow day" in said(two, "holidays 2021-22", TEAM_B) and "Recess eve" not in said(two, "holidays 2021-22", TEAM_B)
    assert "Recess eve" in said(two, "holidays 2021-22", TEAM_A)

def test_the_district_dates_of_b_are_not_as(two):
    """A default date B's district changes (/scep dates) stays B's: A's schools keep the default."""
    two.at("2024-09-10T15:00:00Z")
    for team, name in ((TEAM_A, "Aspen High"), (TEAM_B, "Beech High")):
        assert two.command(f"setup {name} cycles:nysed-planning-sessions", channel="C0SESSION", team=team).status == 200

    def step(team: str) -> str:
        two.fake.clear()
        return two.command("step session 3", channel="C0SESSION", team=team).text

    assert "(default:" in step(TEAM_A) and "(default:" in step(TEAM_B)
    two.fake.clear()
    two.command("dates session 3 window 2025-03-10..2025-04-04", channel="C0SESSION", team=TEAM_B)
    assert "window Mon Mar 10 2025 – Fri Apr 4 2025" in step(TEAM_B) and "(default:" not in step(TEAM_B)
    assert "(default:" in step(TEAM_A) and "Mon Mar 10 2025" not in step(TEAM_A)


def test_the_retention_of_b_is_not_as(two):
    assert "kept *1 school year*" in said(two, "retention 1", TEAM_B)
    assert "kept *3 school years*" in said(two, "retention", TEAM_A) and "the default" in said(two, "retention", TEAM_A)
    assert "kept *1 school year*" in said(two, "retention", TEAM_B)
