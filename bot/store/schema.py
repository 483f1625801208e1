"""The document schema: every kind of document, key and setting the bot stores, in one place.

A school's data is documents addressed by ``(kind, key)`` (see port.py). Instants are UTC ISO
8601 strings (``"2021-12-01T14:00:00+00:00"``); local dates are ``"YYYY-MM-DD"`` in the school's
zone; ``<year>`` is a school year like ``"2021-22"``; people are Slack user ids.

Per school:

- ``PROFILE`` = ("school", "profile"): the school (bot.core.schools.School): ``school_id``,
  ``name``, ``team_id``, ``channel_id``, ``model`` (TSI|ATSI|CSI), ``cycles`` [cycle id],
  ``tz`` (IANA zone), ``min_year``, ``roles`` {role: [user]}, ``commitments`` [text],
  ``holidays`` [date or "date..date"], ``created_at``, ``created_by``; and extra fields:
  ``POLICY_KEY`` {nudge overrides}, ``delivery_problem`` (text) with ``delivery_problem_since``.
- ``STEP_KIND``, key ``"<year>:<cycle>/<step>"``: a step's state: ``done`` {label: {at, by}}
  (label: held|draft|final|due), ``scheduled_at`` / ``scheduled_on``, ``cancelled_at`` (the date last cancelled), ``late_reason`` (a date after the window the cycle allows), ``schedule_rev``
  (how many times the date was set or cancelled: the calendar feeds' SEQUENCE), ``snooze``
  {series: {until, at, by, rule, label}}, ``prompt`` {channel, ts, at}, ``notes`` {count,
  by_commitment {n: count}}, ``CHECKLIST_KEY`` {ticks {item: {at, by}}, messages [{channel,
  ts}]}, ``REVIEW_KEY`` {status, label, round, at, by, history [{event, round, label, by, at}]}.
- ``ANCHOR_KIND``, key ``"<year>:<anchor id>"``: an anchor event's local date: {date, by, at}.
- ``AUDIT_KIND``, key ``"<at>#<n, 6 digits>"``: one change: {at, who (user or "bot"), what,
  ...details}; kept ``RETENTION_SETTING`` school years after the school year of ``at`` (the
  retention sweep deletes older ones); the key's count suffix skips keys still taken.
- ``LEDGER``, key: an outgoing message's stable key (``"<school>|<what>|<due instant>"``): the
  delivery ledger, claimed before posting: {state: claimed|sent|retry|failed|skipped, due_at,
  kind, target, at, claim, attempts, sent_to [target], ts, channel, retry_at, reason}. The
  pseudo-school ``"workspace"`` holds the workspace's ledger (digests to liaisons).
- ``NOTE_KIND``, key ``"<channel>:<ts>"``: a saved note: channel, ts, thread_ts, step, year,
  prompt, commitment, text, author, at, saved_at, files, flags, ... (bot.notes).
- ``PROMPT_KIND``, key ``"<channel>:<ts>"``: a posted notes prompt: {channel, ts, step, year,
  title, commitments, posted_at, by, source, closed}.

Workspace settings (``Store.get_setting``):

- ``DISTRICT_HOLIDAYS_SETTING``: the districts' closures per workspace {team id: [closure]}
  (a plain list, written before closures were kept per workspace, is read as every workspace's);
- ``DISTRICT_DATES_SETTING``: the districts' own dates where the documents give none, per workspace
  {team id: {"<cycle>/<step>": {"window"|"due"|"draft"|"final": {...}, "by", "at"}}} (``/scep dates``);
- ``THREADS_SETTING``: {"<channel>:<ts>": school id} for prompt and note threads outside a
  school's own channel;
- ``FEEDS_SETTING``: calendar feed tokens {sha256 hex of the token: {user, team, scope
  (school|all), school_id, channel_id, created_at}} (bot.feeds.tokens); the tokens themselves
  are never stored.
- ``RETENTION_SETTING``: per workspace {team id: {years, by, at}}: notes, prompts and the audit log are kept ``years``
  school years after the school year they belong to (bot.privacy.retention; default 3);
- ``PRIVACY_LOG_SETTING``: [{at, who, what, school_id?, person?}]: deletions and exports that
  reach beyond one school (a school deleted, a person forgotten) and refused attempts: who and
  when, never the data (kept under the same retention);
- ``DIGEST_OPTOUTS_SETTING``: people who turned a digest off for themselves
  [{team, user, off: ["weekly"|"monthly"|"picture"]}] (bot.digests.prefs).
- ``"metadata_key"``: 64 hex characters, the key that seals forms' ``private_metadata``
  (created once by handlers/sealed_views.py; a secret: a backup holding it is as sensitive).

The index (``Store.index_entry``): {school_id, name, team_id, channel_id} per school, one school
per (team, channel).
"""

from __future__ import annotations

PROFILE = ("school", "profile")  # (kind, key) of the school's profile document
STEP_KIND = "steps"  # key: "<year>:<cycle>/<step>"
ANCHOR_KIND = "anchors"  # key: "<year>:<anchor id>"
AUDIT_KIND = "audit"  # key: "<UTC instant>#<n>"; kept `retention` school years (bot.privacy.retention)
LEDGER = "ledger"  # key: an outgoing message's stable key
NOTE_KIND = "notes"  # key: "<channel>:<ts>"
PROMPT_KIND = "prompts"  # key: "<channel>:<ts>"

CHECKLIST_KEY = "checklist"  # field of a step's state: its checklist ticks and posts
REVIEW_KEY = "review"  # field of a step's state: its review round
POLICY_KEY = "nudges"  # field of the profile (School.extra): the school's nudge overrides
DIGESTS_KEY = "digests"  # field of the profile (School.extra): {"off": [digest kinds]} the school turned off

DISTRICT_HOLIDAYS_SETTING = "holidays"  # setting: the district's holidays
DISTRICT_DATES_SETTING = "district_dates"  # setting: the district's own dates for default ones (bot.calendar.district_dates)
THREADS_SETTING = "notes_threads"  # setting: thread -> school outside the school's channel
FEEDS_SETTING = "calendar_feeds"  # setting: sha256(token) -> the feed it opens
RETENTION_SETTING = "retention"  # setting: {team id: {years, by, at}}
PRIVACY_LOG_SETTING = "privacy_log"  # setting: [{at, who, what, ...}]
DIGEST_OPTOUTS_SETTING = "digest_optouts"  # setting: per person, the digests they turned off
