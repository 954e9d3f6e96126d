"""Pets and partners named in apposition: "Bolt, my whippet,", "o meu marido, o Tiago,".

The clause rules (`memory/fact_rules.py`) read a clause that opens with the user ("my dog is
called Rex"). People name their animals and partners as often beside the relation, mid
sentence, between commas, dashes or brackets ("Rhys, my husband, wants…", "Trent (my
husband)", "A Sofia, a minha namorada, quer…", "My African grey, Bingo, just said…"), which
the clause split cuts in two. Here the relation word sits between the two delimiters and the
name is the capitalised word(s) on the other side, so "Bob, my dog ate it" (no closing
delimiter) and "my sister's greyhound, Rocket" (someone else's animal: no possessive may
stand between "my" and the animal) give nothing. Hypotheticals ("if…", "se…") give nothing
either; questions do, since the apposition states the relation whatever the sentence asks
("Can Rhys, my husband, have his own login?").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from memory.fact_words import BREED, BREEDS, CANONICAL, PARTNER, PET, RELATIVE
from text import kin, wishes
from text.words import fold

# Words a pet may be described by between "my/our" and the animal ("our indie dog"); never a
# possessive ("my sister's dog") or a relative.
_PET_ADJECTIVE = (
    r"(?:(?:new|little|baby|old|young|rescue|indie|lovely|big|fat|lazy|crazy|mad|elderly|senior"
    r"|retired|ancient|tiny|giant|fluffy|grumpy|beloved|other|second|wee)\s+){0,2}"
)
_DELIMITER = r"\s*(?:,|\(|\s[-\u2013\u2014]|[\u2013\u2014])\s*"
_CLOSER = r"(?=\s*(?:[,)\u2013\u2014.!?;:]|\s-\s|$))"
_MY = r"\b(?:my|our)\s+"
_MEU = r"(?:\b(?:o|a)\s+)?\b(?:meu|minha|nosso|nossa)\s+"
_KIND = (
    r"(?:" + _PET_ADJECTIVE + r"(?:" + BREED + r"|" + PET + r")"
    r"|" + PARTNER.replace("?P<kin>", "?P<partner>") + r"|" + RELATIVE + r")"
)
# "…, my whippet," after the name; a bracket may drop the possessive ("Naomi (wife, …)").
_AFTER_NAME = re.compile(
    r"(?:"
    + _DELIMITER
    + r"(?:that'?s\s+|e\s+)?(?:"
    + _MY
    + r"|"
    + _MEU
    + r"|the\s+(?="
    + kin.PARTNER
    + r"))"
    r"|\s*\(\s*)" + _KIND + r"(?:\s+(?P<more>[a-z]+))?" + _CLOSER
)
# "my African grey, Bingo," / "o meu marido, o Tiago," / "the missus, Sharon": name after.
_BEFORE_NAME = re.compile(
    r"(?:"
    + _MY
    + r"|"
    + _MEU
    + r"|\bthe\s+(?=missus|wife|husband))"
    + _KIND
    + _DELIMITER
    + r"(?:(?:o|a)\s+)?"
)
# "we picked up a pup, Dusty", "got a new one, Gizmo", "adotamos outra periquita, a Jujuba".
_NEW_PET = re.compile(
    r"\b(?:got|adopted|rescued|picked\s+up|brought\s+home|adotamos|adotei|arranjamos|arranjei"
    r"|trouxemos|gave\s+(?:us|me)|deu-nos|deu-me|(?:nos|me)\s+deu|ofereceu-nos|ofereceu-me"
    r"|(?:nos|me)\s+ofereceu)\s+(?:a|an|another|outr[oa]|um|uma)\s+(?:(?:new|nov[oa])\s+)?"
    r"(?:"
    + _PET_ADJECTIVE
    + r"(?:"
    + BREED
    + r"|"
    + PET
    + r")|(?P<one>one))"
    # "a cadela da mesma raça, a Faísca", "a pup of our own, Dusty"
    + r"(?:\s+(?:of|from|da|de|do)\s+[a-z]+(?:\s+[a-z]+)?)?"
    + _DELIMITER
    # "deu-nos outro cabrito, chama-se Tchuco", "got another pup, named Rusty"
    + r"(?:(?:chama-se|se\s+chama|called|named)\s+)?(?:(?:o|a)\s+)?"
)
# "We adopted another aspin, his name is Bantay": adopted, then named, whatever the animal.
_ADOPTED_NAMED = re.compile(
    r"\b(?:adopted|rescued|adotamos|adotei|resgatamos|resgatei)\s+(?:a|an|another|outr[oa]|um|uma)"
    r"\s+(?:(?:new|nov[oa])\s+)?(?P<adopted>[a-z-]+)\s*,?\s+(?:(?:his|her)\s+name(?:'s|\s+is)"
    r"|(?:o\s+)?nome\s+del[ea]\s+e|chama-se|se\s+chama)\s+(?:(?:o|a)\s+)?"
)
# "we've got a wee rescue greyhound called Nessie", "we have a hamster, his name is Nibbles",
# "tenho outra gata, a Mimi", "temos uma vaca leiteira, a Estrela": an animal the
# user has, named after it (a Portuguese adjective may follow the animal).
_HAVE_PET = re.compile(
    r"\b(?:(?:i|we)(?:'ve|\s+have|\s+get)?\s+(?:got\s+)?|(?:i|we)\s+have\s+|(?:eu\s+)?tenho\s+"
    r"|(?:nos\s+)?temos\s+)(?:a|an|one|another|outr[oa]|um|uma)\s+(?:(?:new|nov[oa])\s+)?"
    + _PET_ADJECTIVE
    + r"(?:"
    + BREED
    + r"|"
    + PET
    + r")(?:(?<=[ao])\s+(?!(?:de|do|da|que|e)\b)(?P<more>[a-z]+))?(?:\s+(?:called|named)\s+|"
    + _DELIMITER
    + r"(?:(?:his|her)\s+name(?:'s|\s+is)\s+|(?:chama-se|se\s+chama|called|named)\s+)?)"
    + r"(?:(?:o|a)\s+)?"
)
# "Declan's my husband", "Bella is our beagle", "O Vasco é o meu noivo": the name first.
_NAME_IS = re.compile(
    r"(?:'s|\s+is|\s+e)\s+(?:"
    + _MY
    + r"|"
    + _MEU
    + r")"
    + _KIND
    + r"(?!['\u2019]|\s+(?:de|do|da|of)\b)"  # not "my husband's brother", "irmã do meio"
)
_ANIMAL = re.compile(r"\b(?:" + BREED + r"|" + PET + r")\b")
# "Vegemite the kelpie": a name and its animal.
_NAME_THE_ANIMAL = re.compile(r"\s+the\s+(?:" + BREED + r"|" + PET + r")\b")
# "Salt & Ember, where I work,", "O Casa 1920 Boutique Hotel, onde trabalho": a workplace.
_WHERE_I_WORK = re.compile(
    r",\s*(?:where\s+i\s+(?:work|teach)|onde\s+(?:eu\s+)?(?:trabalho|dou\s+aulas?|atendo))\b"
)
_PLACE_BEFORE = re.compile(
    r"((?:[A-Z\u00c0-\u00dd0-9][\w'\u2019&.-]*\s+(?:(?:de|da|do|dos|das|of|the|and|&|e)\s+)?){0,5}"
    r"[A-Z\u00c0-\u00dd0-9][\w'\u2019&.-]*)\s*$"
)
_CAPITALISED = r"[A-Z\u00c0-\u00dd][\w'\u2019-]*(?:\s+[A-Z\u00c0-\u00dd][\w'\u2019-]*)?"
_NAME_BEFORE = re.compile(r"(" + _CAPITALISED + r")\s*$")
_NAME_AFTER = re.compile(_CAPITALISED)
_BUT = re.compile(rf"\b(?:{wishes.ENDS})\s")
_SENTENCE_START = re.compile(r"[.!?\n]\s*|^\s*")
_NOT_NAMES = frozenset(
    "i my our the a an and but so oh ah hi hey hello yes no ok okay thanks sorry also anyway well "
    "monday tuesday wednesday thursday friday saturday sunday today tonight can could does did "
    "will would should is are was were has have tell let ask please when while after before "
    "o a e eu meu minha nosso nossa ola oi obrigado obrigada sim nao entao pois bom boa hoje "
    "agora quando depois na no so this that it he she there here who what isto isso ele ela "
    "quem".split()
)


def _kind(match: re.Match[str], message: str) -> tuple[str, str, str]:
    """Return (attribute, template, kind as written) for the relation word a match found."""
    groups = {k: v for k, v in match.groupdict().items() if v}
    start, end = match.span(next(iter(groups)))
    if "more" in groups and ("breed" in groups or "species" in groups):
        end = match.end("more")  # "o meu cavalo lusitano": the breed said after the animal
    written = message[start:end]
    if "breed" in groups:
        breed = " ".join(groups["breed"].split())
        return "pet", f"The user has a {breed} ({BREEDS[breed]}) called {{value}}.", written
    if "species" in groups:
        species = CANONICAL.get(groups["species"], groups["species"])
        return "pet", f"The user has a {species} called {{value}}.", written
    if "one" in groups or "adopted" in groups:
        return "pet", "The user has a pet called {value}.", "animal"
    if "partner" in groups:
        kin = CANONICAL.get(groups["partner"], groups["partner"])
        return "partner", f"The user's {kin} is called {{value}}.", written
    kin = CANONICAL.get(groups["kin"], groups["kin"])
    return f"family:{kin}", f"The user's {kin} is called {{value}}.", written


def _hypothetical(folded: str, at: int) -> bool:
    """Return whether the sentence holding position `at` is a wish or a condition up to it.

    It opens as a condition, or wishes before `at` (`text.wishes`: "my daughter wants a
    puppy, Biscuit, if…"). A "but" ends the hypothetical: "se um dia eu tiver um gato…, mas
    por enquanto só tenho o Tufão, meu pit bull" names the user's dog.
    """
    start = max((m.end() for m in _SENTENCE_START.finditer(folded, 0, at)), default=0)
    if any(_BUT.finditer(folded, start, at)):
        return False
    return wishes.wishful(folded[start:at])


def _name(words: str) -> str:
    """Return the name `words` ends with ("Sofia" of "A Sofia"), without function words."""
    kept = words.strip(" '\u2019-").split()
    while kept and fold(kept[0]) in _NOT_NAMES:
        kept.pop(0)
    return " ".join(kept)


def named_relations(message: str) -> Iterator[tuple[str, str, str, str]]:
    """Yield (attribute, value, English template, written kind) for each apposition found.

    The template holds `{value}`; the written kind ("cadela", "namorada") is how the user
    named the relation, for a fact told in Portuguese.
    """
    folded = fold(message)
    for pattern, name_first in (
        (_AFTER_NAME, True),
        (_NAME_THE_ANIMAL, True),
        (_NAME_IS, True),
        (_BEFORE_NAME, False),
        (_NEW_PET, False),
        (_ADOPTED_NAMED, False),
        (_HAVE_PET, False),
    ):
        for m in pattern.finditer(folded):
            if name_first:
                found = _NAME_BEFORE.search(message, 0, m.start())
                value = _name(found.group(1)) if found else ""
            else:
                found = _NAME_AFTER.match(message, m.end())
                value = _name(found.group()) if found else ""
            if pattern is _NAME_IS and "\u00e9" not in message[m.start() : m.start() + 3]:
                if folded[m.start() : m.start() + 3].strip() == "e":
                    continue  # "o Rui e a minha irmã": "and", not "é"
            if m.groupdict().get("one") and not _ANIMAL.search(folded):
                continue  # "got a new one, Samsung": a pet only where the message names animals
            if value and not _hypothetical(folded, m.start()):
                attribute, template, kind = _kind(m, message)
                yield attribute, value, template, kind
    for m in _WHERE_I_WORK.finditer(folded):
        found = _PLACE_BEFORE.search(message, 0, m.start())
        value = _name(found.group(1)) if found else ""
        if value and not _hypothetical(folded, m.start()):
            yield "workplace", value, "The user works at {value}.", ""
