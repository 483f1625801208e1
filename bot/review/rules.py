"""Review and approval of plans, the rules: what a step submits, who reviews it, where it stands.

A deliverable (or a step with ``approval:`` in its cycle file, like visit 5's final SCEP) is
submitted for review by the school's people; its reviewers (role ``reviewer``, else
``district``) get a direct message with "Approve" and "Request changes"; feedback is written in
a modal and posted in the submission's thread on the school's channel. The step keeps its
history in its document under ``review``::

    {"status": "submitted" | "changes_requested" | "approved", "label": "draft", "round": 2,
     "at": iso, "by": user, "history": [{"event", "round", "label", "by", "at", "feedback"?}],
     "thread": {"channel", "ts"}, "dms": [{"round", "user", "channel", "ts"}]}

Instants (``at``) are UTC ISO strings, shown in the school's time zone. Submitting a
deliverable's DRAFT/FINAL also marks that deadline done (it was delivered); the review status
is shown next to it.
"""

from __future__ import annotations

from typing import Any

from bot.calendar import dates
from bot.calendar.instances import DatedStep
from bot.core import blocks as bk
from bot.core.schools import SchoolState
from bot.store.schema import REVIEW_KEY

SUBMIT_ACTION = "rv_submit"
APPROVE_ACTION = "rv_approve"
CHANGES_ACTION = "rv_changes"
FEEDBACK_CALLBACK = "scep_feedback"
MAX_FEEDBACK = 3000

EVENT_WORDS = {
    "submitted": "submitted",
    "resubmitted": "resubmitted",
    "changes_requested": "requested changes",
    "approved": "approved",
}


def labels_of(dated: DatedStep) -> list[str]:
    """What can be submitted: the deadlines (draft/final or due), or ``plan`` (visit 5)."""
    return [d.label for d in dated.deadlines] or (["due"] if dated.step.kind == "deliverable" else ["plan"])


def what(dated: DatedStep, label: str) -> str:
    """What a label submits, in words: "Priority Levers Form (DRAFT)", "Final SCEP (visit 5)"."""
    step = dated.step
    if label in ("draft", "final"):
        return f"{step.title} ({label.upper()})"
    if label == "plan" and step.approval:
        return f"{step.approval} ({step.label})"
    return step.title


def reviewers(state: SchoolState) -> list[str]:
    """Who reviews the school's plans: its reviewers, else its district admins."""
    return list(state.school.roles.get("reviewer") or []) or list(state.school.roles.get("district") or [])


def review_of(doc: dict[str, Any]) -> dict[str, Any]:
    return dict((doc or {}).get(REVIEW_KEY) or {})


def next_submission(dated: DatedStep, doc: dict[str, Any]) -> tuple[str, str] | None:
    """(label, button text) of what the school would submit next, or None (pending or all approved)."""
    rv = review_of(doc)
    labels = labels_of(dated)
    status, label = rv.get("status"), rv.get("label")
    if status == "submitted":
        return None
    if status == "changes_requested":
        return label, (f"Resubmit {label.upper()}" if label in ("draft", "final") else "Resubmit for review")
    approved = {h.get("label") for h in rv.get("history") or [] if h.get("event") == "approved"}
    for lb in labels:
        if lb not in approved and not (lb == "draft" and "final" in approved):
            return lb, (f"Submit {lb.upper()} for review" if lb in ("draft", "final") else "Submit for review")
    return None


def status_text(doc: dict[str, Any], tz: str) -> str | None:
    """Where the plan stands, in a few words: "DRAFT in review since Nov 3 (round 2)"."""
    rv = review_of(doc)
    if not rv.get("status"):
        return None
    label = rv.get("label") or ""
    name = label.upper() if label in ("draft", "final") else "plan"
    when = dates.to_local(dates.parse_instant(rv["at"]), tz)
    day = f"{when:%b} {when.day}"
    if rv["status"] == "submitted":
        rnd = f" (round {rv.get('round', 1)})" if rv.get("round", 1) > 1 else ""
        return f":inbox_tray: {name} in review since {day}{rnd}"
    if rv["status"] == "changes_requested":
        return f":pencil2: changes requested on the {name} by <@{rv.get('by')}> {day}"
    return f":white_check_mark: {name} approved by <@{rv.get('by')}> {day}"


def history_lines(doc: dict[str, Any], tz: str, *, feedback: bool = True) -> list[str]:
    out = []
    for h in review_of(doc).get("history") or []:
        label = h.get("label") or ""
        name = f" the {label.upper()}" if label in ("draft", "final") else ""
        line = f"• {dates.fmt_local(dates.parse_instant(h['at']), tz)}: <@{h.get('by')}> {EVENT_WORDS.get(h.get('event'), h.get('event'))}{name} (round {h.get('round', 1)})"
        if feedback and h.get("feedback"):
            line += f"\n> {bk.esc(bk.clip(' '.join(h['feedback'].split()), 300))}"
        out.append(line)
    return out


def submitter(rv: dict[str, Any]) -> str:
    """Who sent the latest (re)submission."""
    subs = [h for h in rv.get("history") or [] if h.get("event") in ("submitted", "resubmitted")]
    return subs[-1].get("by", "?") if subs else "?"
