"""App Home through signed app_home_opened events: each person's schools, the admin's view of
every school, paging, and the buttons."""

from __future__ import annotations

from bot.core.schools import SchoolState

from tests.harness import ADMIN
from tests.slack import app_home_opened, button, view_click, view_submission

LIA = "U0LIA0001"
TEAM = "U0TEAM001"
NOBODY = "U0NOBODY1"


def published(bot, user):
    calls = [c for c in bot.fake.of("views.publish") if c.args["user_id"] == user]
    assert calls, f"no Home published for {user}"
    view = calls[-1].args["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    return view


def home_text(view):
    out = []
    for b in view["blocks"]:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        for e in b.get("elements", []) or []:
            t = e.get("text")
            out.append(t["text"] if isinstance(t, dict) else str(t or ""))
    return "\n".join(out)


def three_schools(bot):
    for uid, name in ((LIA, "lia"), (TEAM, "tam"), (NOBODY, "nob")):
        bot.fake.add_user(uid, name)
    bot.setup("Lincoln Elementary", channel="C0LINC001")
    bot.command(f"roles liaison:<@{LIA}>", channel="C0LINC001")
    bot.setup("Adams High model:CSI", channel="C0ADAM001")
    bot.command(f"roles liaison:<@{LIA}> team:<@{TEAM}>", channel="C0ADAM001")
    bot.setup("Zion Middle", channel="C0ZION001")


def test_a_liaison_sees_their_schools_with_next_item_and_buttons(bot):
    three_schools(bot)
    ans = bot.event(app_home_opened(LIA))
    assert ans.status == 200
    view = published(bot, LIA)
    text = home_text(view)
    assert "Adams High" in text and "Lincoln Elementary" in text and "Zion Middle" not in text
    assert text.index("Adams High") < text.index("Lincoln Elementary")
    assert "you: liaison" in text and "2 schools where you hold a role" in text
    assert "Next: :large_green_circle: SCEP Support Visit 1: window open until Tue Nov 30 2021" in text
    assert "checklist 0/8" in text
    sid = bot.services.store.school_for_channel("T0DEMO001", "C0LINC001")
    values = [e["value"] for b in view["blocks"] if b.get("block_id") == f"home|{sid}" for e in b["elements"]]
    assert f"{sid}|2021-22:nysed-tsi-visits/visit-1" in values  # checklist and schedule of visit 1


def test_a_team_member_sees_only_their_school(bot):
    three_schools(bot)
    bot.event(app_home_opened(TEAM))
    text = home_text(published(bot, TEAM))
    assert "Adams High" in text and "you: team" in text and "Lincoln" not in text


def test_someone_without_a_role_is_told_how_to_get_one(bot):
    three_schools(bot)
    bot.event(app_home_opened(NOBODY))
    assert "You don't hold a role in any school yet" in home_text(published(bot, NOBODY))


def test_the_messages_tab_publishes_nothing(bot):
    three_schools(bot)
    bot.event(app_home_opened(LIA, tab="messages"))
    assert bot.fake.of("views.publish") == []


def test_an_admin_sees_every_school_paged(bot):
    for n in range(23):
        bot.setup(f"School {n:02d}", channel=f"C0S{n:06d}")
    bot.event(app_home_opened(ADMIN))
    view = published(bot, ADMIN)
    text = home_text(view)
    assert "23 in the workspace (you're an admin)" in text and "page 1 of 3" in text
    assert "School 00" in text and "School 09" in text and "School 10" not in text
    nxt = button(view["blocks"], "home_page")
    bot.interactive(view_click(view, nxt, user=ADMIN))
    page2 = home_text(published(bot, ADMIN))
    assert "page 2 of 3" in page2 and "School 10" in page2 and "School 00" not in page2
    # the middle page has both buttons, with different action ids (Slack refuses the view otherwise)
    view2 = published(bot, ADMIN)
    prev = button(view2["blocks"], "home_page_prev")
    assert button(view2["blocks"], "home_page")["value"] == "3" and prev["value"] == "1"
    bot.interactive(view_click(view2, prev, user=ADMIN))
    assert "page 1 of 3" in home_text(published(bot, ADMIN))


def test_overdue_count(bot):
    three_schools(bot)
    bot.at("2022-01-10T14:00:00Z").event(app_home_opened(LIA))
    text = home_text(published(bot, LIA))
    adams, lincoln = text.split("*Adams High*")[1].split("*Lincoln Elementary*")
    # Adams (CSI): planning session 1, whose dates were never reported (its typical window closed Nov 30)
    assert "*1 overdue*" in adams
    # Lincoln: visits 1 and 2, and session 1 too when its default cycles include the planning sessions
    store = bot.services.store
    cycles = next(SchoolState.read(store.view(s)).school.cycles for s in store.school_ids() if SchoolState.read(store.view(s)).school.name == "Lincoln Elementary")
    assert f"*{2 + ('nysed-planning-sessions' in cycles)} overdue*" in lincoln


def test_schedule_from_home_and_the_home_refreshes(bot):
    three_schools(bot)
    bot.event(app_home_opened(LIA))
    view = published(bot, LIA)
    sched = next(e for b in view["blocks"] for e in b.get("elements", []) or [] if e.get("action_id") == "sched_open")
    sched = {**sched, "block_id": "home"}
    bot.interactive(view_click(view, sched, user=LIA))
    modal = bot.fake.of("views.open")[-1].args["view"]
    assert modal["callback_id"] == "scep_schedule"
    bot.fake.clear()
    values = {"date": {"value": {"type": "datepicker", "selected_date": "2021-11-18"}}, "time": {"value": {"type": "timepicker", "selected_time": "13:30"}}}
    bot.interactive(view_submission(modal, values, user=LIA))
    post = bot.fake.of("chat.postMessage")[-1]
    assert post.args["channel"] in ("C0ADAM001", "C0LINC001") and "Thu Nov 18 2021, 1:30 PM EST" in post.args["text"]
    assert "Thu Nov 18 2021, 1:30 PM EST" in home_text(published(bot, LIA))


def test_checklist_from_home(bot):
    three_schools(bot)
    bot.event(app_home_opened(LIA))
    view = published(bot, LIA)
    btn = next(e for b in view["blocks"] for e in b.get("elements", []) or [] if e.get("action_id") == "home_checklist")
    bot.interactive(view_click(view, {**btn, "block_id": "home"}, user=LIA))
    modal = bot.fake.of("views.open")[-1].args["view"]
    assert modal["callback_id"] == "scep_checklist" and modal["title"]["text"] == "Session 1: checklist"


def test_picture_of_the_year_from_home_goes_to_the_persons_dm(bot):
    """The button on each school card uploads that school's year (the PNG `/scep timeline picture`
    draws) to the DM of whoever clicked; a forged click for a school they may not read, or a
    garbled value, is refused with a note and uploads nothing."""
    from bot.core.school_calendar import read_school
    from bot.pictures.year import year_png
    from tests.test_pictures import png_size

    three_schools(bot)
    bot.event(app_home_opened(LIA))
    view = published(bot, LIA)
    adams = bot.services.store.school_for_channel("T0DEMO001", "C0ADAM001")
    pictures = [e for b in view["blocks"] for e in b.get("elements", []) or [] if e.get("action_id") == "home_picture"]
    assert [p["value"] for p in pictures][0] == adams and len(pictures) == 2 and pictures[0]["text"]["text"] == "Picture of the year"
    before = len(bot.fake.uploaded())
    bot.interactive(view_click(view, {**pictures[0], "block_id": f"home|{adams}"}, user=LIA))
    files = bot.fake.uploaded()[before:]
    assert [f["filename"] for f in files] == ["Adams-High-year.png"]
    assert bot.fake.of("conversations.open")[-1].args["users"] == LIA
    assert files[0]["channel"] == "D" + LIA[:10]  # the emulator's DM channel with the person
    assert png_size(files[0]["data"])[0] == 800
    assert files[0]["data"] == year_png(read_school(bot.services.store, adams), bot.services.library, bot.now)
    # someone with no role in Adams High forges the click: refused, nothing uploaded
    before = len(bot.fake.uploaded())
    bot.interactive(view_click(view, {**pictures[0], "block_id": f"home|{adams}"}, user=NOBODY))
    assert len(bot.fake.uploaded()) == before
    notice = str(bot.fake.of("views.open")[-1].args["view"])
    assert "see this school" in notice, notice  # who may: the liaison, the roles, the channel
    # a garbled value or a school that is gone: a note saying what to type instead
    for value in ("../../etc", "S0NOSUCH1"):
        bot.interactive(view_click(view, {**pictures[0], "value": value, "block_id": "home|x"}, user=LIA))
        notice = str(bot.fake.of("views.open")[-1].args["view"])
        assert "/scep timeline picture" in notice or "/scep schools" in notice, notice
    assert len(bot.fake.uploaded()) == before
