"""The sweep: one pass over every school, sending what the outbox says is due, exactly once.

``jobs.sweep(services, client, now)`` is the only thing the clock runs (one APScheduler job,
every minute, ``jobs.start_scheduler``). For each school the sweeper (``sweeper``) asks the
providers (``providers``: the one list) what is due, claims each message's key in the school's
ledger inside a transaction (``ledger``), posts it (``delivery``, paced per channel by
``pacing``; several nudges for one channel batched into one message by ``batching``), and
records the Slack ``ts``. Nothing is scheduled per message: change the data and the next sweep
sees the change.

- **Fast when nothing is due.** Per school the sweep keeps the store revision it last read (its
  own ledger writes discounted) and the next instant anything can fall due; a school nobody has
  changed is skipped until that instant.
- **One message per channel.** Nudges due in the same sweep for one channel (and overdue
  escalations for one person) go out as one message, each with its own buttons and its own
  ledger entry; notes prompts always go alone (their thread collects the notes).
- **Downtime.** A message whose ``expires_at`` has passed is recorded ``skipped`` (stale). Of
  several due messages of one series only the latest is sent; the others are recorded
  ``skipped`` (superseded). Messages render at send time, so the text gives the true time left.
- **Slack faults.** 429: slack_sdk waits ``Retry-After`` and retries; if Slack still refuses,
  the claims are released for a later sweep. Posts are paced to one a second per channel. 5xx
  or a network error: the entry becomes ``retry`` and the next sweep tries again (backing off
  up to 30 minutes). ``channel_not_found``/``not_in_channel``/``is_archived``: ``failed`` (not
  retried), recorded on the school (``School.extra["delivery_problem"]``, shown by
  ``/scep schools``) and told to the liaison once (``notices``).
- **People who left.** A mention of a user who left the workspace (``directory``) is replaced by
  their name (no ping, ``mentions``), and the liaison is told once.
"""
