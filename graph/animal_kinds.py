"""Kinds of animal and their breeds, in the words of either language (pure, accent-folded).

"What's my cat called?" is not answered by a passage naming another kind of animal and not
a cat (`graph.asked_detail`). People name their dog by its breed more often than by the word
"dog" ("Rex, my German shepherd", "o Sansão, pastor alemão", "my Pharaoh hound"): a breed
names its kind, so such a passage does not answer for a cat. A breed asked is a kind too:
"what's my corgi called?" is not answered by "The user has a shiba (dog) called Inu".
Breeds whose name is also an everyday word ("boxer", "pointer", "lab", "persian") are left
out: they would read a hobby or a nationality as a dog.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from memory.animal_words import KINDS, plural
from text.words import fold

# Words found inside another kind's: "guinea pig" is no pig, "porquinho-da-índia" no porquinho.
_INSIDE_ANOTHER = {"pig": r"(?<!guinea )pigs?", "porquinho": r"porquinhos?(?![\s-]da[\s-]india)"}
# The words of a kind itself, the extractor's (`memory.animal_words`); its breeds (below)
# name it too.
_KINDS = {
    kind: "|".join(
        _INSIDE_ANOTHER.get(word) or plural(word).replace(" ", r"\s+")
        for said in words.values()
        for word in said
    )
    for kind, words in KINDS.items()
}
# Animals kept as pets that no kind above is asked by: a passage naming one is about another
# animal than the kind asked ("my hermit crab boo" for "what's my puppy called?"). No word
# that is also a food or a thing ("crab", "duck", "mouse", "lagarto").
_OTHER_ANIMALS = (
    r"hermit crabs?|chameleons?|axolotls?|tarantulas?|frogs?|toads?|chinchillas?|alpacas?"
    r"|llamas?|lagartixas?|camaleao|camaleoes|sapos?|chinchilas?"
)
_BREEDS = {
    "dog": {
        "labrador": r"labradors?|labradoodles?",
        "retriever": r"retrievers?",
        "spaniel": r"spaniels?|cocker",
        "terrier": r"terriers?|jack russells?|yorkies?|yorkshires?",
        "poodle": r"poodles?|caniches?",
        "collie": r"collies?",
        "shepherd": r"(?:german|australian) shepherds?|pastor(?:es)? (?:alemao|alemaes|belga)",
        "dachshund": r"dachshunds?|sausage dogs?",
        "beagle": r"beagles?",
        "husky": r"huskies|husky|malamutes?",
        "corgi": r"corgis?",
        "shiba": r"shibas?",
        "chihuahua": r"chihuahuas?",
        "pug": r"pugs?",
        "bulldog": r"bulldogs?|buldogues?",
        "greyhound": r"greyhounds?|whippets?|galg[oa]s?|lurchers?",
        "rottweiler": r"rottweilers?",
        "doberman": r"dobermanns?|dobermans?",
        "schnauzer": r"schnauzers?",
        "dalmatian": r"dalmatians?|dalmatas?",
        "pinscher": r"pinschers?",
        "shih tzu": r"shih tzus?",
        "pit bull": r"pit ?bulls?|pitbulls?",
        "mongrel": r"mongrels?|mutts?|potcakes?|vira-latas?|rafeir[oa]s?",
    },
    "cat": {
        "siamese": r"siamese|siames|siamesa",
        "maine coon": r"maine coons?",
        "sphynx": r"sphynx",
        "ragdoll": r"ragdolls?",
    },
}


def _words(pattern: str) -> Callable[[str], bool]:
    found = re.compile(rf"\b(?:{pattern})\b")
    return lambda text: found.search(fold(text)) is not None


def _of(kind: str) -> str:
    """Return the words that name `kind`: its own and its breeds'."""
    return "|".join([_KINDS[kind], *_BREEDS.get(kind, {}).values()])


@dataclass(frozen=True)
class AnimalAsked:
    """The kind (or breed) of animal a question names, and how a passage may answer it.

    Attributes:
        name: The kind or breed ("cat", "corgi").
        kind: The kind ("dog" for "corgi").
        asked: Whether a text names it.
        held: Whether a passage may be about it: it names it, or names no other kind or
            breed (a name alone, "Skye says hi", may be the animal asked).
    """

    name: str
    kind: str
    asked: Callable[[str], bool]
    held: Callable[[str], bool]


def animal_asked(question: str) -> AnimalAsked | None:
    """Return the kind or breed of animal `question` names, the breed first; None if none."""
    for kind, breeds in _BREEDS.items():
        for breed, words in breeds.items():
            if _words(words)(question):
                others = [_of(k) for k in _KINDS if k != kind]
                others += [w for b, w in breeds.items() if b != breed]
                return _asked(breed, kind, words, others)
    for kind in _KINDS:
        if _words(_of(kind))(question):
            return _asked(kind, kind, _of(kind), [_of(k) for k in _KINDS if k != kind])
    return None


def _asked(name: str, kind: str, words: str, others: list[str]) -> AnimalAsked:
    asked = _words(words)
    other = _words("|".join([*others, _OTHER_ANIMALS]))
    return AnimalAsked(name, kind, asked, lambda text: asked(text) or not other(text))
