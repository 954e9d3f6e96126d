"""Dates in questions: turn "last week", "ontem", "in May 2023" into a time window (pure)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from text.words import fold

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "janeiro", "jan"),
            ("february", "fevereiro", "feb", "fev"),
            ("march", "marco", "mar"),
            ("april", "abril", "apr", "abr"),
            ("may", "maio", "mai"),
            ("june", "junho", "jun"),
            ("july", "julho", "jul"),
            ("august", "agosto", "aug", "ago"),
            ("september", "setembro", "sep", "set"),
            ("october", "outubro", "oct", "out"),
            ("november", "novembro", "nov"),
            ("december", "dezembro", "dec", "dez"),
        ],
        start=1,
    )
    for name in names
}
# Full names only: abbreviations such as "set", "out", "mar" are everyday words.
_FULL_NAMES = {m for m in _MONTHS if len(m) > 3} | {"may", "mai"}
_MONTH_NAMES = "|".join(sorted(_FULL_NAMES, key=len, reverse=True))
_MONTH_YEAR = re.compile(rf"\b(?:in |em |de )?({_MONTH_NAMES})(?: de)?,? (\d{{4}})\b")
_YEAR = re.compile(r"\b(?:in|em|during|durante) (\d{4})\b")
_DAYS_AGO = re.compile(
    r"\b(\d{1,3}) (?:days? ago|dias? atras|dias? atrás)\b|\bha (\d{1,3}) dias?\b"
)

# Relative phrases (accent-folded) -> (days back to the window start, days back to its end).
_RELATIVE: list[tuple[re.Pattern[str], int, int]] = [
    (re.compile(r"\b(today|hoje)\b"), 0, -1),
    (re.compile(r"\b(yesterday|ontem)\b"), 1, 0),
    (re.compile(r"\b(this week|esta semana|nesta semana)\b"), 7, -1),
    (re.compile(r"\b(last week|semana passada|ultima semana)\b"), 14, 0),
    (re.compile(r"\b(last month|mes passado|ultimo mes)\b"), 62, 0),
    (re.compile(r"\b(recently|lately|recentemente|ultimamente)\b"), 30, -1),
]
_ASKS_WHEN = re.compile(r"\b(when|what date|what day|which day|quando|que dia|em que data)\b")


def asks_when(query: str) -> bool:
    """Return whether the question asks for a time ("when did…", "quando…")."""
    return bool(_ASKS_WHEN.search(fold(query)))


def time_window(query: str, now: datetime | None = None) -> tuple[datetime, datetime] | None:
    """Return the [start, end) period a question refers to, or None if it names none.

    Relative phrases count back from `now` generously (a "last week" window spans the past
    two weeks): people are loose with them, and the window only boosts, never filters.
    """
    now = now or datetime.now(UTC)
    text = fold(query)
    if match := _MONTH_YEAR.search(text):
        month, year = _MONTHS[match.group(1)], int(match.group(2))
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
        return start, end
    if match := _YEAR.search(text):
        year = int(match.group(1))
        return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    if match := _DAYS_AGO.search(text):
        days = int(match.group(1) or match.group(2))
        day = (now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
        return day - timedelta(days=1), day + timedelta(days=2)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for pattern, back_start, back_end in _RELATIVE:
        if pattern.search(text):
            return today - timedelta(days=back_start), today - timedelta(days=back_end)
    return None
