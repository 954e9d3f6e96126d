"""Whether the thing a user asks of themselves is one only someone else was said to have (pure).

"Em que banco trabalho?" after "a minha irmã é que trabalha num banco, eu nunca gostei de
números", or "what do I call my dog?" after "my mother had a dog when we were small": the
bank and the dog are the sister's and the mother's. The user never said they have one, so
their own employer or their macaw does not answer, and neither does the sister's message.
Read in the words of either language (accent-folded): the thing asked ("which hospital",
"em que hotel") or the animal asked is named in the part of a recalled passage about a
relative (`graph.relative_detail.about_them`) and nowhere else in what was recalled.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from graph.animal_kinds import animal_asked
from graph.relative_detail import about_them, person_asked, thing_asked
from retrievers.types import Candidate
from text.kin import PEOPLE
from text.words import fold

_MINE = re.compile(r"(?:my|our|meu|minha|meus|minhas|nosso|nossa|nossos|nossas)\b")
# Words for any employer: "em que empresa trabalho?" is answered by "trabalho na Farmácia
# Central" though a cousin's "empresa" is the only one named.
_ANY_EMPLOYER = re.compile(
    r"^(?:company|companies|firm|business|employer|outfit|empresa|firma|companhia|negocio)$"
)


# A relative of the user's, by a possessive before them: "my brother", "a minha prima", "his
# sister"; not "the children's librarian" (the user's own job).
_RELATIVE = re.compile(
    rf"\b(?:my|our|his|her|their|me|meu|minha|meus|minhas|nosso|nossa|nha|seu|sua)"
    rf"\s+(?:[\w'’-]+\s+)?(?:{PEOPLE})\b"
)


def _theirs(text: str) -> str:
    """Return what `text` says of a relative, from the word naming them on.

    "Moli our pig got into my neighbour's cassava": the pig comes before the neighbour,
    and is the user's.
    """
    part = about_them(text, PEOPLE)
    named = _RELATIVE.search(fold(part))
    return part[named.start() :] if named else ""


def _mentions(question: str) -> tuple[Callable[[str], int], Callable[[str], bool]] | None:
    """Return how to count the mentions of what `question` asks, and whether a text may hold it.

    None when it asks no thing or animal. An animal may be in a text naming no other kind
    ("Appu, our Rajapalayam, guards the gate" may be a dog: no rule knows that breed).
    """
    animal = animal_asked(question)
    if animal is not None:
        return (
            lambda text: sum(animal.asked(part) for part in re.split(r"[,;.!?]", text)),
            animal.held,
        )
    thing = thing_asked(question)
    if (
        thing is None
        or thing.place
        or _MINE.match(thing.words)
        or _ANY_EMPLOYER.match(thing.words.split()[-1])
    ):
        # A place is where a relative lives as often as the user ("em que cidade moro?");
        # "qual é a minha profissão?" asks an attribute, which no thing names, and "which
        # company?" any employer.
        return None
    head = thing.words.split()[-1]
    stem = re.compile(rf"\b{re.escape(head[: max(4, len(head) - 2)])}\w*")
    return (
        lambda text: len(stem.findall(fold(text)))
    ), lambda text: stem.search(fold(text)) is not None


def only_someone_elses(question: str, context: Sequence[Candidate]) -> bool:
    """Return whether what `question` asks of the user is named only as someone else's.

    Some recalled passage names it only in what it says of a relative, and no other
    passage of the user's (a message, a fact) names it at all. A manual page is no
    evidence either way. Never when the question asks of someone else itself ("em que
    hospital trabalha a minha irmã?", "what's Ana's dog called?").
    """
    if re.search(rf"\b(?:{PEOPLE})\b", fold(question)) or person_asked(question, frozenset()):
        return False
    asked = _mentions(question)
    if asked is None:
        return False
    mentions, may_hold = asked
    theirs = False
    for cand in context:
        if cand["source"] == "knowledge_base":
            continue
        text = cand["content"]
        total = mentions(text)
        if not total:
            continue
        part = _theirs(text)
        # What comes before the relative is named is the user's own ("Bambam, my macaw, ...
        # my mother had a dog").
        start = text.find(part.split(",")[0]) if part else -1
        own = text[:start] if start >= 0 else text
        if mentions(part) < total or may_hold(own):
            return False  # the user's own words name one, or may
        theirs = True
    return theirs
