"""Relative time phrases in a message, resolved to dates from when it was said (pure).

"I went to a support group yesterday", said on 8 May 2023, is about 7 May 2023; a "when"
question asked a year later needs that date, not "yesterday". The outbox worker stores the
resolved dates with the message (index metadata `time_refs`) so the read path and the
responder see them without re-deriving them per question.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "a few": 3, "couple of": 2,
}  # fmt: skip
_COUNT = (
    r"(\d{1,2}|a couple of|couple of|a few|an?|one|two|three|four|five|six|seven|eight|nine|ten)"
)
_AGO = re.compile(rf"\b{_COUNT} (day|week|month|year)s? ago\b")
_WEEKDAY = re.compile(r"\b(last|this past|past|on) (" + "|".join(_WEEKDAYS) + r")\b")
_FIXED = [
    (re.compile(r"\b(yesterday|last night)\b"), "day", -1),
    (re.compile(r"\b(today|tonight|this morning|this afternoon|this evening)\b"), "day", 0),
    (re.compile(r"\btomorrow\b"), "day", 1),
    (re.compile(r"\blast weekend\b"), "weekend", -1),
    (re.compile(r"\bthis weekend\b"), "weekend", 0),
    (re.compile(r"\blast week\b"), "week", -1),
    (re.compile(r"\bnext week\b"), "week", 1),
    (re.compile(r"\blast month\b"), "month", -1),
    (re.compile(r"\bthis month\b"), "month", 0),
    (re.compile(r"\bnext month\b"), "month", 1),
    (re.compile(r"\blast year\b"), "year", -1),
    (re.compile(r"\bthis year\b"), "year", 0),
    (re.compile(r"\bnext year\b"), "year", 1),
]


def resolve_time_refs(text: str, said_at: datetime) -> list[str]:
    """Return each relative time phrase of `text` with its date, e.g. "yesterday: 7 May 2023".

    Args:
        text: The message.
        said_at: When it was said; phrases count from its date.
    """
    lowered = text.lower()
    day = said_at.date()
    found: dict[str, str] = {}
    for pattern, unit, step in _FIXED:
        for match in pattern.finditer(lowered):
            found.setdefault(match.group(0), _describe(day, unit, step))
    for match in _AGO.finditer(lowered):
        count, unit = _NUMBERS.get(match.group(1)) or int(match.group(1)), match.group(2)
        found.setdefault(match.group(0), _describe(day, unit, -count, exact=False))
    for match in _WEEKDAY.finditer(lowered):
        # "last Saturday" / "on Saturday" in a past-tense chat: the latest one before the day.
        back = (day.weekday() - _WEEKDAYS.index(match.group(2))) % 7 or 7
        found.setdefault(match.group(0), _format_day(day - timedelta(days=back)))
    return [f"{phrase}: {when}" for phrase, when in found.items()]


def _describe(day: date, unit: str, step: int, *, exact: bool = True) -> str:
    """Return the day, week, weekend, month or year `step` units from `day`, in words."""
    about = "" if exact else "about "
    if unit == "day":
        return about + _format_day(day + timedelta(days=step))
    if unit == "week":
        start = day + timedelta(weeks=step) - timedelta(days=day.weekday())
        return f"{about}the week of {_format_day(start)}"
    if unit == "weekend":
        saturday = day + timedelta(days=(5 - day.weekday()) % 7) + timedelta(weeks=step)
        return f"the weekend of {_format_day(saturday)}"
    if unit == "month":
        months = day.year * 12 + day.month - 1 + step
        return about + date(months // 12, months % 12 + 1, 1).strftime("%B %Y")
    return f"{about}{day.year + step}"


def _format_day(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"
