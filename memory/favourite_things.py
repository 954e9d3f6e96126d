"""Which favourite things are one thing, whatever word or language names them.

A favourite is kept under the noun the user said ("o meu prato preferido é feijoada" is
`favourite:prato`) and asked under the question's own ("qual é a minha comida preferida?",
"my favourite food?"): the same thing in other words must answer, and another thing must
not ("my favourite drink?" is not answered by "my favourite dish"). Accent-folded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from text.words import fold

# Words naming one favourite thing, English and Portuguese (singular; plurals are read too).
_SAME = tuple(
    frozenset(group.split())
    for group in (
        "food dish meal comida prato refeicao",
        "drink beverage bebida",
        "colour color cor",
        "film movie filme",
        "book livro",
        "song music tune musica cancao",
        "band banda",
        "singer cantor cantora",
        "sport desporto esporte",
        "team equipa clube club",
        "dessert pudding sobremesa doce",
        "fruit fruta",
        "city cidade",
        "series show serie",
        "game jogo",
        "flower flor",
        "season estacao",
        "author writer autor autora escritor escritora",
    )
)


def _singular(word: str) -> str:
    """Return a folded word without a plural ending ("pratos" is "prato", "cores" "cor")."""
    if word.endswith("es") and word[:-2] in _WORDS:
        return word[:-2]
    return word[:-1] if word.endswith("s") and word[:-1] in _WORDS else word


_WORDS = frozenset().union(*_SAME)
_THINGS = "|".join(sorted(_WORDS))
# A favourite told with its thing: "prato preferido", "cor que eu mais gosto", "favourite dish".
_FAVOURITE_THING = re.compile(
    rf"\b(?P<a>(?:{_THINGS})(?:e?s)?)(?:\s+[a-z]+)?\s+(?:(?:favorit|preferid)[oa]s?"
    rf"|(?:de\s+)?que\s+(?:eu\s+)?mais\s+gosto)\b|\b(?:favou?rite|fave)\s+(?P<b>(?:{_THINGS})s?)\b"
)
# Words that say a favourite (accent-folded).
_FAVOURITE = re.compile(
    r"\b(favou?rite|fave|favorit[oa]s?|preferid[oa]s?|predilect[oa]s?|mais gosto|gosto mais"
    r"|love most|like best|best|melhor)\b"
)


def things(key: str) -> frozenset[str]:
    """Return the words naming the favourite thing `key` ("comida" is also "prato", "dish")."""
    words = {_singular(w) for w in key.split()}
    return frozenset({key, _singular(key)}).union(*(group for group in _SAME if group & words))


def same_thing(held: str, asked: str) -> bool:
    """Return whether favourite attribute `held` is the favourite `asked` ("favourite:<thing>")."""
    held_family, _, held_key = held.partition(":")
    family, _, key = asked.partition(":")
    if held_family != "favourite" or family != "favourite" or not held_key:
        return False
    return not key or bool(things(held_key) & things(key))


def names_thing(folded: str, key: str) -> bool:
    """Return whether accent-folded text names the favourite thing `key` as evidence of it.

    The word itself ("cor" is no evidence in "corrida"), or another word for the thing in
    words that say a favourite: "o meu prato preferido" for a "comida", never "a food note".
    """
    if _names(folded, {key, _singular(key)}):
        return True
    return _FAVOURITE.search(folded) is not None and _names(folded, things(key))


def _names(folded: str, words: set[str] | frozenset[str]) -> bool:
    """Return whether accent-folded text has one of `words`, whole, or its plural."""
    alternatives = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
    return re.search(rf"\b(?:{alternatives})(?:e?s)?\b", folded) is not None


def another_favourite(text: str, attributes: Sequence[str]) -> bool:
    """Return whether `text` tells a favourite of another thing than the favourite asked.

    "o meu prato preferido é feijoada" is no answer to "qual é a minha bebida preferida?",
    whatever else of the question it shares (its "preferido", a preference word). Only
    things known here are told apart.
    """
    asked = [key for a in attributes if (p := a.partition(":"))[0] == "favourite" and (key := p[2])]
    if not asked or not all(things(key) & _WORDS for key in asked):
        return False  # a thing not known here ("my favourite tea?") may be told as a drink
    told = {_singular(m.group("a") or m.group("b")) for m in _FAVOURITE_THING.finditer(fold(text))}
    wanted = frozenset().union(*map(things, asked))
    return bool(told) and not told & wanted
