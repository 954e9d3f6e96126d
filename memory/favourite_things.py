"""Which favourite things are one thing, whatever word or language names them.

A favourite is kept under the noun the user said ("o meu prato preferido é feijoada" is
`favourite:prato`) and asked under the question's own ("qual é a minha comida preferida?",
"my favourite food?"): the same thing in other words must answer, and another thing must
not ("my favourite drink?" is not answered by "my favourite dish"). Accent-folded.
"""

from __future__ import annotations

import re

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
    """Return whether accent-folded text names the favourite thing `key` or one of its words.

    The word itself: "cor" is no evidence in "corrida".
    """
    alternatives = "|".join(sorted(map(re.escape, things(key)), key=len, reverse=True))
    return re.search(rf"\b(?:{alternatives})(?:e?s)?\b", folded) is not None
