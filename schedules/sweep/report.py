"""What one sweep did: a ``Delivery`` per message (sent, would send, skipped, retry, failed) and
the ``SweepReport`` of the pass (printed by ``scep-bot sweep``, logged by the job). Instants are
UTC; ``Delivery.line`` shows ``due_at`` in the school's zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.calendar import dates
from bot.core.schools import iso


@dataclass
class Delivery:
    """What the sweep did with one message."""

    key: str
    school: str  # school name ("" for the workspace)
    kind: str
    target: str  # channel id, or user ids for a DM
    due_at: datetime
    status: str  # sent | would send | skipped | retry | failed
    text: str = ""
    ts: str = ""
    reason: str = ""
    tz: str = "UTC"  # the school's zone, for showing ``due_at``

    def line(self) -> str:
        when = dates.fmt_local(self.due_at, self.tz)
        what = self.text.replace("\n", " ")[:140]
        extra = f" ({self.reason})" if self.reason else ""
        return f"{self.status:<10} {when:<32} {self.school[:28]:<28} {self.target:<12} {self.kind:<12} {what}{extra}"

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "school": self.school, "kind": self.kind, "target": self.target, "due_at": iso(self.due_at),
                "due_local": dates.fmt_local(self.due_at, self.tz), "status": self.status, "text": self.text, "ts": self.ts, "reason": self.reason}


@dataclass
class SweepReport:
    at: datetime
    dry_run: bool = False
    deliveries: list[Delivery] = field(default_factory=list)
    schools: int = 0
    computed: int = 0
    seconds: float = 0.0

    def of(self, status: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == status]

    def lines(self) -> list[str]:
        head = f"sweep at {iso(self.at)}{' (dry run: nothing claimed or posted)' if self.dry_run else ''}: {self.schools} schools, {self.computed} computed, {len(self.of('sent'))} sent, {len(self.of('would send'))} would send, {len(self.of('skipped'))} skipped, {len(self.of('retry'))} to retry, {len(self.of('failed'))} failed, {self.seconds:.3f}s"
        return [head, *(d.line() for d in self.deliveries)]

    def as_dict(self) -> dict[str, Any]:
        return {"at": iso(self.at), "dry_run": self.dry_run, "schools": self.schools, "computed": self.computed,
                "seconds": self.seconds, "deliveries": [d.as_dict() for d in self.deliveries]}
