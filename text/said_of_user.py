"""What a message says of the user themselves: not of a relative, not in a daydream (pure).

A message is evidence about the user only through its clauses about them. "Minha irmã tem
um gato chamado Cuscuz" names a cat, the sister's; "if I ever get a dog I'll name it Milo"
names a dog that does not exist; "o Sultão guarda as ovelhas do meu sogro" names sheep, the
father-in-law's. Quoted for "what's my cat called?", "what's my dog called?" or "quantas
ovelhas tenho?" they answer a question the user never answered. The answer gate reads the
clauses kept here (`said_of_user`); it still quotes the whole message.
"""

from __future__ import annotations

import re

from text import wishes
from text.acts import is_question, statements
from text.kin import PEOPLE
from text.words import fold, sentences

# Where a clause ends inside a sentence; "but"/"mas" also ends a daydream ("se um dia eu
# tiver um gato…, mas por enquanto só tenho o Tufão").
_CLAUSE = re.compile(
    r",\s+|;\s*|:\s+|\s+[-\u2013\u2014]+\s+|[\u2013\u2014]|\s*[()]\s*"
    # "my brother is a pilot and I'm a nurse": the user's own clause after a relative's
    r"|\s+(?i:and|e)\s+(?=(?i:i|i'm|i've|eu|we|we're)\b)"
)
# A sentence that goes on about the relative the last one was about ("My brother lives in
# Faro. He teaches surfing."): theirs too, until the user speaks of themselves.
_GOES_ON = re.compile(r"^\W*(?:and\s+|e\s+)?(?:he|she|they|ele|ela|eles|elas)\b")
_CONTRAST = re.compile(rf"\s+(?:{wishes.ENDS})\s+")
_OPENING = rf"^{wishes.OPENING}"
_MY = r"(?:my|our|meu|minha|meus|minhas|nosso|nossa|nossos|nossas)"
# A clause whose subject is one of them ("my sister has…", "o meu irmão é bombeiro"), not
# the user with them ("my husband and I moved…", "a minha mulher e eu"), nor their thing
# ("my brother's cat").
_THEIRS = re.compile(
    rf"{_OPENING}(?:(?:o|a|os|as)\s+)?{_MY}\s+(?:\w+\s+)?(?:{PEOPLE})\b"
    r"(?!['\u2019]|\s+(?:and i|and me|e eu)\b)"
)
_ASKS_OF = re.compile(rf"\b{_MY}\s+(?:\w+\s+)?(?:{PEOPLE})\b")
# The user's own things in a clause about someone else ("my daughter named our bearded
# dragon Mango", "my sister says I should log my blood sugar").
_MINE = re.compile(rf"\b{_MY}\b")
# One of their things named anywhere, cut out of the clause ("my mum's jollof rice", "as
# ovelhas do meu sogro"): the rest of it may still be the user's ("Saturday is choir").
_OWNED_BY_THEM = re.compile(
    rf"\b(?:my|our)\s+(?:\w+\s+)?(?:{PEOPLE})'s?\s+[\w-]+"
    rf"|\b[\w-]+\s+(?:d[oa]s?)\s+{_MY}\s+(?:\w+\s+)?(?:{PEOPLE})\b"
)
# The user speaking of themselves again after a clause about someone else ("o meu marido,
# o Rui, diz que eu devia anotar quando tenho crises de gota").
_SPEAKS = re.compile(
    r"\b(?:i|i'm|im|i've|i'd|i'll|me|my|mine|we|we're|our|us|eu|meu|minha|meus|minhas|mim"
    r"|comigo|nosso|nossa|sou|estou|tenho|moro|vivo|trabalho|toco|jogo|gosto|adoro)\b"
)


def said_of_user(text: str) -> str:
    """Return the clauses of `text` that state something of the user, joined.

    Questions are left out (`text.acts.statements`), then, sentence by sentence: a
    hypothetical and what follows it up to a "but"; a sentence (or its part after a "but")
    whose subject is a relative or someone around the user, until the user speaks of
    themselves again ("Fraser (my fiancé) is away…" is about Fraser, not the fiancé's);
    any phrase naming one of those people's things.
    """
    return ", ".join(_clauses(text)[0])


def about_others(question: str) -> bool:
    """Return whether `question` asks about someone around the user ("my twin's name?")."""
    return _ASKS_OF.search(fold(question)) is not None


def mentions_others(text: str) -> bool:
    """Return whether some stated clause of `text` is not the user's own (see `said_of_user`)."""
    return _clauses(text)[1]


def _clauses(text: str) -> tuple[list[str], bool]:
    """Return the clauses of `text` said of the user, and whether any stated one was not."""
    kept: list[str] = []
    dropped = False
    state = "mine"
    for sentence in sentences(text):
        theirs_before = state == "theirs"
        state = "theirs" if theirs_before and _GOES_ON.match(fold(sentence)) else "mine"
        asks = is_question(sentence)
        for part in _CONTRAST.split(sentence):
            if state == "daydream":
                state = "mine"
            for at, clause in enumerate(_CLAUSE.split(part)):
                stated = (statements(clause) if asks else clause).strip()
                folded = fold(stated)
                if not folded:
                    continue
                if wishes.opens_wish(folded):
                    state = "daydream"
                elif at == 0 and (theirs := _THEIRS.match(folded)):
                    state = "mine" if _MINE.search(folded, theirs.end()) else "theirs"
                elif state == "theirs" and _SPEAKS.search(folded):
                    state = "mine"
                if state != "mine":
                    dropped = True
                    continue
                own = _without_their_things(stated, folded)
                dropped = dropped or own != stated
                kept.append(own)
    return kept, dropped


def _without_their_things(clause: str, folded: str) -> str:
    """Return `clause` without the phrases naming someone else's things (`_OWNED_BY_THEM`).

    Matched in the folded clause ("da minha irmã" reads "da minha irma"), cut from the
    original: folding keeps one character for each.
    """
    kept, at = [], 0
    for match in _OWNED_BY_THEM.finditer(folded):
        kept.append(clause[at : match.start()])
        at = match.end()
    kept.append(clause[at:])
    return " ".join(part.strip() for part in kept if part.strip())
