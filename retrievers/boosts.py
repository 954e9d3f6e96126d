"""Adjustments after fusion: what the question names (a period, a person) and what was replaced.

Each lifts or lowers matching candidates by a share of the fused-score range and re-ranks;
the outcome is recorded on the candidate (`scores["time"]`, `["author"]`, `["superseded"]`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from memory.fact_questions import states
from memory.favourite_things import same_thing
from retrievers.types import Candidate
from text.acts import asking_share, statements

_NAME = re.compile(r"\b[A-Z][a-z]{2,}\b")


def reranked(
    candidates: Iterable[Candidate], key: Callable[[Candidate], float] | None = None
) -> list[Candidate]:
    """Sort candidates best first (by `retrieval_order` unless `key` says otherwise)."""
    ranked = sorted(candidates, key=key or retrieval_order, reverse=True)
    for position, cand in enumerate(ranked, start=1):
        cand["ranks"]["fused"] = position
    return ranked


def retrieval_order(cand: Candidate) -> float:
    """Return what candidates are ordered by: the fused score and what neighbours lent."""
    return cand["scores"].get("fused", 0.0) + cand["scores"].get("neighbours", 0.0)


def _lift(
    candidates: list[Candidate],
    signal: str,
    bonus: Callable[[float], float],
    matches: Callable[[Candidate], bool | None],
) -> list[Candidate]:
    """Add `bonus(score range)` to the fused score of candidates that match, then re-rank.

    `matches` returns None where the signal does not apply (nothing recorded), else whether
    the candidate matches; the outcome is recorded as `scores[signal]` (1.0 or 0.0).
    """
    scores = [c["scores"].get("fused", 0.0) for c in candidates]
    if not scores:
        return candidates
    amount = bonus(max(scores) - min(scores))
    lifted = False
    for cand in candidates:
        outcome = matches(cand)
        if outcome is None:
            continue
        cand["scores"][signal] = 1.0 if outcome else 0.0
        if outcome:
            cand["scores"]["fused"] = round(cand["scores"].get("fused", 0.0) + amount, 6)
            lifted = True
    return reranked(candidates) if lifted else candidates


def boost_window(candidates: list[Candidate], window: tuple[datetime, datetime]) -> list[Candidate]:
    """Put messages dated inside the period the question names first; the rest follow.

    The user named the period, so it outranks topical closeness; nothing is dropped, since
    people are loose with "last week".
    """
    start, end = window

    def inside(cand: Candidate) -> bool | None:
        created = cand["metadata"].get("created_at")
        if cand["source"] not in ("conversation", "thread") or not created:
            return None
        return start <= datetime.fromisoformat(created) < end

    return _lift(candidates, "time", lambda spread: spread + 1e-6, inside)


def boost_named_authors(candidates: list[Candidate], query: str, bonus: float) -> list[Candidate]:
    """Lift messages written by a person the question names ("When did Caroline ...?").

    In group chats and transcripts the evidence is usually the named person's own words.
    """
    named = {w.lower() for w in _NAME.findall(query)}
    if not named:
        return candidates

    def by_named(cand: Candidate) -> bool | None:
        speaker = str(cand["metadata"].get("speaker") or "").lower()
        return True if speaker and speaker in named else None

    return _lift(candidates, "author", lambda spread: bonus * (spread or 1.0), by_named)


def demote_superseded(candidates: list[Candidate]) -> list[Candidate]:
    """Rank messages that stated a since-replaced fact ("I live in Porto") below the rest.

    They stay findable ("where did I live before?"), but a current statement wins.
    """

    def superseded(cand: Candidate) -> bool | None:
        return True if cand["metadata"].get("superseded_by") else None

    return _lift(candidates, "superseded", lambda spread: -(spread + 1e-6), superseded)


def demote_questions(candidates: list[Candidate], share: float) -> list[Candidate]:
    """Rank the user's past questions below their statements, by `share` of the score range.

    "Where do I live?" is not evidence of where they live; "I live in Porto" is. Questions
    stay findable for "what did I ask you…?" (the caller skips this then).
    """
    scores = [c["scores"].get("fused", 0.0) for c in candidates]
    if not scores:
        return candidates
    amount = share * ((max(scores) - min(scores)) or 1.0)
    lowered = False
    for cand in candidates:
        if cand["source"] != "conversation" or cand["metadata"].get("role") != "human":
            continue
        # A message that asks and also tells ("I moved. Have you been?") is lowered in part.
        asking = asking_share(cand["content"])
        cand["scores"]["question"] = round(asking, 3)
        if asking:
            cand["scores"]["fused"] = round(cand["scores"].get("fused", 0.0) - amount * asking, 6)
            lowered = True
    return reranked(candidates) if lowered else candidates


def boost_asked_facts(
    candidates: list[Candidate], attributes: Sequence[str], share: float
) -> list[Candidate]:
    """Put the user's current facts of the attribute a question asks for first.

    "What's my dog called?" asks for a `pet` fact; if memoria holds one it is the answer,
    whatever else the question's words resemble. Without one, the user's messages that
    state such a thing ("my beagle Simba says hi") move up by `share` of the score range.
    `attributes` are prefixes, most likely first; only the first one a fact has is lifted.
    """

    def attribute(cand: Candidate) -> str:
        return str(cand["metadata"].get("attribute") or "")

    facts = [attribute(c) for c in candidates if c["source"] == "facts"]

    def of(held: str, asked: str) -> bool:
        return held.startswith(asked) or same_thing(held, asked)

    asked = next((a for a in attributes if any(of(f, a) for f in facts)), None)
    if asked is not None:

        def is_asked(cand: Candidate) -> bool | None:
            return True if cand["source"] == "facts" and of(attribute(cand), asked) else None

        return _lift(candidates, "asked", lambda spread: spread + 1e-6, is_asked)

    def says_it(cand: Candidate) -> bool | None:
        if cand["source"] != "conversation":
            return None
        # What the user asked states nothing about them; what they said around it may.
        said = statements(cand["content"])
        return True if said and any(states(said, a) for a in attributes) else None

    return _lift(candidates, "asked", lambda spread: share * (spread or 1.0), says_it)
