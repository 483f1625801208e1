"""A step's notes read back: in the order they were written, grouped by commitment, and as an
export may show them (masked where the privacy guard says so, Slack's markup as plain text)."""

from __future__ import annotations

import re
from typing import Any

from bot.core.schools import School
from bot.notes import privacy
from bot.notes.commitments import parse_tag
from bot.notes.prompts import prompts_of
from bot.store.port import SchoolView
from bot.store.schema import NOTE_KIND, PROMPT_KIND


def notes_of(view: SchoolView, step: str, year: str) -> list[dict[str, Any]]:
    """A step's notes in the order they were written."""
    return sorted(view.find(NOTE_KIND, step=step, year=year).values(), key=lambda n: (n.get("at") or "", n.get("ts") or ""))


def commitments_for(view: SchoolView, school: School, step: str, year: str) -> list[str]:
    """The commitments a step's notes were taken against: the latest prompt's, else today's."""
    prompts = prompts_of(view, step, year)
    for p in reversed(prompts):
        if p.get("commitments"):
            return list(p["commitments"])
    return list(school.commitments)


def grouped(notes: list[dict[str, Any]], commitments: list[str]) -> list[tuple[int | None, str, list[dict[str, Any]]]]:
    """[(number, commitment text, notes)] for every commitment (even without notes), then the
    general notes (number None) when there are any."""
    groups: list[tuple[int | None, str, list[dict[str, Any]]]] = []
    for i, c in enumerate(commitments, 1):
        groups.append((i, c, [n for n in notes if n.get("commitment") == i]))
    general = [n for n in notes if not n.get("commitment") or n["commitment"] > len(commitments)]
    if general:
        groups.append((None, "General notes", general))
    return groups


def export_text(note: dict[str, Any]) -> str:
    """A note's text as an export may show it: redacted text stays masked; flagged text the
    author has not cleared ("Keep as is") is masked too. The ``C1:`` tag is dropped."""
    text = note.get("text") or ""
    if not note.get("redacted") and note.get("flags") and not note.get("kept"):
        spans = [privacy.Flag(k, s, e) for s, e, k in note.get("flag_spans") or []]
        text = privacy.mask(text, spans)
    tag, body = parse_tag(text)
    return body if tag is not None else text


def slack_plain(text: str, names: dict[str, str] | None = None) -> str:
    """Slack's mrkdwn source as plain text: mentions as @name, links as ``label (url)``,
    ``<!channel>`` as @channel, entities decoded."""
    names = names or {}

    def special(m: re.Match) -> str:
        body = m.group(1)
        if body.startswith("@"):
            uid, _, label = body[1:].partition("|")
            return "@" + (label or names.get(uid) or uid)
        if body.startswith("#"):
            cid, _, label = body[1:].partition("|")
            return "#" + (label or cid)
        if body.startswith("!"):
            inner, _, label = body[1:].partition("|")
            if label:
                return label
            return "@" + inner.split("^")[0]
        url, _, label = body.partition("|")
        return f"{label} ({url})" if label and label != url else url

    text = re.sub(r"<([^<>]*)>", special, text or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def step_refs_with_notes(view: SchoolView) -> list[tuple[str, str]]:
    """(step, year) pairs that have notes or prompts, latest prompt first."""
    seen: dict[tuple[str, str], str] = {}
    for p in view.all(PROMPT_KIND).values():
        k = (p["step"], p["year"])
        seen[k] = max(seen.get(k, ""), p.get("posted_at") or "")
    for n in view.all(NOTE_KIND).values():
        k = (n["step"], n["year"])
        seen[k] = max(seen.get(k, ""), n.get("at") or "")
    return sorted(seen, key=lambda k: seen[k], reverse=True)


def author_of(note: dict[str, Any], names: dict[str, str]) -> str:
    """Who wrote a note, as people read it: a display name (``names``: user id -> name), else
    the name saved with the note, else the user id."""
    uid = note.get("author") or ""
    return names.get(uid) or note.get("author_name") or uid or "someone"
