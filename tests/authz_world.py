"""A workspace with two schools and one person for every role, as Slack would show them to the bot.

School A, Juniper Ridge Elementary, in ``A_CHANNEL``: a liaison, a principal, a team member, a reviewer,
a district admin, a guest who holds the team role, and in its channel a member with no role and
two guests (multi- and single-channel). School B, Quarry Hill Middle, in ``B_CHANNEL``, whose
liaison (``OTHER``) has nothing to do with A. A stranger holds no role anywhere and is in no
school's channel. Everything is set up through signed requests, as people would.

``observe(world, fn)`` runs one request and gathers what people were shown (the ack, the
response_url posts, messages, ephemerals, modals, App Home) and whether school A's data changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Callable

from bot.core.steps import resolve
from bot.root.emulator import TEAM_ID
from bot.store.schema import PROFILE, STEP_KIND
from tests.harness import ADMIN, CHANNEL, Answer, Bot
from tests.notes_helpers import reply, ts_at

A_CHANNEL = CHANNEL
B_CHANNEL = "C0SCHOOLB"
ELSEWHERE = "C0ELSEWHR"  # a channel no school uses
A_NAME = "Juniper Ridge Elementary"
B_NAME = "Quarry Hill Middle"

LIAISON = "U0LIA0001"
PRINCIPAL = "U0PRI0001"
TEAM = "U0TEAM001"
REVIEWER = "U0REV0001"
DISTRICT = "U0DIST001"
MEMBER = "U0MEMB001"  # in A's channel, no role
GUEST = "U0GUEST01"  # a multi-channel guest in A's channel, no role
SC_GUEST = "U0SCGST01"  # a single-channel guest in A's channel, no role
GUEST_TEAM = "U0GTEAM01"  # a guest the liaison gave the team role
OTHER = "U0OTHER01"  # the liaison of school B
STRANGER = "U0STRNG01"  # nobody's anything
EXTRA = "U0EXTRA01"  # someone to add to and remove from a role

PEOPLE = {
    "admin": ADMIN, "liaison": LIAISON, "principal": PRINCIPAL, "team": TEAM, "reviewer": REVIEWER, "district": DISTRICT,
    "member": MEMBER, "guest": GUEST, "sc_guest": SC_GUEST, "guest_team": GUEST_TEAM, "other": OTHER, "stranger": STRANGER,
}
# who can type in A's channel (Slack lets only a channel's members use a command or click there)
IN_A_CHANNEL = ["admin", "liaison", "principal", "team", "reviewer", "district", "member", "guest", "sc_guest", "guest_team"]
# everyone, acting from outside A's channel: App Home, a DM, a modal opened there, another channel
EVERYONE = list(PEOPLE)

REFUSALS = (
    "Only workspace admins", "Guests of this workspace", "belongs to another school", "This checklist belongs to",
    "it can only be saved as a note of", "Only the note's author", "isn't linked to a school", "so there is no school to save this note in",
    "belongs to another workspace", "can't list the workspace", "can't link a channel",
    "Calendar links follow roles", "where you are liaison or district admin", "see the district's picture",
)

VISIT = "2021-22:nysed-tsi-visits/visit-{}"


@dataclass
class World:
    bot: Bot
    a: str  # school ids
    b: str
    keys: dict[str, str] = field(default_factory=dict)  # step name -> state key in school A
    checklist: dict[str, Any] = field(default_factory=dict)  # the visit 1 checklist posted in A's channel
    note_key: str = ""
    snapshot: dict[str, Any] = field(default_factory=dict)

    @property
    def store(self):
        return self.bot.services.store

    def key(self, step: str) -> str:
        """The state key (``<year>:<cycle>/<step>``) of a step of school A, as people name it."""
        if step not in self.keys:
            from bot.core.schools import SchoolState

            state = SchoolState.read(self.store.view(self.a))
            self.keys[step] = resolve(state, self.bot.services.library, self.bot.now, step).state_key
        return self.keys[step]

    def step_doc(self, step: str) -> dict[str, Any]:
        return self.store.view(self.a).get(STEP_KIND, self.key(step)) or {}

    def profile(self) -> dict[str, Any]:
        return self.store.view(self.a).get(*PROFILE)

    def remember(self, name: str, kind: str, key: str) -> None:
        self.snapshot[name] = (kind, key, self.store.view(self.a).get(kind, key))

    def restore(self, *names: str) -> None:
        """Put documents of school A back as they were when remembered (between table rows)."""
        with self.store.transaction(self.a) as tx:
            for name in names:
                kind, key, doc = self.snapshot[name]
                if doc is None:
                    tx.delete(kind, key)
                else:
                    tx.put(kind, key, doc)

    KINDS = ("school", STEP_KIND, "anchors", "notes", "prompts")

    def snapshot_all(self) -> None:
        """Remember all of school A (but its audit log) to put it back between table rows."""
        view = self.store.view(self.a)
        self.snapshot["*"] = {kind: view.all(kind) for kind in self.KINDS}

    def reset_all(self) -> None:
        saved = self.snapshot["*"]
        with self.store.transaction(self.a) as tx:
            for kind in self.KINDS:
                for key in tx.all(kind):
                    if key not in saved[kind]:
                        tx.delete(kind, key)
                for key, doc in saved[kind].items():
                    if tx.get(kind, key) != doc:
                        tx.put(kind, key, doc)
        profile = saved["school"].get("profile") or {}
        entry = self.store.index_entry(self.a) or {}
        if profile and entry.get("name") != profile.get("name"):  # a setup renamed it in the index too
            self.store.bind(self.a, name=profile["name"], team_id=profile.get("team_id", ""), channel_id=profile["channel_id"])

    def reset_step(self, *steps: str) -> None:
        with self.store.transaction(self.a) as tx:
            for step in steps:
                tx.delete(STEP_KIND, self.key(step))


SEZP_FOR_TSI = "district-sezp-planning"  # the SEZP planning documents, adopted by this NY district (Bot.adopt)


def build(bot: Bot) -> World:
    fake = bot.fake
    bot.adopt("sezp-planning", "TSI")
    for role, uid in PEOPLE.items():
        if uid != ADMIN:
            fake.add_user(uid, role, guest=role in ("guest", "guest_team"), single_channel_guest=role == "sc_guest")
    fake.add_user(EXTRA, "extra")
    bot.setup(f"{A_NAME} model:TSI cycles:nysed-tsi-visits,nysed-planning-sessions,{SEZP_FOR_TSI}", channel=A_CHANNEL)
    bot.command(f"roles liaison:<@{LIAISON}> principal:<@{PRINCIPAL}> team:<@{TEAM}>,<@{GUEST_TEAM}> reviewer:<@{REVIEWER}> district:<@{DISTRICT}>",
                channel=A_CHANNEL)
    bot.command('commitments "Every student reads daily" "Family partnership"', channel=A_CHANNEL)
    bot.setup(f"{B_NAME} model:TSI cycles:nysed-tsi-visits,nysed-planning-sessions,{SEZP_FOR_TSI}", channel=B_CHANNEL)
    bot.command(f"roles liaison:<@{OTHER}>", channel=B_CHANNEL)
    store = bot.services.store
    world = World(bot, store.school_for_channel(TEAM_ID, A_CHANNEL), store.school_for_channel(TEAM_ID, B_CHANNEL))
    assert world.a and world.b and world.a != world.b
    # the visit 1 checklist, posted in A's channel
    before = len(fake.of("chat.postMessage"))
    bot.command("checklist visit 1", channel=A_CHANNEL)
    post = fake.of("chat.postMessage")[before:][-1]
    world.checklist = {"text": post.args["text"], "blocks": post.args["blocks"], "ts": post.response["ts"]}
    # a note by the team member in A's visit 1 prompt thread, flagged (it looks like a student id)
    before = set(fake.posted)
    bot.command("notes start visit 1", channel=A_CHANNEL)
    thread = [k for k in fake.posted if k not in before][-1][1]
    ts = ts_at("2021-11-02T12:00:00Z", 7)
    reply(bot, "C1: student 123456789 reads well", thread_ts=thread, ts=ts, user=TEAM, channel=A_CHANNEL)
    world.note_key = f"{A_CHANNEL}:{ts}"
    assert store.view(world.a).get("notes", world.note_key), "the note was not saved"
    # a plan waiting for review (round 1)
    bot.command("submit priority levers draft", channel=A_CHANNEL, user=PRINCIPAL)
    assert (world.step_doc("priority levers").get("review") or {}).get("status") == "submitted", bot.last_response_text()
    world.remember("profile", *PROFILE)
    world.remember("levers", STEP_KIND, world.key("priority levers"))
    world.remember("note", "notes", world.note_key)
    fake.clear()
    return world


def fast_dir(tmp_path_factory, name: str):
    """A data directory in memory when the machine has one (/dev/shm: fsync costs nothing there),
    so that tables of hundreds of signed requests stay fast; else a temporary directory."""
    import os
    import tempfile
    
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        return Path(tempfile.mkdtemp(prefix=f"scep-{name}-", dir="/dev/shm")) / "data"
    return tmp_path_factory.mktemp(name) / "data"


def module_world(tmp_path_factory, name: str):
    """A world shared by the tests of one module (built once per xdist worker): yields it, then
    cleans up. Tests put school A back with ``reset_all`` between their rows."""
    import shutil

    from bot.calendar import dates
    from bot.root.emulator import FakeSlack

    fake = FakeSlack().start()
    fake.add_user(ADMIN, "ada.admin", admin=True)
    data = fast_dir(tmp_path_factory, name)
    bot = Bot(data, fake, dates.parse_instant("2021-11-02T13:00:00Z"))
    world = build(bot)
    world.snapshot_all()
    try:
        yield world
    finally:
        bot.close()
        fake.stop()
        if str(data).startswith("/dev/shm/"):
            shutil.rmtree(data.parent, ignore_errors=True)


# ---------------------------------------------------------------- watching one request


@dataclass
class Seen:
    answer: Answer | None
    calls: list[Any]
    wrote: bool  # school A's data changed
    wrote_b: bool

    @property
    def shown(self) -> str:
        """Everything people were shown or sent, as one string (JSON of every call and the ack)."""
        parts = [self.answer.body if self.answer else ""]
        for c in self.calls:
            if c.method in ("auth.test", "users.info", "conversations.replies", "chat.getPermalink", "upload"):
                continue
            parts.append(json.dumps(c.args, ensure_ascii=False, default=str))
        return "\n".join(parts)

    @property
    def refused(self) -> bool:
        return any(m in self.shown for m in REFUSALS)

    def of(self, method: str) -> list[Any]:
        return [c for c in self.calls if c.method == method]

    def views(self, callback_id: str) -> list[dict[str, Any]]:
        out = []
        for c in self.calls:
            if c.method in ("views.open", "views.push", "views.update", "views.publish"):
                view = c.args.get("view")
                view = json.loads(view) if isinstance(view, str) else view
                if (view or {}).get("callback_id") == callback_id or (callback_id == "home" and (view or {}).get("type") == "home"):
                    out.append(view)
        return out

    def posts_in(self, channel: str) -> list[Any]:
        return [c for c in self.of("chat.postMessage") if c.args.get("channel") == channel]

    def ephemeral_only(self) -> bool:
        """Every answer that said no went to the one person: ephemeral, a DM-less notice, a modal."""
        if self.answer and self.answer.body.startswith("{") and self.answer.json.get("response_type") == "in_channel":
            return False
        for c in self.of("response_url"):
            if c.args.get("response_type") == "in_channel":
                return False
        return not self.of("chat.postMessage") and not self.of("files.completeUploadExternal")


def observe(world: World, fn: Callable[[], Answer | None]) -> Seen:
    fake, store = world.bot.fake, world.store
    fake.clear()
    rev_a, rev_b = store.revision(world.a), store.revision(world.b)
    answer = fn()
    calls = list(fake.calls)
    return Seen(answer, calls, store.revision(world.a) != rev_a, store.revision(world.b) != rev_b)


# ---------------------------------------------------------------- payloads as Slack sends them

_SEQ = [0]


def _next() -> int:
    _SEQ[0] += 1
    return _SEQ[0]


def user_of(uid: str) -> dict[str, Any]:
    return {"id": uid, "username": uid.lower(), "name": uid.lower(), "team_id": TEAM_ID}


def click(bot: Bot, uid: str, action: dict[str, Any], *, where: str | None, message: dict[str, Any] | None = None,
          view: dict[str, Any] | None = None) -> dict[str, Any]:
    """A block_actions payload: a click on a message in channel ``where``, or (``where`` None) in
    App Home or a modal (``view``)."""
    n = _next()
    act = {"action_ts": f"{1_700_000_000 + n}.000100", "type": action.get("type", "button"), **action}
    act.setdefault("block_id", "b")
    payload: dict[str, Any] = {
        "type": "block_actions", "user": user_of(uid), "api_app_id": "A0TEST", "token": "legacy",
        "trigger_id": f"{n}.trigger", "team": {"id": TEAM_ID, "domain": "demo"}, "enterprise": None,
        "is_enterprise_install": False, "actions": [act],
    }
    if where is not None:
        msg = message or {"type": "message", "ts": f"{1_700_000_000 + n}.000200", "text": "", "blocks": [], "user": "UBOT0001", "bot_id": "BBOT0001"}
        payload.update({
            "container": {"type": "message", "message_ts": msg["ts"], "channel_id": where, "is_ephemeral": False},
            "channel": {"id": where, "name": where.lower()}, "message": msg,
            "response_url": bot.fake.response_url(f"click{n}"), "state": {"values": {}},
        })
    else:
        v = view or {"type": "home", "blocks": []}
        payload.update({
            "container": {"type": "view", "view_id": f"V0VIEW{n:04d}"},
            "view": {**v, "id": v.get("id") or f"V0VIEW{n:04d}", "hash": "h1", "state": {"values": {}}},
        })
    return payload


def submission(uid: str, callback_id: str, meta: str, values: dict[str, Any], *, view_id: str | None = None,
               sealed_by: Bot | None = None) -> dict[str, Any]:
    """A view_submission; ``sealed_by``: the metadata is sealed as that bot seals the forms it opens
    (without it, ``meta`` goes as given: taken from a form the bot opened, or forged)."""
    n = _next()
    if sealed_by is not None and isinstance(meta, str):
        meta = sealed_by.seal(callback_id, meta)
    return {
        "type": "view_submission", "team": {"id": TEAM_ID, "domain": "demo"}, "user": user_of(uid), "api_app_id": "A0TEST",
        "token": "legacy", "trigger_id": f"{n}.trigger",
        "view": {"type": "modal", "callback_id": callback_id, "private_metadata": meta, "id": view_id or f"V0SUB{n:05d}",
                 "hash": f"h{n}", "blocks": [], "state": {"values": values}},
    }


def shortcut(bot: Bot, uid: str, channel: str, message: dict[str, Any]) -> dict[str, Any]:
    n = _next()
    return {"type": "message_action", "callback_id": "save_scep_note", "trigger_id": f"{n}.trigger", "team": {"id": TEAM_ID, "domain": "demo"},
            "user": user_of(uid), "channel": {"id": channel, "name": channel.lower()}, "message": message,
            "message_ts": message.get("ts"), "response_url": bot.fake.response_url(f"sc{n}"), "api_app_id": "A0TEST", "token": "legacy"}


def select(action_id: str, value: str) -> dict[str, Any]:
    return {action_id: {"type": "static_select", "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}}}}


def text_input(value: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def open_note_form(world: World, uid: str, channel: str, text: str = "We agreed on a reading night") -> tuple[Seen, str]:
    """Use "Save as SCEP note" on a message in ``channel``: (what happened, the form's private_metadata)."""
    msg = {"type": "message", "user": TEAM, "text": text, "ts": f"{1_635_900_000 + _next()}.000300"}
    seen = observe(world, lambda: world.bot.interactive(shortcut(world.bot, uid, channel, msg)))
    views = seen.views("scep_save_note")
    return seen, (views[-1]["private_metadata"] if views else "")
