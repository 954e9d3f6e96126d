"""Second looks at a message's facts together: a "pastime" that is the user's work, a number job.

The clause rules (`memory/fact_rules.py`) read each clause alone, so "I do …" / "faço …" reads
as a hobby whatever is done: "sou padeira, faço broas", "I'm a dispatcher now, I do the late
loads", "eu cá só faço o pão" are the user's work, not a pastime, and a stored hobby "the
late loads" answers "what do I do for fun?" wrongly. What the user does beside their own
job, or "the"/"o" task, is kept as a hobby only when it is a known sport or pastime
(`memory.fact_words.HOBBY`: "I'm a nurse and I do pottery"). A job is never a number ("I'm a
12 handicap" is golf).
"""

from __future__ import annotations

import re
from typing import Protocol, TypeVar

from memory.fact_words import HOBBY
from text.words import fold

_DOES = ("The user does ", "O usuário pratica ")  # the "I do …"/"faço …" rule's statements
_WORK = frozenset({"job", "workplace"})
_TASK = re.compile(r"(?:the|o|a|os|as)\s")  # "the late loads", "os turnos da noite"
_PASTIME = re.compile(HOBBY)


class _Fact(Protocol):
    attribute: str
    value: str
    text: str


F = TypeVar("F", bound=_Fact)


def _users_work(value: str, work_told: bool) -> bool:
    """Return whether a value done ("I do …") reads as the user's work, not a pastime."""
    folded = fold(value)
    if _PASTIME.search(folded):
        return False
    return work_told or _TASK.match(folded) is not None


def plausible(facts: list[F]) -> list[F]:
    """Return `facts` (a message's `ExtractedFact`s) without the ones read wrongly alone."""
    work_told = any(f.attribute in _WORK for f in facts)
    return [
        f
        for f in facts
        if not (f.text.startswith(_DOES) and _users_work(f.value, work_told))
        and not (f.attribute == "job" and f.value[:1].isdigit())
    ]
