"""Where notes and prompts live in the store, and finding the school of a Slack thread.

Store layout (per school):

- ``prompts``, key ``"<channel>:<ts>"``: a notes prompt the bot posted (step, year, title, the
  commitments as they were then, posted_at, by, source, closed);
- ``notes``, key ``"<channel>:<ts>"`` of the Slack message: step, year, prompt, commitment
  (1-based number or None for a general note), author, author_name, at, text, permalink, files
  (links), flags, redacted, kept, source, edited_at;
- the step's state (``steps``, ``"<year>:<cycle>/<step>"``) gets ``prompt`` (the latest prompt:
  channel, ts, at) and ``notes`` (counts), so the clock's providers, which see a ``SchoolState``,
  know a prompt was posted and how many notes there are.

Finding a reply's school: the channel is bound to one school (an in-memory map in the store),
then the prompt is a keyed look-up in that school: no scan of notes or schools. Prompts and notes
in a channel that is not (or no longer) the school's own are found through the small
``notes_threads`` setting (``"<channel>:<ts>" -> school id``).
"""

from __future__ import annotations

from typing import Any

from bot.store.port import Store
from bot.store.schema import NOTE_KIND, PROMPT_KIND, THREADS_SETTING


def note_key(channel: str, ts: str) -> str:
    return f"{channel}:{ts}"


def _threads_index(store: Store) -> dict[str, str]:
    return store.get_setting(THREADS_SETTING, {}) or {}


def remember_thread(store: Store, channel: str, ts: str, school_id: str) -> None:
    """Index ``channel:ts`` -> school for a prompt or note outside the school's own channel
    (an atomic update of the setting: threads remembered at once are all kept)."""
    key = note_key(channel, ts)

    def add(index: dict[str, str] | None) -> dict[str, str]:
        index = index or {}
        index[key] = school_id
        return index

    store.update_setting(THREADS_SETTING, add, {})


def _candidates(store: Store, team_id: str, channel: str, *ts_values: str | None) -> list[str]:
    sids = []
    sid = store.school_for_channel(team_id, channel)
    if sid:
        sids.append(sid)
    wanted = [note_key(channel, t) for t in ts_values if t]
    if wanted:
        index = _threads_index(store)
        for w in wanted:
            other = index.get(w)
            # the index is keyed by channel and ts: a school of another workspace with the same channel id is never one
            if other and other not in sids and ((store.index_entry(other) or {}).get("team_id") or "") == (team_id or ""):
                sids.append(other)
    return sids


def find_prompt(store: Store, team_id: str, channel: str, thread_ts: str) -> tuple[str, dict[str, Any]] | None:
    """The school and prompt whose thread is ``channel``/``thread_ts``, or None."""
    for sid in _candidates(store, team_id, channel, thread_ts):
        prompt = store.view(sid).get(PROMPT_KIND, note_key(channel, thread_ts))
        if prompt is not None:
            return sid, prompt
    return None


def find_note(store: Store, team_id: str, channel: str, ts: str, thread_ts: str | None = None) -> tuple[str, dict[str, Any]] | None:
    for sid in _candidates(store, team_id, channel, ts, thread_ts):
        note = store.view(sid).get(NOTE_KIND, note_key(channel, ts))
        if note is not None:
            return sid, note
    return None
