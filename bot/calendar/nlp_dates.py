"""Dates as people type them ("Dec 14 10am", "next Tuesday at 2pm"): the one dateparser wrapper.

Rules (see docs/checklists.md):
- English only, relative to the school's local ``now`` (a UTC instant passed in, shown in ``tz``);
- dateparser only reads *wall-clock* date and time; the zone is attached here with ``zoneinfo``
  (never dateparser's TIMEZONE setting, whose fixed offsets are wrong across DST). A time in
  the spring-forward gap moves forward; a repeated time (fall back) takes the first;
- its traps are handled before it sees the text: ``"the 6th"`` (dateparser: June 1) is the next
  6th of a month; ``"next Friday"`` is the Friday of next week (``"this Friday"``/``"Friday"`` the
  coming one); ``"January"`` (dateparser: filled in from today) and other vague answers are
  refused with examples; ``"Dec 14 at 10"`` (dateparser: year 2110) asks for am or pm;
- ``prefer="future"``: a date without a year is the next one, unless it fell in the last 60 days
  (then it is that past day, so the caller can say it has passed); ``prefer="nearest"``: the
  closest one, past or future (for "data was ready Oct 20");
- every answer is echoed back with weekday, time and zone: "Tue Dec 14 2021, 10:00 AM EST".

Any text gives a ``When`` or a ``WhenError`` (a UserError that says what to type), never another
exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from bot.calendar import dates
from bot.errors import UserError

MAX_TEXT = 120
RECENT_PAST_DAYS = 60
EXAMPLES = "`Dec 14 10am`, `next Tuesday at 2pm`, `tomorrow 3pm`, `the 14th at 9:30am`, `2021-12-14 10:00`"
DAY_EXAMPLES = "`Oct 20`, `today`, `yesterday`, `next Monday`, `2021-10-20`"

Prefer = Literal["future", "nearest"]


class WhenError(UserError):
    """A date or time we cannot use; the message says what to type instead."""


@dataclass(frozen=True)
class When:
    """What a person meant: a local day, maybe a wall-clock time, and the UTC instant.

    ``instant`` is None when no time was given (``day`` is then all there is).
    """

    day: date
    at: time | None
    instant: datetime | None
    tz: str
    echo: str
    notes: tuple[str, ...] = field(default=())

    @property
    def has_time(self) -> bool:
        return self.at is not None


# ---------------------------------------------------------------- vocabulary

_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}
_WEEKDAY_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "twenty first": 21, "twenty second": 22, "twenty third": 23, "twenty fourth": 24,
    "twenty fifth": 25, "twenty sixth": 26, "twenty seventh": 27, "twenty eighth": 28,
    "twenty ninth": 29, "thirtieth": 30, "thirty first": 31,
}
# zone words people add after a time -> the IANA zone whose wall clock they mean (so "10am EST"
# in July is 10:00 New York time, as people mean it, not a fixed UTC-5)
_ZONE_WORDS = {
    "et": "America/New_York", "est": "America/New_York", "edt": "America/New_York", "eastern": "America/New_York",
    "ct": "America/Chicago", "cst": "America/Chicago", "cdt": "America/Chicago", "central": "America/Chicago",
    "mt": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver", "mountain": "America/Denver",
    "pt": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles", "pacific": "America/Los_Angeles",
    "akst": "America/Anchorage", "akdt": "America/Anchorage", "alaska": "America/Anchorage",
    "hst": "Pacific/Honolulu", "hawaii": "Pacific/Honolulu", "utc": "UTC", "gmt": "UTC",
}
_ZONE_RE = re.compile(r"\s*\b(" + "|".join(_ZONE_WORDS) + r")\b(?:\s+time)?\s*$")
_IANA_RE = re.compile(r"\s*\b([A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?)\s*$")

_VAGUE_WORDS = re.compile(
    r"\b(soon|later|asap|tbd|tba|sometime|some time|whenever|someday|eventually|shortly|"
    r"early|mid|late|beginning|end|middle|spring|summer|autumn|winter|semester|quarter|weekend|weekday)\b"
)
_PERIOD_ONLY = re.compile(r"^(?:(?:in|during|by|for|within)\s+)?(?:(?:this|next|last|the|coming)\s+)?(week|month|year)$")
_MONTH_ONLY = re.compile(rf"^(?:(?:in|during|by|for|this|next|last|early|mid|late)\s+)*(?:{_MONTHS})\.?(?:\s+(?:of\s+)?\d{{4}})?$")
_YEAR_ONLY = re.compile(r"^(?:in\s+)?\d{4}$")
_EXPLICIT_MONTH = re.compile(rf"\b(?:{_MONTHS})\b|\b\d{{1,2}}/\d{{1,2}}\b")
_EXPLICIT_YEAR = re.compile(r"\b\d{4}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|'\d{2}\b")
_TIME_RE = re.compile(
    r"(?:\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b|\b\d{1,2}:\d{2}\b|\bnoon\b|\bmidnight\b|\bmidday\b|"
    r"\bin\s+\d+\s+(?:hour|hr|minute|min)s?\b|t\d{2}:\d{2})"
)
_BARE_AT_HOUR = re.compile(r"\bat\s+(\d{1,2})(?:\s*o'?clock)?\s*$|\b(\d{1,2})\s*o'?clock\b")
_DAY_BARE_HOUR = re.compile(rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\s+(\d{{1,2}})$|^\d{{1,2}}/\d{{1,2}}\s+(\d{{1,2}})$")
_CLOCK_RE = re.compile(r"^(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
_WEEKDAY_PHRASE = re.compile(
    rf"^(?:(this|next|coming)\s+)?({_WEEKDAY_RE})\.?(?:\s+(next week|this week))?(?:\s*,?\s+(.*))?$"
)
_NEXT_WEEK_WEEKDAY = re.compile(rf"^next week\s+(?:on\s+)?({_WEEKDAY_RE})\.?(?:\s*,?\s+(.*))?$")
_ORDINAL_DAY = re.compile(r"^(?:the\s+)?(\d{1,2})(st|nd|rd|th)?(?:\s+of\s+(?:the|this)\s+month)?(?:\s*,?\s+(.*))?$")
_RELATIVE_TIME_WORDS = re.compile(r"\b(today|tonight|tomorrow|yesterday|now)\b")


def _err_vague(text: str, need_time: bool) -> WhenError:
    return WhenError(
        f"'{_show(text)}' is too vague for a date: give a day{' and a time' if need_time else ''}, like "
        + (EXAMPLES if need_time else DAY_EXAMPLES)
    )


def _normalize(text: str) -> str:
    t = text.translate(str.maketrans({"“": " ", "”": " ", "‘": "'", "’": "'", "\u00a0": " "})).lower()
    t = re.sub(r"\ba\.m\.?", "am", t)
    t = re.sub(r"\bp\.m\.?", "pm", t)
    t = re.sub(r"(\d)\s*(a|p)\b(?!\.)", r"\1\2m", t)  # 10a -> 10am
    t = re.sub(r"[\s,;]+", " ", t).strip(" .")
    for word, n in sorted(_ORDINAL_WORDS.items(), key=lambda kv: -len(kv[0])):
        t = re.sub(rf"\b{word}\b", f"{n}{_suffix(n)}", t)
    t = re.sub(r"^(?:on|for|at|by)\s+", "", t)
    return t


def _suffix(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _clock(text: str) -> time | None:
    """``10am``, ``2:30 pm``, ``14:00``, ``noon``, ``midnight``; None if it is not a clock time.

    A bare hour without am/pm from 1 to 12 raises (ambiguous); 13-23 is read as 24-hour.
    """
    t = text.strip()
    t = re.sub(r"^at\s+", "", t)
    if t in ("noon", "midday", "12 noon"):
        return time(12, 0)
    if t in ("midnight", "12 midnight"):
        return time(0, 0)
    m = _CLOCK_RE.match(t)
    if not m:
        return None
    hour, minute, ampm = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if minute > 59:
        return None
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    else:
        if m.group(2) is None and 1 <= hour <= 12:
            raise WhenError(f"'{_show(text)}': say am or pm, like `{hour}am` or `{hour}pm` (or `{hour}:00`)")
        if hour > 23:
            return None
    return time(hour, minute)


# ---------------------------------------------------------------- dateparser


_PARSERS: dict[str, object] = {}


def _parser(prefer: str, base: datetime):
    from dateparser.date import DateDataParser

    settings = {
        "PREFER_DATES_FROM": prefer,
        "PREFER_DAY_OF_MONTH": "first",
        "RELATIVE_BASE": base,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "DATE_ORDER": "MDY",
        # no 'timestamp' (a number is not a Unix time here) and no 'no-spaces-time' ("20211214")
        "PARSERS": ["relative-time", "custom-formats", "absolute-time"],
    }
    return DateDataParser(languages=["en"], settings=settings)


def _dateparser(text: str, base: datetime, prefer: str):
    """(naive local datetime, period) from dateparser, or (None, None)."""
    try:
        data = _parser(prefer, base).get_date_data(text)
    except Exception:  # noqa: BLE001 - dateparser raises odd errors on odd text; we answer clearly
        return None, None
    return data.date_obj, data.period


def warm() -> None:
    """Load dateparser's English data before the first request (Slack gives up at 3 s)."""
    base = datetime(2021, 11, 2, 9, 0)
    for prefer in ("future", "past"):
        _dateparser("Dec 14 10am", base, prefer)
        _dateparser("next tuesday at 2pm", base, prefer)


# ---------------------------------------------------------------- the wrapper


def parse(text: str, now: datetime, tz: str, *, need_time: bool = True, prefer: Prefer = "future",
          within: tuple[date, date] | None = None) -> When:
    """Read ``text`` as a local day (and time) in zone ``tz`` relative to ``now`` (UTC).

    ``need_time``: a day without a time is refused with an example; otherwise a time is
    optional (and ignored by callers that only want the day). ``within``: local days (first,
    last) of the period the date is about (a cycle's year): a month and day without a year is
    read in it when exactly one of its readings falls there.
    """
    try:
        return _parse(text, now, tz, need_time, prefer, within)
    except WhenError:
        raise
    except (ValueError, OverflowError, ArithmeticError):
        raise WhenError(f"I couldn't read '{_show(text)}' as a date. Try {EXAMPLES if need_time else DAY_EXAMPLES}") from None


def _show(text: str) -> str:
    """What the person typed, to echo back in Slack: short, and escaped (never a ping or a link)."""
    s = " ".join(str(text).split())
    s = s if len(s) <= 60 else s[:59] + "…"
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _parse(text: str, now: datetime, tz: str, need_time: bool, prefer: Prefer, within: tuple[date, date] | None = None) -> When:
    raw = str(text or "")
    shown = _show(raw)
    if not raw.strip():
        raise WhenError("Say when, like " + (EXAMPLES if need_time else DAY_EXAMPLES))
    if len(raw) > MAX_TEXT:
        raise WhenError(f"That date is {len(raw)} characters long; write it shortly, like {EXAMPLES}")
    t = _normalize(raw)
    # an explicit zone at the end: the wall clock of that zone (echoed in the school's)
    zone_name = tz
    m = _ZONE_RE.search(t)
    if m and m.start() > 0:
        zone_name = _ZONE_WORDS[m.group(1)]
        t = t[: m.start()].strip()
    else:
        m = _IANA_RE.search(raw.strip())
        if m and dates.is_zone(m.group(1)):
            zone_name = m.group(1)
            t = _normalize(raw.strip()[: m.start()])
    local_now = dates.to_local(now, tz).replace(tzinfo=None)
    today = local_now.date()

    if not t:
        raise WhenError("Say when, like " + (EXAMPLES if need_time else DAY_EXAMPLES))
    iso = _iso(t)
    if iso is not None:
        day, at, aware = iso
        return _finish(raw, day, at, aware, zone_name, tz, now, need_time)
    if _PERIOD_ONLY.match(t) or _MONTH_ONLY.match(t) or _YEAR_ONLY.match(t) or _VAGUE_WORDS.search(t):
        raise _err_vague(shown, need_time)
    bare = _BARE_AT_HOUR.search(t) or _DAY_BARE_HOUR.search(t)
    if bare:
        h = next(g for g in bare.groups() if g)
        raise WhenError(f"'{shown}': say am or pm, like `{h}am` or `{h}pm`")

    # our own readings of dateparser's traps
    day, rest = _weekday_phrase(t, today)
    if day is None:
        day, rest = _ordinal_day(t, today)
    if day is not None:
        at = None
        if rest:
            at = _clock(rest)
            if at is None:
                raise WhenError(f"I couldn't read the time '{_show(rest)}' in '{shown}': write it like `10am`, `2:30pm` or `14:00`")
        return _finish(raw, day, at, None, zone_name, tz, now, need_time, _next_note(t, day, today))

    # everything else: dateparser, wall-clock only
    explicit_year = bool(_EXPLICIT_YEAR.search(t))
    value, period = _dateparser(t, local_now, "future")
    if value is None:
        raise WhenError(f"I couldn't read '{shown}' as a date. Try {EXAMPLES if need_time else DAY_EXAMPLES}")
    if period in ("month", "year") or (period == "week" and not re.search(r"\d", t)):
        raise _err_vague(shown, need_time)
    if _EXPLICIT_MONTH.search(t) and not explicit_year:
        past, _ = _dateparser(t, local_now, "past")
        inside = [v for v in (value, past) if v is not None and within and within[0] <= v.date() <= within[1]]
        if within and len(inside) == 1:
            value = inside[0]
        elif past is not None and past.date() <= today:
            ago = (today - past.date()).days
            ahead = (value.date() - today).days
            if prefer == "nearest" and ago < ahead:
                value = past
            elif prefer == "future" and ago <= RECENT_PAST_DAYS and value.date() != today:
                value = past
    has_time = bool(_TIME_RE.search(t))
    at = value.time().replace(second=0, microsecond=0) if has_time else None
    # a weekday said with a date must agree with it ("Monday Dec 14" when Dec 14 is a Tuesday)
    said = [w for w in re.findall(rf"\b({_WEEKDAY_RE})\b", t)]
    if said and _EXPLICIT_MONTH.search(t) and _WEEKDAYS[said[0]] != value.weekday():
        raise WhenError(f"{dates.fmt_day(value.date())} is a {_weekday_name(value.weekday())}, not a {_weekday_name(_WEEKDAYS[said[0]])}: which did you mean?")
    return _finish(raw, value.date(), at, None, zone_name, tz, now, need_time)


def _weekday_name(n: int) -> str:
    return ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][n]


def _iso(t: str) -> tuple[date, time | None, datetime | None] | None:
    """``2021-12-14``, ``2021-12-14 10:00``, ``2021-12-14t10:00-05:00``; None if not ISO."""
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:[ t](\d{1,2}):(\d{2})(?::(\d{2}))?\s*(z|[+-]\d{2}:?\d{2})?)?$", t)
    if not m:
        return None
    day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m.group(4) is None:
        return day, None, None
    at = time(int(m.group(4)), int(m.group(5)))
    off = m.group(7)
    if off:
        if off == "z":
            tzinfo = timezone.utc
        else:
            sign = 1 if off[0] == "+" else -1
            digits = off[1:].replace(":", "")
            delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            if delta >= timedelta(hours=24):
                raise ValueError("offset")
            tzinfo = timezone(sign * delta)
        return day, at, datetime.combine(day, at, tzinfo=tzinfo)
    return day, at, None


def _weekday_phrase(t: str, today: date) -> tuple[date | None, str]:
    m = _NEXT_WEEK_WEEKDAY.match(t)
    if m:
        wd = _WEEKDAYS[m.group(1)]
        monday_next = today - timedelta(days=today.weekday()) + timedelta(days=7)
        return monday_next + timedelta(days=wd), (m.group(2) or "").strip()
    m = _WEEKDAY_PHRASE.match(t)
    if not m:
        return None, ""
    which, wd, week, rest = m.group(1), _WEEKDAYS[m.group(2)], m.group(3), (m.group(4) or "").strip()
    if rest and _clock_or_none(rest) is None:
        return None, ""  # "Tuesday Dec 14 10am": a date follows; dateparser reads it, we check the weekday
    monday = today - timedelta(days=today.weekday())
    if which == "next" or week == "next week":
        return monday + timedelta(days=7 + wd), rest
    if week == "this week":
        return monday + timedelta(days=wd), rest
    # "Friday", "this Friday", "coming Friday": the next one, today included
    return today + timedelta(days=(wd - today.weekday()) % 7), rest


def _next_note(t: str, day: date, today: date) -> str | None:
    m = _WEEKDAY_PHRASE.match(t)
    if m and m.group(1) == "next":
        wd = _WEEKDAYS[m.group(2)]
        coming = today + timedelta(days=(wd - today.weekday()) % 7)
        if coming != day and coming >= today:
            return f"“next {_weekday_name(wd)}” is read as next week's; for this week's say `this {_weekday_name(wd)}` or `{coming:%b} {coming.day}`"
    return None


def _clock_or_none(text: str) -> time | None:
    try:
        return _clock(text)
    except WhenError:
        return time(0, 0)  # a clock time, just ambiguous: _clock raises again later


def _ordinal_day(t: str, today: date) -> tuple[date | None, str]:
    """``the 6th`` (dateparser reads June 1): the next 6th of a month, today included."""
    m = _ORDINAL_DAY.match(t)
    if not m:
        return None, ""
    n, suffix, rest = int(m.group(1)), m.group(2), (m.group(3) or "").strip()
    if not suffix and not t.startswith("the "):
        if rest or not 1 <= n <= 31:  # "14 dec", "10 am": not ours
            return None, ""
    if not 1 <= n <= 31:
        raise WhenError(f"There is no {n}{_suffix(n)} day of a month: try {EXAMPLES}")
    if rest and _clock_or_none(rest) is None:
        return None, ""
    y, mo = today.year, today.month
    for _ in range(13):
        if n <= dates.last_day_of_month(y, mo):
            candidate = date(y, mo, n)
            if candidate >= today:
                return candidate, rest
        mo += 1
        if mo == 13:
            y, mo = y + 1, 1
    return None, ""


def _finish(raw: str, day: date, at: time | None, aware: datetime | None, zone_name: str, tz: str, now: datetime,
            need_time: bool, note: str | None = None) -> When:
    local_today = dates.local_today(now, tz)
    if not local_today.year - 2 <= day.year <= local_today.year + 3:
        raise WhenError(f"I read '{_show(raw)}' as {dates.fmt_day(day)}, too far from today. Write the date in full, like {EXAMPLES}")
    notes: list[str] = [note] if note else []
    if at is None and aware is None:
        if need_time:
            raise WhenError(f"What time on {dates.fmt_day(day)}? Add it, like `{day:%b} {day.day} 10am` or `{day:%b} {day.day} 2:30pm`")
        return When(day, None, None, tz, dates.fmt_day(day), tuple(notes))
    if aware is not None:
        instant = aware.astimezone(dates.UTC)
    else:
        zi = ZoneInfo(zone_name) if zone_name != "UTC" else timezone.utc
        local = datetime.combine(day, at).replace(tzinfo=zi, fold=0)
        instant = local.astimezone(dates.UTC)
        back = instant.astimezone(zi).replace(tzinfo=None)
        if back != datetime.combine(day, at):
            notes.append(f"{_clock_text(at)} doesn't exist on {dates.fmt_day(day)} (clocks spring forward): I used {_clock_text(back.time())}")
        elif datetime.combine(day, at).replace(tzinfo=zi, fold=1).utcoffset() != local.utcoffset():
            notes.append(f"{_clock_text(at)} happens twice on {dates.fmt_day(day)} (clocks fall back): I used the first")
    if zone_name != tz or (aware is not None and aware.utcoffset() != dates.to_local(instant, tz).utcoffset()):
        notes.append("converted to the school's time zone")
    local_day = dates.local_today(instant, tz)
    local_at = dates.to_local(instant, tz).time().replace(second=0, microsecond=0)
    return When(local_day, local_at, instant, tz, dates.fmt_local(instant, tz), tuple(notes))


def _clock_text(at: time) -> str:
    return f"{at.hour % 12 or 12}:{at.minute:02d} {'AM' if at.hour < 12 else 'PM'}"


def describe(when: When) -> str:
    """The echo plus any notes, for a reply: "Tue Dec 14 2021, 10:00 AM EST"."""
    return when.echo + "".join(f" ({n})" for n in when.notes)


def at_local(day: date, at: time, tz: str, now: datetime) -> When:
    """A day and wall-clock time picked in a form (Slack's date and time pickers), in ``tz``."""
    return _finish(f"{day.isoformat()} {at:%H:%M}", day, at, None, tz, tz, now, True)
