"""The finer detail a question about the user asks, and whether a passage holds it (pure).

Knowing an attribute is not knowing every detail of it: the first name told does not give
the surname, a sister told does not give a brother, the sport played does not give the team
supported. A question that asks such a detail is answered only from a passage that holds it
(the responder says it does not know otherwise), however surely the passage states the
attribute. Each detail is read from the question's words (accent-folded, English and
Portuguese) and checked in the passage by its form (a name of several words) or by the
words of the same kind (any word for a sibling answers "brothers and sisters?").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from memory.fact_questions import asked_attributes
from memory.fact_questions import states as states_words
from retrievers.types import Candidate
from text.words import fold

# A capitalised word (not "I", "I'm"), and the particles that join the parts of a name
# ("Jess van der Berg", "Marcos dos Santos").
_CAPITAL = r"(?!I\b|I['’])[A-ZÀ-ÖØ-Þ][\w'’-]+"
_PARTICLE = r"(?:van|von|der|den|de|da|das|do|dos|di|du|del|la|le|bin|e)"
_NAME = re.compile(rf"{_CAPITAL}(?:\s+(?:{_PARTICLE}\s+)*{_CAPITAL})+")
_PARTICLES = re.compile(rf"^{_PARTICLE}$")


def _name_words(text: str) -> int:
    """Return the most words (particles aside) of a run of capitalised words in `text`."""
    runs = (m.group(0).split() for m in _NAME.finditer(text))
    return max((sum(not _PARTICLES.match(w) for w in run) for run in runs), default=1)


def _words(pattern: str) -> Callable[[str], bool]:
    found = re.compile(rf"\b({pattern})\b")
    return lambda text: found.search(fold(text)) is not None


# Kinds of relative, in the words of either language; a word of the kind asked answers it
# ("irmãos" is brothers or siblings: either kind answers it; a twin is either).
_SIBLINGS = r"siblings?|brothers?|sisters?|twins?|irmas?|irmaos?|gemeos?|gemeas?"
_ANY_SIBLING = r"siblings?|brothers? (?:and|or) sisters?|sisters? (?:and|or) brothers?|irmaos"
_BROTHERS = r"brothers?|irmao|irmaos|siblings?|twins?|gemeos?"
_SISTERS = r"sisters?|irmas?|siblings?|twins?|gemeas?"
_CHILDREN = r"sons?|daughters?|kids?|child|children|filh[oa]s?"
_PARENTS = r"mum|mom|mother|dad|father|parents|mae|pai|pais"
_PARTNER = (
    r"husband|wife|partner|boyfriend|girlfriend|fiance\w*|spouse|missus|hubby|other half"
    r"|marido|esposa|mulher|namorad[oa]|noiv[oa]|companheir[oa]"
)
_RELATIVES = (
    r"cousins?|uncles?|aunts?|nieces?|nephews?|\w+-in-law|grand\w+|prim[oa]s?|ti[oa]s?"
    r"|sobrinh[oa]s?|cunhad[oa]s?|sogr[oa]s?|avos?|net[oa]s?"
)
# What a question may ask of a relative besides their name, by the words that state it.
_OF_RELATIVES = ("job", "workplace", "age", "home", "pet", "hobby", "allergy", "health")
_TEAM = r"teams?|clubs?|equipas?|clubes?|(?:que|qual|meu|o meu) time"
_SUPPORTS = (
    r"teams?|clubs?|fan|fans|supporter|supports?|supporting|season ticket|equipas?|clubes?"
    r"|time|torc\w*|adept\w*|socio"
)


@dataclass(frozen=True)
class Detail:
    """A finer detail of an attribute: how a question asks it, how a passage holds it."""

    name: str
    asked: Callable[[str], bool]
    held: Callable[[str], bool]


DETAILS: tuple[Detail, ...] = (
    Detail(
        "middle name",
        _words(r"middle names?|nome do meio|segundo nome"),
        lambda text: _name_words(text) >= 3,
    ),
    Detail(
        "surname",
        _words(r"surname|last name|family name|full name|sobrenome|nome completo"),
        lambda text: _name_words(text) >= 2,
    ),
    Detail("siblings", _words(_ANY_SIBLING), _words(_SIBLINGS)),
    Detail("brother", _words(r"brothers?|irmao"), _words(_BROTHERS)),
    Detail("sister", _words(r"sisters?|irmas?"), _words(_SISTERS)),
    Detail("children", _words(_CHILDREN), _words(_CHILDREN)),
    Detail("parents", _words(_PARENTS), _words(_PARENTS)),
    Detail("partner", _words(_PARTNER), _words(_PARTNER)),
    Detail("relatives", _words(_RELATIVES), _words(_RELATIVES)),
    Detail("team", _words(_TEAM), _words(_SUPPORTS)),
)
_KIN = frozenset({"siblings", "brother", "sister", "children", "parents", "partner", "relatives"})


def asked_detail(question: str) -> Detail | None:
    """Return the finer detail `question` asks of an attribute, or None (most asks).

    A relative named ("what does my husband do?", "a profissão da minha esposa") makes what
    is asked theirs: a passage must name that kind of relative, and state what is asked of
    them in its words ("my husband Sipho wants an account" says nothing of his job; the
    user's own job is not his).
    """
    detail = next((d for d in DETAILS if d.asked(question)), None)
    if detail is None or detail.name not in _KIN:
        return detail
    asked = {a.partition(":")[0] for a in asked_attributes(question)}
    of_them = [a for a in _OF_RELATIVES if a in asked or states_words(question, a)]
    if not of_them:
        # "What's my boyfriend called?" asks the partner attribute itself, however they
        # were named ("Rory, my fella"); a sibling asked is a detail of the family told.
        return None if detail.name == "partner" else detail
    return Detail(
        f"{detail.name}'s {'/'.join(of_them)}",
        detail.asked,
        lambda text: detail.held(text) and any(states_words(text, a) for a in of_them),
    )


def holds(detail: Detail | None, cand: Candidate) -> bool:
    """Return whether `cand` holds the detail asked (always, when none is asked)."""
    if detail is None:
        return True
    # A stored fact says it in its value ("family:sister" names a sister).
    text = f"{cand['content']} {cand['metadata'].get('attribute') or ''}"
    return detail.held(text)
