"""Which of the user's statements of a one-value attribute holds, and which facts it outdates.

A home, a job, an employer, a partner hold one value at a time: the newest statement holds.
Facts are current when the rules read the change ("we shifted to Pune" supersedes "I live in
Bengaluru"); messages are not, and a change told in words no rule knows ("mudei!! agora tô
morando em Natal", "I left Lion City Assurance") leaves the old fact standing. These pure
orderings put what holds first among the passages `graph.quotable` found worth quoting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from memory.favourite_things import same_thing
from retrievers.types import Candidate
from text.said_of_user import said_of_user
from text.words import fold

# Attributes a new statement replaces ("we shifted to Pune" after "I live in Bengaluru").
REPLACED = frozenset({"name", "home", "job", "workplace", "partner", "age", "favourite"})


def latest_statements_first(quotable: list[Candidate], stating: set[str]) -> list[Candidate]:
    """Reorder the user's statements of the asked attribute (ids in `stating`), newest first.

    They keep their places among the other passages. Facts are already current (a correction
    supersedes); messages are not: the one that states the attribute last is the one that holds.
    """
    slots = [
        i for i, c in enumerate(quotable) if c["id"] in stating and c["metadata"].get("created_at")
    ]
    newest = sorted(
        (quotable[i] for i in slots), key=lambda c: str(c["metadata"]["created_at"]), reverse=True
    )
    reordered = list(quotable)
    for i, cand in zip(slots, newest, strict=True):
        reordered[i] = cand
    return reordered


# Leaving something, in the words of either language (folded): "I left Lion City
# Assurance", "saí da clínica", "deixei a Kwanza".
_LEFT = (
    r"(?:left|quit|leaving|resigned from|moved out of|moved away from|sai d[aoe]s?"
    r"|deixei(?: [ao]s?)?)"
)


def retracted_facts_last(quotable: list[Candidate]) -> list[Candidate]:
    """Quote after the others a fact whose value a newer message of the user says was left.

    The rules store a change only when they read the new value: "I left Lion City
    Assurance last Friday. Starting at Harbourfront Re on Monday" names no employer a rule
    knows, so "The user works at Lion City Assurance." outlives it, though the user said
    in so many words that it no longer holds.
    """
    said = [
        (str(c["metadata"].get("created_at") or ""), fold(said_of_user(c["content"])))
        for c in quotable
        if c["source"] == "conversation"
    ]

    def retracted(fact: Candidate) -> bool:
        value = fold(str(fact["metadata"].get("value") or "")).split()
        since = str(fact["metadata"].get("valid_from") or "")
        if not value or not since:
            return False
        left = re.compile(rf"\b{_LEFT}\s+(?:\w+\s+)?{re.escape(value[0])}\b")
        return any(when > since and left.search(text) for when, text in said)

    gone = {c["id"] for c in quotable if c["source"] == "facts" and retracted(c)}
    return sorted(quotable, key=lambda c: c["id"] in gone)


# A move, in the words of either language (folded): "we moved to", "mudei", "Mudámos de
# casa", "agora a gente mora em", "now living in". Not "now" alone ("now Lefse lives here" is
# the cat's), nor a change of anything but the house ("mudei de escola!").
_MOVED = re.compile(
    r"\b(?:moved|relocated|(?:mudei|mudamos|mudamo-nos|mudanca)(?! de (?!casa))"
    r"|now (?:living|based|settled)"
    r"|agora (?:\w+ ){0,2}(?:moro|mora|moramos|morando|vivo|vivemos|vive|estamos a viver))\b"
)


def outdated_home_after(
    quotable: list[Candidate], moved: set[str], attributes: Sequence[str]
) -> list[Candidate]:
    """Quote a newer statement of a move before the home fact it outdates.

    The rules store a move only in the phrasings they know: "mudei!! agora tô morando em
    Natal" leaves "O usuário mora em Teresina." standing. A message of the user's (ids in
    `moved`: sure of a home, in a home's words) that says they moved, said after the fact
    was stored and not naming the fact's place, says it no longer holds. Only a home: the
    words of a new job or employer are read as each other ("Started at Indeed" is no trade).
    """
    if "home" not in attributes:
        return quotable
    said = [
        c
        for c in quotable
        if c["id"] in moved
        and c["source"] == "conversation"
        and c["metadata"].get("created_at")
        and _MOVED.search(fold(said_of_user(c["content"])))
    ]
    if not said:
        return quotable
    newest = max(said, key=lambda c: str(c["metadata"]["created_at"]))
    when, text = str(newest["metadata"]["created_at"]), fold(newest["content"])

    def outdated(fact: Candidate) -> bool:
        value = fold(str(fact["metadata"].get("value") or ""))
        since = str(fact["metadata"].get("valid_from") or "")
        return (
            fact["source"] == "facts"
            and answers(fact, ["home"])
            and bool(value and since)
            and when > since
            and not re.search(rf"\b{re.escape(value)}\b", text)
        )

    first = next((i for i, c in enumerate(quotable) if outdated(c)), None)
    if first is None or quotable.index(newest) < first:
        return quotable
    rest = [c for c in quotable if c is not newest]
    return [*rest[:first], newest, *rest[first:]]


def answers(fact: Candidate, attributes: Sequence[str]) -> bool:
    """Return whether a fact is of an attribute asked ("favourite:colour" only of that one)."""
    held = str(fact["metadata"].get("attribute") or "")
    return any(
        held == a or (":" not in a and held.startswith(a)) or same_thing(held, a)
        for a in attributes
    )


# Asking what holds now, in either language (folded): "what's my role at the mine now?",
# "Qual é agora o meu cargo?", "who am I seeing these days?".
_NOW = re.compile(
    r"\b(?:now|nowadays|these days|currently|presently|at the moment|right now|rn|any ?more"
    r"|agora|hoje(?: em dia)?|atualmente|actualmente|neste momento|de momento|ultimamente)\b"
)
# Saying that something changed: "now that I'm", "they made me", "no longer", "agora que",
# "me puseram como", "já não".
_CHANGED = re.compile(
    r"\b(?:now that|now i'?m|i'?m now|no longer|not \w+ any ?more|made me|promoted|new job"
    r"|started (?:at|as|with|in)|switched to|moved|agora que|agora (?:sou|estou|to|trabalho"
    r"|moro|vivo|temos|tenho)|ja nao|me puseram|promovid[oa]|passei a|comecei (?:a|na|no|em)"
    r"|mudei|mudamos"
    # a change said on the way to something else: "since our move to…", "desde que fui pra…"
    r"|(?:ever )?since (?:i|we|our|my|moving|starting|joining)|desde que|desde a (?:nossa )?mudanca"
    r"|moved? over to|joined|left the|i left|i quit|acabou|terminei|estou com|to com"
    # made something by someone else: "the county's got me as", "o patrão fez-me", "now I am"
    r"|got me (?:as|on)|fez-me|me fez|fizeram-me|me fizeram|now i am|i am now"
    r"|(?:my|new) (?:job )?(?:title|role|position) is)\b"
)


def asks_now(query: str) -> bool:
    """Return whether `query` asks what holds now ("these days", "agora", "atualmente")."""
    return bool(_NOW.search(fold(query)))


def change_first(
    quotable: list[Candidate], query: str, about: Callable[[Candidate], bool]
) -> list[Candidate]:
    """Quote first the newest of what says the asked value changed, when asked what holds now.

    "What's my role at the mine now?" after "they made me the safety officer" is not
    answered by the older "The user is a mining surveyor." nor "I'm a lab technician":
    a message of the user's that says a change ("now that I'm…", "agora que me puseram
    como…"), or a current fact of a one-value attribute (dated by when it came to hold),
    newer than the passage quoted first goes before it: "Onde tô trabalhando agora?" is
    answered by the employer stored last, not by the older "trabalho pra Prefeitura". `about`:
    whether a passage is about what is asked (a job change does not answer "where do I live
    now?").
    """
    if not quotable or not asks_now(query):
        return quotable

    def changed(cand: Candidate) -> bool:
        if cand["source"] == "facts":
            held = str(cand["metadata"].get("attribute") or "").partition(":")[0]
            return held in REPLACED and bool(cand["metadata"].get("valid_from")) and about(cand)
        return _said_dated(
            cand,
            lambda c: about(c) and _CHANGED.search(fold(said_of_user(c["content"]))) is not None,
        )

    return newest_first(quotable, [c for c in quotable if changed(c)])


def newest_said_first(
    quotable: list[Candidate], keep: Callable[[Candidate], object]
) -> list[Candidate]:
    """Quote first the newest dated message of the user's in `quotable` that `keep` holds.

    `newest_first` over the conversation passages with a date that `keep` accepts.
    """
    return newest_first(quotable, [c for c in quotable if _said_dated(c, keep)])


def _said_dated(cand: Candidate, keep: Callable[[Candidate], object]) -> bool:
    """Return whether `cand` is a dated message of the user's that `keep` accepts."""
    return (
        cand["source"] == "conversation"
        and bool(cand["metadata"].get("created_at"))
        and bool(keep(cand))
    )


def newest_first(quotable: list[Candidate], said: Sequence[Candidate]) -> list[Candidate]:
    """Quote first the newest message of `said`, when it is newer than what is quoted first.

    Each passage is dated by when it was said, or a fact by when it came to hold; `said`
    are dated passages of `quotable`.
    """
    if not quotable or not said:
        return quotable
    newest = max(said, key=_dated)
    if quotable[0] is newest or _dated(quotable[0]) >= _dated(newest):
        return quotable
    return [newest, *(c for c in quotable if c is not newest)]


def _dated(cand: Candidate) -> str:
    """Return when a passage was said, or a fact came to hold (ISO text, "" if unknown)."""
    return str(cand["metadata"].get("created_at") or cand["metadata"].get("valid_from") or "")
