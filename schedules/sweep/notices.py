"""Notices to the people who can fix something: a DM to the school's liaison (or district admin)
when the bot cannot post in the school's channel, or when someone it mentions has left the
workspace. Each notice is sent once: its key is claimed in the school's ledger like a nudge.
A channel problem is also recorded on the school (``School.extra["delivery_problem"]``, shown
by ``/scep schools``) until a post there works again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Callable, ContextManager

from bot.calendar import dates
from bot.core.blocks import esc
from bot.core.schools import School, iso
from bot.store.schema import LEDGER, PROFILE
from schedules.sweep.delivery import slack_error
from schedules.sweep.ledger import Job, claimable
from schedules.sweep.pacing import Pacer

log = logging.getLogger("scep-bot.sweep")


class Notices:
    """Sends notices; ``transaction(school_id)`` is the sweeper's store transaction."""

    def __init__(self, transaction: Callable[[str], ContextManager[Any]], pacer: Pacer) -> None:
        self.transaction = transaction
        self.pacer = pacer

    def tell_about_left(self, client, job: Job, left: list[dict[str, Any]], now: datetime) -> None:
        """Tell the school's liaison (else district admin) once about each of ``left``."""
        school = job.state.school
        for person in left:
            uid = person["id"]
            roles = [r for r, people in school.roles.items() if uid in (people or [])]
            key = f"{school.school_id}|left|{uid}"
            who = [u for u in school.roles.get("liaison") or [] if u != uid] or [u for u in school.roles.get("district") or [] if u != uid]
            text = (f":wave: {esc(person.get('name') or uid)} ({', '.join(roles) or 'mentioned'} of *{esc(school.name)}*) has left the workspace: "
                    f"I post the school's nudges without mentioning them. Give the role to someone else with `/scep roles {roles[0] if roles else 'team'}:@name`.")
            self.notice(client, school.school_id, key, who, text, now)

    def channel_problem(self, client, job: Job, err: str, now: datetime) -> None:
        """Record ``err`` on the school (from ``now``) and tell the liaison, once per problem."""
        school = job.state.school if job.state else None
        if school is None:
            return
        since = dates.fmt_local(now, school.tz, with_time=False)
        problem = f"{err}: I can't post nudges in the school's channel (since {since}). Invite @scep-bot to the channel, or link the school to another channel with /scep setup."
        first = False
        with self.transaction(school.school_id) as tx:
            doc = tx.get(*PROFILE)
            if doc is None:
                return
            current = School.from_doc(doc)
            old = current.extra.get("delivery_problem") or ""
            if not old.startswith(err + ":"):
                current.extra["delivery_problem"] = problem
                current.extra["delivery_problem_since"] = iso(now)
                tx.put(*PROFILE, current.to_doc())
                first = True
            since_iso = current.extra.get("delivery_problem_since", iso(now))
        if first:
            log.warning("school %s: %s", school.school_id, problem)
        key = f"{school.school_id}|delivery-problem|{school.channel_id}|{err}|{since_iso}"
        text = (f":warning: I couldn't post a nudge for *{esc(school.name)}* in <#{school.channel_id}> ({err}). "
                "Invite me to the channel (`/invite @scep-bot`), or link the school to another channel with `/scep setup` there. "
                "Until then its nudges are not delivered; `/scep schools` shows the problem.")
        self.notice(client, school.school_id, key, school.roles.get("liaison") or school.roles.get("district") or [], text, now)

    def clear_problem(self, job: Job, now: datetime) -> None:
        """A post in the school's channel worked: forget its delivery problem."""
        with self.transaction(job.school_id) as tx:
            doc = tx.get(*PROFILE)
            if doc is None:
                return
            current = School.from_doc(doc)
            if current.extra.pop("delivery_problem", None) is not None:
                current.extra.pop("delivery_problem_since", None)
                tx.put(*PROFILE, current.to_doc())

    def notice(self, client, sid: str, key: str, users: list[str], text: str, now: datetime) -> None:
        """A DM to ``users``, once per ``key`` (claimed in the school's ledger like a nudge)."""
        if not users:
            log.warning("nobody to tell (%s): %s", key, text)
            return
        with self.transaction(sid) as tx:
            if not claimable(tx.get(LEDGER, key), now)[0]:  # sent, or claimed by a sweep still within its lease
                return
            tx.put(LEDGER, key, {"state": "claimed", "at": iso(now), "kind": "notice", "target": ",".join(users)})
        sent, errors = [], []
        for uid in users:
            try:
                self.pacer.wait(uid)
                res = client.chat_postMessage(channel=uid, text=text)
                sent.append(res.get("ts", ""))
            except Exception as exc:  # noqa: BLE001
                errors.append(slack_error(exc)[0] or repr(exc))
        with self.transaction(sid) as tx:
            tx.put(LEDGER, key, {"state": "sent" if sent else "failed", "at": iso(now), "kind": "notice", "target": ",".join(users), "ts": ",".join(sent), "reason": ", ".join(errors)})
