"""A school's SCEP commitments: setting them, showing them, and the ``C2:`` tag that files a reply
under one of them."""

from __future__ import annotations

import re
from datetime import datetime

from bot.core import blocks as bk
from bot.core.schools import School
from bot.core.steps import audit
from bot.errors import UserError
from bot.store.port import SchoolTx
from bot.store.schema import PROFILE

MAX_COMMITMENTS = 10
MAX_COMMITMENT_CHARS = 300

TAG_RE = re.compile(r"^\s*[*_~>]*\s*(?:commitment|c)\s*#?\s*(\d{1,3})(?!\d)[*_~]*(?:\s*[:.)\]\-–—]+\s*|\s+|$)", re.I)


def parse_tag(text: str) -> tuple[int | None, str]:
    """``"C2: more time"`` -> ``(2, "more time")``; untagged text -> ``(None, text)``."""
    m = TAG_RE.match(text or "")
    if not m:
        return None, text or ""
    return int(m.group(1)), text[m.end():]


def clean_commitments(items: list[str]) -> list[str]:
    out = [" ".join(str(i).split()) for i in items]
    out = [i for i in out if i]
    if not out:
        raise UserError('Give each commitment in quotes: `/scep commitments "Every student reads daily" "Family partnership"`')
    if len(out) > MAX_COMMITMENTS:
        raise UserError(f"That is {len(out)} commitments; a SCEP has a few: at most {MAX_COMMITMENTS}.")
    for i, c in enumerate(out, 1):
        if len(c) > MAX_COMMITMENT_CHARS:
            raise UserError(f"Commitment {i} is {len(c)} characters long; keep each under {MAX_COMMITMENT_CHARS} (a short name is enough).")
    return out


def set_commitments(tx: SchoolTx, items: list[str], who: str, now: datetime) -> School:
    doc = tx.get(*PROFILE)
    if doc is None:
        raise UserError("This channel isn't linked to a school yet: `/scep setup &lt;school name&gt;`")
    school = School.from_doc(doc)
    before = list(school.commitments)
    school.commitments = list(items)
    tx.put(*PROFILE, school.to_doc())
    audit(tx, who, now, "commitments", before=before, after=school.commitments)
    return school


def commitments_text(commitments: list[str]) -> str:
    return "\n".join(f"`C{i}` {bk.esc(c)}" for i, c in enumerate(commitments, 1))
