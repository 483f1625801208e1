"""The one codec for what the bot carries through Slack and reads back: the ``private_metadata``
of its forms, the ``value`` of its buttons and the ``block_id`` of its checklist blocks.

Each shape is a small frozen dataclass with ``encode()`` and ``decode(text)``. ``decode`` never
raises: anything malformed (a forged click, a message from an older version, a truncated form)
gives None, and the caller answers with its own clear message. The encoded strings are those the
bot has always written, byte for byte: messages already posted in Slack carry them.

A step key is ``<year>:<cycle>/<step>`` (``bot.core.steps.parse_key`` reads it); a school id and a
channel id never contain ``|``.

A form's ``private_metadata`` is also sealed (``seal``/``unseal``): an HMAC-SHA256 under the bot's
metadata key over the form's ``callback_id`` and the encoded text, appended as ``~<mac>``. The
edge seals every view on its way to Slack and unseals every view that comes back (handlers/
sealed_views.py), so a form can only act where the bot opened it. Button values stay unsealed:
the message they sit on is Slack's, and its channel comes from Slack, not from the value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

from bot.calendar.dates import DateError, SchoolYear
from bot.core.command import small_int

SEP = "|"
SEAL = "~"
MAC_BYTES = 16  # 128 bits, 22 characters of base64url


def _mac(key: bytes, callback_id: str, text: str) -> str:
    digest = hmac.new(key, f"{callback_id}\x00{text}".encode(), hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def seal(key: bytes, callback_id: str, text: str) -> str:
    """``text`` (a form's encoded metadata) with the bot's MAC over it and the form's callback id."""
    return f"{text}{SEAL}{_mac(key, callback_id, text)}"


def unseal(key: bytes, callback_id: str, sealed: object) -> str | None:
    """The text ``seal`` sealed for this ``callback_id`` under ``key``; None when it was not
    (no seal, another key, another form's metadata, a changed character)."""
    if not isinstance(sealed, str) or SEAL not in sealed:
        return None
    text, _, mac = sealed.rpartition(SEAL)
    return text if hmac.compare_digest(mac, _mac(key, callback_id, text)) else None


def _parts(text: object, n: int) -> list[str] | None:
    """``text`` split on ``|`` when it has exactly ``n`` parts, else None."""
    if not isinstance(text, str):
        return None
    parts = text.split(SEP)
    return parts if len(parts) == n else None


@dataclass(frozen=True)
class StepButton:
    """``<school>|<key>``: the value of "Pick a date" (``sched_open``) and App Home's "Open checklist"."""

    school_id: str
    key: str

    def encode(self) -> str:
        return f"{self.school_id}|{self.key}"

    @classmethod
    def decode(cls, text: object) -> StepButton | None:
        p = _parts(text, 2)
        return cls(p[0], p[1]) if p else None


@dataclass(frozen=True)
class StepForm:
    """``<school>|<key>|<origin channel>``: the ``private_metadata`` of the checklist modal and of
    the "Pick a date" form. The origin is the channel the form was opened from ('' from App Home)."""

    school_id: str
    key: str
    origin_channel: str = ""

    def encode(self) -> str:
        return f"{self.school_id}|{self.key}|{self.origin_channel}"

    @classmethod
    def decode(cls, text: object) -> StepForm | None:
        p = _parts(text, 3)
        return cls(p[0], p[1], p[2]) if p else None


def origin_channel(private_metadata: object) -> str:
    """The channel a checklist modal (or "Pick a date" form) was opened from; '' when unknown."""
    form = StepForm.decode(private_metadata)
    return form.origin_channel if form else ""


@dataclass(frozen=True)
class LabelButton:
    """``<school>|<key>|<label>``: a checklist's "Mark done" (``ck_done``; label ``held``, ``draft``,
    ``final`` or ``due``) and "Submit for review" (``rv_submit``; also ``plan``)."""

    school_id: str
    key: str
    label: str

    def encode(self) -> str:
        return f"{self.school_id}|{self.key}|{self.label}"

    @classmethod
    def decode(cls, text: object) -> LabelButton | None:
        p = _parts(text, 3)
        return cls(p[0], p[1], p[2]) if p else None


@dataclass(frozen=True)
class ReviewButton:
    """``<school>|<key>|<round>``: a reviewer's "Approve" and "Request changes" for one round."""

    school_id: str
    key: str
    round: int

    def encode(self) -> str:
        return f"{self.school_id}|{self.key}|{self.round}"

    @property
    def block_id(self) -> str:
        """The block of the reviewer's two buttons: ``rv|<school>|<round>``."""
        return f"rv|{self.school_id}|{self.round}"

    @classmethod
    def decode(cls, text: object) -> ReviewButton | None:
        p = _parts(text, 3)
        rnd = small_int(p[2]) if p else None
        return cls(p[0], p[1], rnd) if p and rnd is not None else None


@dataclass(frozen=True)
class FeedbackForm:
    """``<school>|<key>|<round>|<dm channel>|<dm ts>``: the "Request changes" form, with the
    reviewer's message it was opened from (both '' when unknown)."""

    button: ReviewButton
    dm_channel: str = ""
    dm_ts: str = ""

    def encode(self) -> str:
        return f"{self.button.encode()}|{self.dm_channel}|{self.dm_ts}"

    @property
    def message(self) -> tuple[str, str] | None:
        return (self.dm_channel, self.dm_ts) if self.dm_channel and self.dm_ts else None

    @classmethod
    def decode(cls, text: object) -> FeedbackForm | None:
        p = _parts(text, 5)
        button = ReviewButton.decode(SEP.join(p[:3])) if p else None
        return cls(button, p[3], p[4]) if p and button else None


@dataclass(frozen=True)
class ChecklistBlock:
    """``ck|<school>|<key>|<version>|<n>``: the block of a checklist's ``n``-th checkboxes element;
    ``version`` is the checklist's hash when it was rendered (a click on an older one is stale)."""

    school_id: str
    key: str
    version: str
    group: int

    PREFIX = "ck"

    def encode(self) -> str:
        return f"{self.PREFIX}|{self.school_id}|{self.key}|{self.version}|{self.group}"

    @classmethod
    def decode(cls, text: object) -> ChecklistBlock | None:
        p = _parts(text, 5)
        n = small_int(p[4], 1000) if p and p[0] == cls.PREFIX else None
        return cls(p[1], p[2], p[3], n) if p and n is not None else None


@dataclass(frozen=True)
class StepButtonsBlock:
    """``ckb|<school>|<key>``: the block of a checklist's step buttons (written, never read back)."""

    school_id: str
    key: str

    def encode(self) -> str:
        return f"ckb|{self.school_id}|{self.key}"


@dataclass(frozen=True)
class CurrentChecklistButton:
    """``<school>|<cycle>/<step>``: "Open the current checklist" on a checklist of an ended year."""

    school_id: str
    step: str

    def encode(self) -> str:
        return f"{self.school_id}|{self.step}"

    @classmethod
    def decode(cls, text: object) -> CurrentChecklistButton | None:
        if not isinstance(text, str) or SEP not in text:
            return None
        school_id, _, step = text.partition(SEP)
        return cls(school_id, step)


@dataclass(frozen=True)
class RolesForm:
    """``<school>|<origin channel>``: the "Edit roles" form."""

    school_id: str
    origin_channel: str = ""

    def encode(self) -> str:
        return f"{self.school_id}|{self.origin_channel}"

    @classmethod
    def decode(cls, text: object) -> RolesForm | None:
        p = _parts(text, 2)
        return cls(p[0], p[1]) if p else None


@dataclass(frozen=True)
class NudgeButton:
    """``<school>|<year>:<cycle>/<step>[:<label>]|<rule>``: a nudge's "Mark done" and "Snooze"; a
    snoozed reminder carries the rule it came from. ``label`` is a deadline's (draft, final, due)."""

    school_id: str
    year: SchoolYear
    cycle_id: str
    step_id: str
    label: str | None
    rule: str

    @property
    def item(self) -> str:
        return f"{self.year.name}:{self.cycle_id}/{self.step_id}" + (f":{self.label}" if self.label else "")

    def encode(self) -> str:
        return f"{self.school_id}|{self.item}|{self.rule}"

    def same_nudge(self, other: NudgeButton | None) -> bool:
        """Both buttons act on one nudge's item (whatever their rule)."""
        return other is not None and (other.school_id, other.item) == (self.school_id, self.item)

    @classmethod
    def decode(cls, text: object) -> NudgeButton | None:
        p = _parts(text, 3)
        if not p:
            return None
        year_text, colon, rest = p[1].partition(":")
        path, _, label = rest.partition(":")
        cycle_id, slash, step_id = path.partition("/")
        if not (colon and slash) or "/" in step_id:
            return None
        try:
            year = SchoolYear.parse(year_text)
        except (ValueError, DateError):
            return None
        return cls(p[0], year, cycle_id, step_id, label or None, p[2])


@dataclass(frozen=True)
class ChannelForm:
    """``<channel>``: the setup form and the commitments form, with the channel they were opened in."""

    channel_id: str

    def encode(self) -> str:
        return self.channel_id

    @classmethod
    def decode(cls, text: object) -> ChannelForm | None:
        return cls(text) if isinstance(text, str) and text and SEP not in text else None


@dataclass(frozen=True)
class NoteForm:
    """``{"p": token}``: the "Save as SCEP note" form, with the token of the message it was opened
    for (the handlers keep the message; a form's metadata is limited, a message is not)."""

    token: str

    def encode(self) -> str:
        return json.dumps({"p": self.token})

    @classmethod
    def decode(cls, text: object) -> NoteForm | None:
        try:
            data = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            return None
        token = data.get("p") if isinstance(data, dict) else None
        return cls(token) if isinstance(token, str) and token else None


@dataclass(frozen=True)
class FlagButton:
    """``{"s": school, "k": note key}``: "Redact" and "Keep as is" on a note's privacy warning."""

    school_id: str
    key: str

    def encode(self) -> str:
        return json.dumps({"s": self.school_id, "k": self.key})

    @classmethod
    def decode(cls, text: object) -> FlagButton | None:
        try:
            data = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("s"), str) or not isinstance(data.get("k"), str):
            return None
        return cls(data["s"], data["k"])
