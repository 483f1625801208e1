"""The authorization matrix: every /scep subcommand and every button, form, shortcut and event the
app registers, against every role, through signed requests into the real Bolt app.

Who may do what is the table in docs/security.md (the README and docs/checklists.md agree):
the tables below restate it, so that the bot, not the test, has to change when they disagree.
A new subcommand or listener without a row here fails ``test_every_*_has_a_row``.

Allowed means the thing happened (the store changed, the message was posted, the form opened).
Refused means a clear message to that one person (ephemeral, or a small modal), nothing written,
nothing posted, and nothing of school A shown.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

import pytest

from bot.core import command
from bot.root.services import build_services
from bot.root.settings import Settings
from tests import authz_world as W
from tests.authz_world import (
    A_CHANNEL,
    A_NAME,
    B_CHANNEL,
    IN_A_CHANNEL,
    PEOPLE,
    Seen,
    World,
    observe,
)

GUESTS = {"guest", "sc_guest", "guest_team"}

# ---------------------------------------------------------------- the documented table
# acting in school A's channel (Slack lets only the channel's members type or click there)
IN_CHANNEL: dict[str, set[str]] = {
    "anyone": set(IN_A_CHANNEL),  # reading what the channel shows: guests too
    "member": set(IN_A_CHANNEL) - GUESTS,  # full members of the workspace (not guests)
    "act": {"admin", "liaison", "principal", "team", "reviewer", "district", "member", "guest_team"},
    "read": set(IN_A_CHANNEL),
    "setup": {"admin", "liaison"},
    "roles": {"admin", "liaison"},
    "commitments": {"admin", "liaison", "principal"},
    "forget": {"admin", "liaison"},
    "history": {"admin", "liaison", "district"},
    "review": {"admin", "reviewer", "district"},
    "note": {"admin", "liaison", "team"},  # the note's author (the team member), the liaison, admins
    "district_holidays": {"admin", "district"},  # holidays of every school
    "feed": {"liaison", "principal", "team", "reviewer", "district", "guest_team"},  # calendar links follow roles only
    "district_picture": {"admin", "liaison", "district"},  # the schools where one is liaison or district admin
    "admin": {"admin"},  # workspace admins only: retention, privacy exports and deletions
    "workspace_admin": {"admin"},  # the district's roster (/scep roster)
    "none": set(),
}
# acting from outside A's channel (App Home, a DM, a modal opened there): only roles count
OUTSIDE: dict[str, set[str]] = {
    "act": {"admin", "liaison", "principal", "team", "district", "guest_team"},
    "read": {"admin", "liaison", "principal", "team", "reviewer", "district", "guest_team"},
    "roles": {"admin", "liaison"},
    "commitments": {"admin", "liaison", "principal"},
    "review": {"admin", "reviewer", "district"},
    "note": {"admin", "liaison", "team"},
    "none": set(),
}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    for world in W.module_world(tmp_path_factory, "authz"):
        world.bot.services.settings.public_url = "https://scep.example.org"  # switches /scep calendar on
        yield world


@pytest.fixture
def world(shared) -> World:
    """School A as built, whatever the previous test did to it."""
    shared.reset_all()
    shared.bot.fake.clear()
    return shared


@pytest.fixture
def fresh_world(bot) -> World:
    return W.build(bot)


# ---------------------------------------------------------------- every listener has a row


class Recorder:
    """Stands in for the Bolt app while ``handlers.register_all`` runs: records what is registered."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def __getattr__(self, kind: str):
        def register(constraint: Any = None, *args: Any, **kw: Any):
            if kind in ("middleware", "use", "error") and callable(constraint):
                self.seen.add((kind, constraint.__name__))
                return constraint
            if isinstance(constraint, re.Pattern):
                constraint = constraint.pattern
            elif isinstance(constraint, dict):
                constraint = constraint.get("callback_id") or constraint.get("action_id") or json.dumps(constraint, sort_keys=True)
            self.seen.add((kind, str(constraint)))
            return lambda fn: fn

        return register


def registered(tmp_path) -> set[tuple[str, str]]:
    import handlers

    services = build_services(Settings(data_dir=tmp_path / "reg"))
    rec = Recorder()
    handlers.register_all(rec, services)
    services.store.close()
    return rec.seen


def test_every_subcommand_has_a_row():
    command.load_features()
    names = {sub.name for sub in command.REGISTRY.values()}
    assert names == set(COMMANDS), f"rows missing for {names - set(COMMANDS)}; rows for no command: {set(COMMANDS) - names}"


def test_every_listener_the_app_registers_has_a_row(tmp_path):
    listed = {("command", "/scep"), ("event", "message"), ("event", "app_home_opened"), ("middleware", "replay_guard"),
              ("shortcut", "save_scep_note"), ("action", "^(home_page|home_page_prev)$"), ("action", "note_school")}
    listed |= {("action", a) for a in ACTIONS} | {("view", v) for v in VIEWS}
    listed = {(k, "^ck_toggle_\\d+$" if v == "ck_toggle_0" else v) for k, v in listed}
    seen = registered(tmp_path)
    assert seen == listed, f"registered without a row: {seen - listed}; rows for nothing registered: {listed - seen}"


# ---------------------------------------------------------------- /scep, in school A's channel

# subcommand -> [(text after the subcommand, who may, what "allowed" looks like)]
# kinds: read (an answer, no refusal), write (school A's data changed), post (a message in A's
# channel), upload (a file in A's channel)
COMMANDS: dict[str, list[tuple[str, str, str]]] = {
    "help": [("", "anyone", "read")],
    "cycles": [("", "anyone", "read")],
    "next": [("", "anyone", "read")],
    "timeline": [("", "anyone", "read"), ("picture", "anyone", "upload")],
    "schools": [("", "member", "read"), ("picture", "district_picture", "upload")],
    "calendar": [("", "feed", "read")],
    "step": [("visit 1", "anyone", "read")],
    "setup": [("Renamed School", "setup", "write")],
    "roles": [("", "anyone", "read"), (f"team:<@{W.TEAM}>,<@{W.GUEST_TEAM}>,<@{W.EXTRA}>", "roles", "write")],
    "checklist": [("visit 2", "act", "post")],
    "schedule": [("visit 2 Dec 14 10am", "act", "write"), ("visit 2", "act", "read")],
    "done": [("visit 2", "act", "write")],
    "undo": [("visit 3", "act", "write")],
    "data": [("milestones ready Oct 20", "act", "write")],
    "meeting": [("fall Nov 10", "act", "write")],
    "submit": [("calendars draft", "act", "write")],
    "notes": [("visit 1", "anyone", "read"), ("start visit 2", "act", "post"), ("sync", "act", "read")],
    "commitments": [("", "anyone", "read"), ('"Reading" "Families"', "commitments", "write")],
    "forget": [("visit 1", "forget", "write")],
    "export": [("year", "act", "upload"), ("summary visit 1 md", "act", "upload"), ("calendar", "act", "upload")],
    "history": [("", "history", "read")],
    "retention": [("", "anyone", "read"), ("2", "admin", "read")],
    "privacy": [("export school", "admin", "upload"), (f"export <@{W.TEAM}>", "admin", "upload"), ("delete school", "admin", "read"),
                (f"forget <@{W.TEAM}>", "admin", "read"), ("unlink school", "admin", "read")],
    "relink": [("", "admin", "read")],
    "remind": [("", "anyone", "read"), ("visit 2", "anyone", "read"), ("visit 2 opens:off", "setup", "write"), ("time:08:30", "setup", "write"),
               ("district-holiday:2021-11-25", "district_holidays", "write")],
    "roster": [("", "workspace_admin", "upload")],
    "digests": [("", "anyone", "read"), ("off weekly", "anyone", "read"), ("school off monthly", "setup", "write")],
    "holidays": [("", "anyone", "read"), ("2021-22", "anyone", "read"), ("add 2021-11-24 Staff day", "district_holidays", "write"),
                 ("public:off", "setup", "write")],
    "dates": [("", "anyone", "read"), ("sps optional services due 3pm", "district_holidays", "write")],
}
COMMAND_CASES = [(name, text, who, kind) for name, rows in COMMANDS.items() for text, who, kind in rows]


def assert_refused(seen: Seen, what: str) -> None:
    assert seen.refused, f"{what}: expected a refusal that says who can, got: {seen.shown[:600]}"
    assert not seen.wrote, f"{what}: refused, yet school A's data changed"
    assert seen.ephemeral_only(), f"{what}: a refusal must only be shown to the one person"


def assert_allowed(seen: Seen, kind: str, what: str) -> None:
    assert not seen.refused, f"{what}: expected to be allowed, got: {seen.shown[:600]}"
    if kind == "write":
        assert seen.wrote, f"{what}: allowed, but nothing was written: {seen.shown[:400]}"
    elif kind == "post":
        assert seen.posts_in(A_CHANNEL), f"{what}: nothing posted in the school's channel: {seen.shown[:400]}"
    elif kind == "upload":
        assert seen.of("files.completeUploadExternal"), f"{what}: no file uploaded: {seen.shown[:400]}"
    else:
        assert seen.shown.strip(), f"{what}: no answer"


@pytest.mark.parametrize("name,text,who,kind", COMMAND_CASES, ids=[f"{n}:{t[:14]}" for n, t, _, _ in COMMAND_CASES])
def test_slash_command_matrix(world, name, text, who, kind):
    bot = world.bot
    if name == "undo":
        bot.command("done visit 3", channel=A_CHANNEL)
    world.snapshot_all()
    for role in IN_A_CHANNEL:
        seen = observe(world, lambda: bot.command(f"{name} {text}".strip(), channel=A_CHANNEL, user=PEOPLE[role]))
        what = f"/scep {name} {text} by the {role} in A's channel"
        if role in IN_CHANNEL[who]:
            assert_allowed(seen, kind, what)
        else:
            assert_refused(seen, what)
        world.reset_all()
        if name == "undo":
            bot.command("done visit 3", channel=A_CHANNEL)
    # B's liaison in B's channel, a stranger in a channel no school uses: school A is untouched and unseen
    for role, channel in (("other", B_CHANNEL), ("stranger", f"C0NOWHERE{abs(hash(name + text)) % 10**6}")):
        seen = observe(world, lambda: bot.command(f"{name} {text}".strip(), channel=channel, user=PEOPLE[role]))
        assert not seen.wrote, f"/scep {name} {text} by the {role} changed school A"
        assert A_NAME not in seen.shown and A_CHANNEL not in seen.shown, f"/scep {name} {text} by the {role} showed school A: {seen.shown[:400]}"


def test_a_guest_is_told_why_and_a_guest_with_a_role_acts(fresh_world):
    world = fresh_world
    bot = world.bot
    seen = observe(world, lambda: bot.command("done visit 2", channel=A_CHANNEL, user=W.GUEST))
    assert "Guests of the workspace can read what this channel shows but change nothing" in seen.shown and not seen.wrote
    seen = observe(world, lambda: bot.command("schools", channel=A_CHANNEL, user=W.SC_GUEST))
    assert "Guests of this workspace can't list the workspace's schools" in seen.shown
    seen = observe(world, lambda: bot.command("setup Guest School", channel="C0GUESTCH", user=W.GUEST))
    assert "Guests of this workspace can't link a channel to a school" in seen.shown and not bot.services.store.school_for_channel("T0DEMO001", "C0GUESTCH")
    seen = observe(world, lambda: bot.command("done visit 2", channel=A_CHANNEL, user=W.GUEST_TEAM))
    assert seen.wrote and "marked *SCEP Support Visit 2* done" in seen.shown


def test_schools_lists_only_your_schools_unless_you_are_an_admin(fresh_world):
    world = fresh_world
    bot = world.bot
    admin = observe(world, lambda: bot.command("schools", channel=A_CHANNEL))
    assert A_NAME in admin.shown and W.B_NAME in admin.shown
    other = observe(world, lambda: bot.command("schools", channel=B_CHANNEL, user=W.OTHER))
    assert W.B_NAME in other.shown and A_NAME not in other.shown and "1 other school is not shown" in other.shown
    member = observe(world, lambda: bot.command("schools", channel=A_CHANNEL, user=W.MEMBER))
    assert A_NAME in member.shown and W.B_NAME not in member.shown  # the school of the channel you are in


# ---------------------------------------------------------------- buttons, forms, shortcut, events

# where a click comes from: "home" (App Home, a modal opened there, a DM: only roles count),
# "A" (a message in A's channel), "B" (a message in B's channel carrying school A's ids)
CONTEXTS = ("home", "A", "B")
WHO_IN = {"home": list(PEOPLE), "A": IN_A_CHANNEL, "B": ["liaison", "other", "admin"]}


def expected(perm: str, context: str, role: str) -> bool:
    if context == "B":
        return False  # one school per channel: never school A's data in B's channel
    return role in (IN_CHANNEL if context == "A" else OUTSIDE)[perm]


def _toggle(world: World) -> dict[str, Any]:
    block = next(b for b in world.checklist["blocks"] if b.get("type") == "actions" and b["elements"][0].get("type") == "checkboxes")
    el = block["elements"][0]
    return {"action_id": el["action_id"], "block_id": block["block_id"], "type": "checkboxes", "selected_options": [el["options"][0]]}


def _ticked(world: World, seen: Seen) -> bool:
    return bool((world.step_doc("visit 1").get("checklist") or {}).get("ticks"))


# action id -> (permission, the action as Slack sends it, did it happen?, contexts)
ACTIONS: dict[str, tuple[str, Callable[[World], dict[str, Any]], Callable[[World, Seen], bool], tuple[str, ...]]] = {
    "ck_toggle_0": ("act", _toggle, _ticked, CONTEXTS),
    "ck_done": ("act", lambda w: {"action_id": "ck_done", "value": f"{w.a}|{w.key('visit 1')}|held"},
                lambda w, s: "held" in (w.step_doc("visit 1").get("done") or {}), CONTEXTS),
    "sched_open": ("act", lambda w: {"action_id": "sched_open", "value": f"{w.a}|{w.key('visit 2')}"},
                   lambda w, s: bool(s.views("scep_schedule")), CONTEXTS),
    "home_checklist": ("read", lambda w: {"action_id": "home_checklist", "value": f"{w.a}|{w.key('visit 1')}"},
                       lambda w, s: any(A_NAME in json.dumps(v) for v in s.views("scep_checklist")), CONTEXTS),
    # App Home's "Picture of the year": the PNG of the school the value names, to the clicker's DM
    "home_picture": ("read", lambda w: {"action_id": "home_picture", "value": w.a},
                     lambda w, s: any(A_NAME in json.dumps(c.args, default=str) for c in s.of("files.completeUploadExternal")), CONTEXTS),
    "ck_current": ("read", lambda w: {"action_id": "ck_current", "value": f"{w.a}|nysed-tsi-visits/visit-1"},
                   lambda w, s: any(A_NAME in json.dumps(v) for v in s.views("scep_checklist")), CONTEXTS),
    "open_checklist": ("read", lambda w: {"action_id": "open_checklist", "value": w.key("visit 1")},
                       lambda w, s: any(A_NAME in json.dumps(v) for v in s.views("scep_checklist")), ("A", "B")),
    "rv_submit": ("act", lambda w: {"action_id": "rv_submit", "value": f"{w.a}|{w.key('calendars')}|draft"},
                  lambda w, s: (w.step_doc("calendars").get("review") or {}).get("status") == "submitted", CONTEXTS),
    "rv_approve": ("review", lambda w: {"action_id": "rv_approve", "value": f"{w.a}|{w.key('priority levers')}|1"},
                   lambda w, s: (w.step_doc("priority levers").get("review") or {}).get("status") == "approved", CONTEXTS),
    "rv_changes": ("review", lambda w: {"action_id": "rv_changes", "value": f"{w.a}|{w.key('priority levers')}|1"},
                   lambda w, s: bool(s.views("scep_feedback")), CONTEXTS),
    "roles_edit": ("roles", lambda w: {"action_id": "roles_edit", "value": w.a}, lambda w, s: bool(s.views("scep_roles")), CONTEXTS),
    "note_redact": ("note", lambda w: {"action_id": "note_redact", "value": json.dumps({"s": w.a, "k": w.note_key})},
                    lambda w, s: bool((w.store.view(w.a).get("notes", w.note_key) or {}).get("redacted")), CONTEXTS),
    "note_keep": ("note", lambda w: {"action_id": "note_keep", "value": json.dumps({"s": w.a, "k": w.note_key})},
                  lambda w, s: bool((w.store.view(w.a).get("notes", w.note_key) or {}).get("kept")), CONTEXTS),
    # the nudges' buttons (in the school's channel, or a DM to the liaison or the district admin)
    "nudge_done": ("act", lambda w: {"action_id": "nudge_done", "value": f"{w.a}|{w.key('visit 1')}|closing"},
                   lambda w, s: "held" in (w.step_doc("visit 1").get("done") or {}), CONTEXTS),
    "nudge_snooze": ("act", lambda w: {"action_id": "nudge_snooze", "value": f"{w.a}|{w.key('visit 1')}|closing"},
                     lambda w, s: bool(w.step_doc("visit 1").get("snooze")), CONTEXTS),
    # "Report the dates" on the nudge that asks for a session's dates; "Mark done anyway" under the
    # question asked when a step is marked done before its data date
    "anchor_dates_open": ("act", lambda w: {"action_id": "anchor_dates_open", "value": f"{w.a}|{w.key('session 1')}"},
                          lambda w, s: bool(s.views("scep_anchor_dates")), CONTEXTS),
    "done_confirm": ("act", lambda w: {"action_id": "done_confirm", "value": f"{w.a}|{w.key('session 1')}|held"},
                     lambda w, s: "held" in (w.step_doc("session 1").get("done") or {}), CONTEXTS),
    # under /scep timeline: uploads the picture of the channel's school (in B's channel, B's)
    "timeline_picture": ("read", lambda w: {"action_id": "timeline_picture", "value": ""},
                         lambda w, s: any(A_NAME in json.dumps(c.args, default=str) for c in s.of("files.completeUploadExternal")), ("A", "B")),
}


def _where(world: World, context: str, action_id: str) -> dict[str, Any]:
    if context == "A":
        msg = {"type": "message", "ts": world.checklist["ts"], "text": world.checklist["text"], "blocks": world.checklist["blocks"],
               "user": "UBOT0001", "bot_id": "BBOT0001"} if action_id.startswith("ck_") else None
        return {"where": A_CHANNEL, "message": msg}
    if context == "B":
        msg = {"type": "message", "ts": "1700000000.000999", "text": world.checklist["text"], "blocks": world.checklist["blocks"],
               "user": "UBOT0001", "bot_id": "BBOT0001"}
        return {"where": B_CHANNEL, "message": msg}
    if action_id.startswith("ck_"):  # the checklist in a modal opened from App Home
        return {"where": None, "view": {"type": "modal", "callback_id": "scep_checklist",
                                        "private_metadata": world.bot.seal("scep_checklist", f"{world.a}|{world.key('visit 1')}|"),
                                        "blocks": world.checklist["blocks"]}}
    if action_id.startswith(("rv_", "note_", "nudge_")):  # the reviewer's DM, the author's warning, an escalation: a DM
        return {"where": "D0DIRECT1"}
    return {"where": None}


ACTION_CASES = [(a, c) for a, (_, _, _, contexts) in ACTIONS.items() for c in contexts]


@pytest.mark.parametrize("action_id,context", ACTION_CASES, ids=[f"{a}@{c}" for a, c in ACTION_CASES])
def test_button_matrix(world, action_id, context):
    perm, make, happened, _ = ACTIONS[action_id]
    bot = world.bot
    world.snapshot_all()
    for role in WHO_IN[context]:
        payload = W.click(bot, PEOPLE[role], make(world), **_where(world, context, action_id))
        seen = observe(world, lambda: bot.interactive(payload))
        what = f"{action_id} clicked by the {role} ({context})"
        assert seen.answer.status == 200, what
        if expected(perm, context, role):
            assert not seen.refused and happened(world, seen), f"{what}: expected it to work: {seen.shown[:600]}"
        else:
            assert not happened(world, seen), f"{what}: expected a refusal, but it happened"
            assert not seen.wrote and not seen.posts_in(A_CHANNEL), f"{what}: refused, yet something was written or posted"
            assert A_NAME not in seen.shown.replace(f"for {A_NAME}:", "").replace(f"do that for {A_NAME} in", "") or seen.refused, f"{what}: showed school A"
            if context != "B" or action_id not in ("open_checklist", "timeline_picture"):  # in B's channel: B's own
                assert seen.refused, f"{what}: no clear refusal: {seen.shown[:600]}"
        world.reset_all()


# form (callback id) -> (permission, private_metadata for a context, values, did it happen?, contexts)
VIEWS: dict[str, tuple[str, Callable[[World, str], str], Callable[[World], dict[str, Any]], Callable[[World, Seen], bool], tuple[str, ...]]] = {
    "scep_setup": ("setup", lambda w, origin: origin, lambda w: {"name": W.text_input("Renamed School"), "model": W.select("value", "TSI"),
                                                                   "tz": W.text_input("America/New_York")},
                   lambda w, s: w.profile()["name"] == "Renamed School", ("A",)),
    "scep_roles": ("roles", lambda w, origin: f"{w.a}|{origin}",
                   lambda w: {r: {"value": {"type": "multi_users_select", "selected_users": list(w.profile()["roles"].get(r) or []) + ([W.EXTRA] if r == "team" else [])}}
                              for r in ("liaison", "principal", "team", "reviewer", "district")},
                   lambda w, s: W.EXTRA in (w.profile()["roles"].get("team") or []), CONTEXTS),
    "scep_schedule": ("act", lambda w, origin: f"{w.a}|{w.key('visit 2')}|{origin}",
                      lambda w: {"date": {"value": {"type": "datepicker", "selected_date": "2021-12-14"}},
                                 "time": {"value": {"type": "timepicker", "selected_time": "10:00"}}},
                      lambda w, s: bool(w.step_doc("visit 2").get("scheduled_at")), CONTEXTS),
    "scep_anchor_dates": ("act", lambda w, origin: f"{w.a}|{w.key('session 1')}|{origin}",
                          lambda w: {"a:milestones-data": {"value": {"type": "datepicker", "selected_date": f"{w.key('session 1')[:4]}-10-20"}}},
                          lambda w, s: bool(w.store.view(w.a).all("anchors")), CONTEXTS),
    "scep_feedback": ("review", lambda w, origin: f"{w.a}|{w.key('priority levers')}|1||",
                      lambda w: {"feedback": {"value": {"type": "plain_text_input", "value": "Add the spring data"}}},
                      lambda w, s: (w.step_doc("priority levers").get("review") or {}).get("status") == "changes_requested", ("home",)),
    "scep_commitments": ("commitments", lambda w, origin: origin, lambda w: {"c1": W.text_input("Reading"), "c2": W.text_input("Families")},
                         lambda w, s: w.profile()["commitments"] == ["Reading", "Families"], ("A",)),
    "scep_save_note": ("act", None, None, None, ("home", "A", "B")),  # the shortcut's form: test_save_note_matrix
}

VIEW_CASES = [(v, c) for v, (_, meta, _, _, contexts) in VIEWS.items() if meta is not None for c in contexts]


@pytest.mark.parametrize("callback_id,context", VIEW_CASES, ids=[f"{v}@{c}" for v, c in VIEW_CASES])
def test_form_matrix(world, callback_id, context):
    perm, meta, values, happened, _ = VIEWS[callback_id]
    bot = world.bot
    origin = {"home": "", "A": A_CHANNEL, "B": B_CHANNEL}[context]
    world.snapshot_all()
    for role in WHO_IN[context]:
        payload = W.submission(PEOPLE[role], callback_id, meta(world, origin), values(world), sealed_by=bot)
        seen = observe(world, lambda: bot.interactive(payload))
        what = f"form {callback_id} sent by the {role} ({context})"
        assert seen.answer.status == 200, what
        if expected(perm, context, role):
            assert not seen.refused and happened(world, seen), f"{what}: expected it to work: {seen.shown[:600]}"
        else:
            assert not happened(world, seen) and not seen.wrote, f"{what}: refused, yet it happened"
            assert seen.refused, f"{what}: no clear refusal: {seen.shown[:600]}"
            assert not seen.posts_in(A_CHANNEL), f"{what}: refused, yet announced"
        world.reset_all()
        if callback_id == "scep_setup":
            world.store.bind(world.a, name=A_NAME, team_id="T0DEMO001", channel_id=A_CHANNEL)


@pytest.mark.parametrize("context", ["home", "A", "B"])
def test_save_note_matrix(world, context):
    """The message shortcut and its form: from a DM or a channel no school uses (``home``: roles
    count), on a message in A's channel (A's people), on a message in B's channel (B only)."""
    bot = world.bot
    channel = {"home": W.ELSEWHERE, "A": A_CHANNEL, "B": B_CHANNEL}[context]
    world.snapshot_all()
    for role in WHO_IN[context]:
        opened, meta = W.open_note_form(world, PEOPLE[role], channel)
        offered = [v for v in opened.views("scep_save_note") if A_NAME in json.dumps(v)]
        may = expected("act", context, role)
        assert bool(offered) == may, f"the note form for the {role} ({context}) {'lacks' if may else 'offers'} school A: {opened.shown[:500]}"
        if not opened.views("scep_save_note"):
            assert opened.refused, f"no form and no clear reason for the {role} ({context}): {opened.shown[:500]}"
            # a form from before (or forged) that names school A is refused all the same
            _, meta = W.open_note_form(world, W.ADMIN, W.ELSEWHERE)
        values = {"school": W.select("note_school", world.a), "step": W.select("value", "2021-22|nysed-tsi-visits/visit-1"), "commitment": W.select("value", "0")}
        seen = observe(world, lambda: bot.interactive(W.submission(PEOPLE[role], "scep_save_note", meta, values)))
        saved = any(n.get("saved_by") == PEOPLE[role] for n in world.store.view(world.a).all("notes").values())
        assert saved == may, f"the {role} ({context}) {'could not save' if may else 'saved'} a note in school A: {seen.shown[:500]}"
        if not may:
            assert seen.refused or not opened.views("scep_save_note"), f"no clear refusal for the {role} ({context}): {seen.shown[:500]}"
        world.reset_all()


@pytest.mark.parametrize("role", list(PEOPLE))
def test_app_home_shows_school_a_only_to_its_people(world, role):
    bot = world.bot
    from tests.slack import app_home_opened

    seen = observe(world, lambda: bot.event(app_home_opened(PEOPLE[role])))
    home = seen.views("home")
    assert home, f"no App Home for the {role}"
    shows = A_NAME in json.dumps(home[-1])
    assert shows == (role in OUTSIDE["read"]), f"App Home of the {role} {'shows' if shows else 'lacks'} school A"
    page = observe(world, lambda: bot.interactive(W.click(bot, PEOPLE[role], {"action_id": "home_page", "value": "1"}, where=None)))
    assert (A_NAME in json.dumps(page.views("home"))) == shows
