"""Whether the thing a user asks of themselves is one only someone else was said to have (pure).

"Em que banco trabalho?" after "a minha irmã é que trabalha num banco, eu nunca gostei de
números", or "what do I call my dog?" after "my mother had a dog when we were small": the
bank and the dog are the sister's and the mother's. The user never said they have one, so
their own employer or their macaw does not answer, and neither does the sister's message.
Read in the words of either language (accent-folded): the thing asked ("which hospital",
"em que hotel") or the animal asked is named in the part of a recalled passage about a
relative (`graph.relative_detail.about_them`, up to a later clause the user speaks of
themselves in) and nowhere else in what was recalled. Asked where they work, the user who
said "I work at St Mary's" while a sister works at "the Royal Infirmary hospital" did say:
their workplace, named by no word of another kind of place, may be the hospital asked.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

from graph.animal_kinds import animal_asked
from graph.holding_first import own_employer
from graph.relative_detail import about_them, person_asked, thing_asked
from retrievers.types import Candidate
from text.kin import PEOPLE
from text.words import fold

_MINE = re.compile(r"(?:my|our|meu|minha|meus|minhas|nosso|nossa|nossos|nossas)\b")
# A question asking where the user works ("which hotel do I work at?", "em que escola dou
# aulas?"), folded.
_ASKS_WORK = re.compile(
    r"\b(?:work|works|working|teach|teaching|employs?|employed|job|trabalh\w*|dou aulas"
    r"|ensino|emprega\w*)\b"
)
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


# The user speaking of themselves in a later clause of what is said of a relative ("a
# cataplana do meu pai, não há nada que eu goste mais, nem o que servimos no restaurante").
# Not "we": "my dad had a dog, we called him Bruno" is still the dad's dog.
_USER = re.compile(r"\b(?:i|i'm|im|i've|i'd|i'll|me|eu|mim|comigo)\b")
_CLAUSE_END = re.compile(r"[,;]|\s-\s|[\u2014\u2013]")


def _theirs(text: str) -> str:
    """Return what `text` says of a relative, from the word naming them on.

    "Moli our pig got into my neighbour's cassava": the pig comes before the neighbour,
    and is the user's. Up to a later clause the user speaks of themselves in.
    """
    part = about_them(text, PEOPLE)
    named = _RELATIVE.search(fold(part))
    if named is None:
        return ""
    part = part[named.start() :]
    ends = [m.start() for m in _CLAUSE_END.finditer(part)] + [len(part)]
    for start, end in itertools.pairwise([ends[0], *ends[1:]]):
        clause = fold(part[start:end])
        if _USER.search(clause) and not re.search(rf"\b(?:{PEOPLE})\b", clause):
            return part[:start]
    return part


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
    hospital trabalha a minha irmã?", "what's Ana's dog called?"), nor when it asks where
    the user works and they said so by a name that may be the place asked.
    """
    if re.search(rf"\b(?:{PEOPLE})\b", fold(question)) or person_asked(question, frozenset()):
        return False
    asked = _mentions(question)
    if asked is None:
        return False
    mentions, may_hold = asked
    theirs = denied = False
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
        denied = denied or _NOT_MINE.search(fold(text)) is not None
    if theirs and not denied and _ASKS_WORK.search(fold(question)):
        # "Which hospital do I work at?" after "I work at St Mary's" and "my sister's a
        # midwife at the Royal Infirmary hospital": St Mary's may be one.
        return not any(_works_at_unnamed_kind(c, may_hold) for c in context)
    return theirs


# The user saying the relative's thing is not theirs: "a minha irmã é que trabalha num
# banco", "it's my brother who's at the bank", "not me", "I'd never", "eu nunca" (folded).
_NOT_MINE = re.compile(
    rf"(?:{PEOPLE})\b[^.!?]{{0,40}}\be que\b"
    rf"|\b(?:it'?s|it is|it was)\s+(?:my|our)\s+(?:\w+\s+)?(?:{PEOPLE})\b"
    r"|\b(?:not me|nao eu|nao sou eu)\b"
    r"|\b(?:i'?d|i|eu)\s+(?:could\s+|would\s+|will\s+)?(?:never|nunca)\b"
)
# Words that say what kind of place an employer is ("Transportes Sado", "Northway Freight",
# "Farmácia Avenida"), folded: a name holding one of them is that kind of place, and not
# another thing asked ("em que farmácia trabalho?" is not answered by a transport firm).
_KIND = re.compile(
    r"\b(?:hospital|clinic|surgery|practice|school|college|academy|universit|institut|pharmac"
    r"|chemist|bank|hotel|resort|lodge|inn|restaurant|cafe|bistro|bar|pub|diner|kitchen"
    r"|baker|shop|store|market|supermarket|mart|salon|garage|motors|workshop|factory|mill"
    r"|plant|farm|ranch|studio|agency|office|firm|company|group|partners|associates"
    r"|solicitors|council|freight|transport|logistic|haulage|shipping|airline|airways"
    r"|express|construction|builders|engineering|foods|coffee|roaster|brewer|expedition"
    r"|tours|travel|media|radio|fm|tv|news|press|telecom|energy|insurance|care|centre|center"
    r"|library|museum|church|police|mine|mining|port|clinica|escola|colegio|faculdade"
    r"|universidade|instituto|farmacia|banco|pousada|restaurante|tasca|taberna|marisqueira"
    r"|churrascaria|pizzaria|padaria|pastelaria|loja|mercado|supermercado|salao|oficina"
    r"|fabrica|quinta|fazenda|sitio|estudio|agencia|escritorio|empresa|construtora"
    r"|transportes|logistica|entregas|expresso|seguros|camara|prefeitura|igreja|posto|centro"
    r"|biblioteca|museu|fumeiro|minerais|cooperativa|associacao|servicos)\w*"
)


def _works_at_unnamed_kind(cand: Candidate, may_hold: Callable[[str], bool]) -> bool:
    """Return whether `cand` says where the user works by a name that may be the thing asked.

    The user's own first-person statement ("I work at St Mary's", `graph.holding_first`)
    or their stored workplace, named by no word of a kind of place, or by the one asked
    ("Hospital de Santo António" for "em que hospital?"): St Mary's may be the hospital.
    """
    if cand["source"] == "facts" and str(cand["metadata"].get("attribute") or "").startswith(
        "workplace"
    ):
        name: str | None = str(cand["metadata"].get("value") or cand["content"])
    elif cand["source"] == "conversation":
        name = own_employer(cand["content"])
    else:
        return False
    return name is not None and (may_hold(name) or not _KIND.search(fold(name)))
