"""The animals people keep, in English and Portuguese: one list for every reader (pure data).

The extractor reads a pet with these words ("my puppy Keza", "adotámos uma gata":
`memory.fact_words.PET`) and a question reads the animal it asks with the same words ("what's
my cat called?", "os meus cães": `graph.animal_kinds`). Two lists drifted apart: a rooster or
a gecko was stored as a pet that no question could ask for, a mule or a gerbil asked for that
the extractor never stored.

`KINDS` groups the words by the kind a question asks ("parrot" for a budgie asked as a bird),
each kind by the word a fact records in English ("cadela" is recorded as a dog; a word that
names a narrower kind, "african grey" or "hound", is recorded as said). Words are
accent-folded and singular (`plural` reads them in the plural too).
"""

from __future__ import annotations

KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "dog": {
        "dog": ("dog", "puppy", "pup", "doggo", "pooch", "cao", "cachorro", "cachorra",
                "cadela", "cachorrinho", "cachorrinha", "cadelinha", "filhote"),
        "hound": ("hound",),
    },
    "cat": {"cat": ("cat", "kitten", "kitty", "gato", "gata", "gatinho", "gatinha")},
    "parrot": {
        "parrot": ("parrot", "papagaio"),
        "african grey": ("african grey",),
        "budgie": ("budgie", "parakeet", "periquito", "periquita"),
        "cockatiel": ("cockatiel", "calopsita"),
        "macaw": ("macaw", "arara"),
        "lovebird": ("lovebird",),
        "galah": ("galah",),
        "cockatoo": ("cockatoo", "cacatua"),
    },
    "canary": {"canary": ("canary", "canario"), "goldfinch": ("goldfinch", "pintassilgo")},
    "rabbit": {"rabbit": ("rabbit", "bunny", "coelho", "coelha", "coelhinho", "coelhinha")},
    "horse": {"horse": ("horse", "cavalo", "egua"), "pony": ("pony", "ponei")},
    "fish": {"fish": ("fish", "peixe", "peixinho"), "goldfish": ("goldfish",)},
    "tortoise": {
        "tortoise": ("tortoise", "tartaruga", "jabuti", "cagado"),
        "turtle": ("turtle",),
        "terrapin": ("terrapin",),
    },
    "goat": {"goat": ("goat", "cabra", "bode", "cabrito", "cabrita")},
    "sheep": {"sheep": ("sheep", "lamb", "ovelha", "carneiro", "cordeiro")},
    "hen": {
        "chicken": ("chicken", "hen", "galinha"),
        "rooster": ("rooster", "galo"),
        "cockerel": ("cockerel",),
        "duck": ("duck", "pato"),
        "guinea fowl": ("guinea fowl", "galinha-d'angola"),
    },
    "ferret": {"ferret": ("ferret", "furao")},
    "hamster": {"hamster": ("hamster",), "gerbil": ("gerbil",)},
    "guinea pig": {"guinea pig": ("guinea pig", "porquinho-da-india", "cobaia")},
    "pig": {"pig": ("pig", "piglet", "hog", "porco", "porca", "leitao", "porquinho")},
    "donkey": {
        "donkey": ("donkey", "burro", "burra", "burrico", "burrica", "jumento", "asno"),
        "mule": ("mule", "mula"),
    },
    "cow": {
        "cow": ("cow", "vaca"),
        "calf": ("calf", "calves", "vitelo", "vitela", "bezerro", "bezerra"),
    },
    "snake": {"snake": ("snake",)},  # not "cobra": "quanto cobra?" (charges)
    "lizard": {
        "lizard": ("lizard", "lagarto"),
        "bearded dragon": ("bearded dragon",),
        "gecko": ("gecko", "osga"),
        "iguana": ("iguana",),
    },
    "hedgehog": {"hedgehog": ("hedgehog", "ourico")},
    "rat": {"rat": ("rat",)},  # not "mouse": most are computers'

}  # fmt: skip

# The word a fact records for each word said ("cadela" -> "dog"), English whatever was said.
RECORDED: dict[str, str] = {
    word: recorded
    for words in KINDS.values()
    for recorded, said in words.items()
    for word in said
    if word != recorded
}
# Every word of an animal, the longest first (a pattern tries "guinea pig" before "pig").
WORDS: tuple[str, ...] = tuple(
    sorted(
        {word for words in KINDS.values() for said in words.values() for word in said},
        key=lambda word: (-len(word), word),
    )
)


def plural(word: str) -> str:
    """Return a pattern of `word` in the singular or the plural, English or Portuguese."""
    if word.endswith("ao"):  # cao/caes, leitao/leitoes, furao/furoes
        return word[:-2] + "(?:ao|aes|oes)"
    if word.endswith("y") and word[-2:-1] not in "aeiou":  # pony/ponies, puppy/puppies
        return word[:-1] + "(?:y|ies)"
    if word.endswith(("s", "x", "sh", "ch", "r", "z", "l")):  # hamster/hamsters, canal
        return word + "(?:s|es)?"
    return word + "s?"
