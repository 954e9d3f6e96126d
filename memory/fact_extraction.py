"""Offline extraction of long-term facts from a user's own chat message.

Only clear first-person statements in English and Portuguese (European and Brazilian) are picked
up: "I live in Porto", "chamo-me Ana", "my favourite colour is green". Questions, negations,
hypotheticals, past habits ("I used to live in Porto", "vivia no Porto") and statements about
other people ("my wife lives in Porto") give nothing. This is a cheap, deterministic pass that
needs no model; the configured LLM extracts everything else.

A message is split into sentences (on . ! ? ; and newlines) and clauses (on commas, "and", "but",
"e", "mas"). A sentence ending in "?" or opening with an interrogative or "if"/"se" is skipped
whole. A clause must open, after fillers such as "well," or "então", with the user as the subject
and the verb right after it (bar a few adverbs: "just", "also", "também"...), so "I don't live",
"não moro", "I used to live", "if I lived" and "my wife lives" never match. A value ends at
punctuation or a trailing word such as "now", "with", "since", "há", "com" or "e".

Matching runs on an accent-folded, lower-cased copy of the message with the same length, so each
value is sliced from the original message and keeps the user's casing and accents.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from memory.fact_appositions import named_relations
from memory.fact_checks import plausible
from memory.fact_context_rules import (
    AFTER_I,
    AFTER_NAME,
    ASIDE_RULES,
    BROKE_UP,
    I_OPENS,
    JOB_PLACE,
    LAST_RULES,
    NEW_JOB,
    NEW_JOB_PLACE,
    NEW_PARTNER,
    PROFILE,
    PROFILE_RULES,
    RELOCATED,
    SENT_TO,
)
from memory.fact_introductions import corrected, introductions
from memory.fact_rules import HERE_IN, RULES, Rule
from memory.fact_words import BREEDS, CANONICAL
from text import wishes
from text.language import detect
from text.names import looks_like_name
from text.words import fold


@dataclass(frozen=True, slots=True)
class ExtractedFact:
    """A fact the user stated about themselves.

    Attributes:
        attribute: Stable key: "name", "home", "workplace", "job", "age", "preference",
            "language" or "favourite:<thing>".
        value: The value as the user wrote it, e.g. "Lisbon".
        text: A normalised third-person statement in the language it was told in, e.g.
            "The user lives in Lisbon." or "O usuário mora em Lisboa.".
        single_valued: True when a new value replaces the old one (name, home, job...); False
            when several can hold at once (likes, languages).
    """

    attribute: str
    value: str
    text: str
    single_valued: bool


# An emoji ends a sentence as a full stop does ("…por cima do ombro 😅 Mudámo-nos para Benoni").
_SENTENCE_END = re.compile(r"[.!?;\n\u2600-\u27bf\U0001f300-\U0001faff]+")
# A profile's key keeps its value ("nome: Rui"; `PROFILE`), not "atualização:".
_KEYS = (
    "name nome city cidade job work trabalho trampo profissao husband wife marido esposa dog cat "
    "cao gato"
)
_KEYED = "".join(rf"(?<!\b{key})" for key in _KEYS.split())
# "e" is also a folded "é" (is): never split "o meu nome é Ana" or "cor favorita é verde".
_WORK = r"(?:(?<=work)|(?<=trabalho)|(?<=trampo)|(?<=emprego))"
# "work:" ends a clause only before a first-person one ("my work: I am…", not "my work: nurse");
# "o meu trabalho é de caixa" is one clause ("é" folds to "e").
_CLAUSE_END = re.compile(
    rf"[,\u2013\u2014]|{_KEYED}:|{_WORK}:(?=\s*(?:i|eu|sou|we)\b)|\s+-\s+"
    r"|\s+(?:and|but|mas|that|because|since|so|porque|pois"
    r"|que(?!\s+(?:eu\s+)?mais\s+gosto\b))\s+"
    r"|(?<!nome)(?<!favorit[ao])(?<!preferid[ao])(?<!aqui)(?<!gosto)(?<!comer)(?<!beber)"
    r"(?<!trabalho)(?<!trampo)(?<!emprego)\s+e\s+(?!(?:o|a)\s)"
    rf"|{_WORK}\s+e\s+(?!(?:o|a|de)\s)"
)
_FILLER = re.compile(
    r"(?:[\s,]+|[-*\u2022](?=\s)|(?:well|actually|by the way|btw|also|and|so|now|oh|ok|okay"
    r"|yes|yeah|anyway|"
    r"please|lol|haha|ah|right|quick one|fun fact|entao|bem|alias|agora|e|tambem|oi|oii|hi|"
    r"hello|hey|ola|sim|pois|olha|enfim|bom(?!\s+dia)|boas|na verdade|e ai|ja agora"
    r"|(?<=hi\s)there|(?<=hey\s)there|(?<=hello\s)there)\b)*"
)
_QUESTION = re.compile(  # interrogatives opening a sentence (hypotheticals: `text.wishes`)
    r"(?:what|where|who|when|why|which|how|do|does|did|can|could|would|should|will|is|are|am|"
    r"was|were|have|has|onde|qual|quais|quem|quando|como|por\s+que|"
    r"sera|voce\s+sabe|sabes|sabe|lembras|lembra)\b"
)
_STOP = re.compile(  # where a value ends: punctuation or a trailing word/clause
    r"\s*[,.!?;:()\"]|\s+(?:now|right\s+now|at|in|on|to|as|so|too|also|already|currently|"
    r"recently|today|yesterday|nowadays|these\s+days|lately|last|this|next|since|for|with|from|because|and|but|or|"
    r"over|than|more|instead|rather|after|before|when|while|during|until|which|who|that|where|"
    r"very|a\s+lot|if|unless|anyway|lol|haha|(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|few|several|some|"
    r"many|\d+)\s+(?:\S+\s+){0,3}ago|agora|ha|faz|desde|com|porque|e|mas|ou|tambem|hoje|ontem|"
    r"recentemente|atualmente|actualmente|neste\s+momento|de\s+momento|em|no|na|para|pra|como|ja|"
    r"(?:(?:o|a|no|na)\s+)?(?:mes|semana|ano)\s+passad[oa]|again|de\s+novo|outra\s+vez|"
    r"que|onde|quando|depois|antes|durante|mais|muito|se|todo|toda|mas|ao|aos|aas|este|esta"
    r"|num|numa|nos|nas|dum|duma"
    r"|(?:la|ali|aqui|there|here)(?=\s*(?:[^\w\s]|$)|\s+(?:em|in|na|no)\s))\b"
)
_REJECT = frozenset(  # first words that make a value a pronoun, a clause or an adverb
    "it that this these those them you your him her me my myself our us to with not never no "
    "nothing when how what where if at on about back later tomorrow please home meu minha meus "
    "minhas nosso nossa isso isto aquilo ti te voce vc ele ela eles elas nao nunca nada que "
    "quando como onde com casa se esta este estas estes essa esse aquela aquele".split()
)
# A change said on the way to something else: "since I started at…", "now that I'm…", "agora
# que sou…", "desde que me mudei…". What follows states the user's present.
_ASIDE = re.compile(
    r"(?:(?:ever\s+)?since|now\s+that|agora\s+que|desde\s+que|(?<=now\s)that|(?<=agora\s)que"
    r"|desde(?=\s+(?:a\s+)?(?:(?:nossa|minha)\s+)?mudanca\b))\s+"
)
# ...split off before the clause ("that", "since" and "que" end a clause).
_ASIDE_BEFORE = re.compile(r"\b(?:since|now\s+that|agora\s+que|desde\s+que)\s+$")
_PLACES = frozenset({"home", "workplace"})
_STRIP = " \t'\"\u201c\u201d\u2018\u2019-"
# What may stand between the user's name and their trade ("Sou o Celso, professor").
_APPOSITION = frozenset({",", "\u2013", "\u2014", "-", ":"})
# Attributes whose value is a person's or an animal's name (a workplace may open with "The").
_PERSONAL = re.compile(r"name|partner|pet|family")


def _spans(sep: re.Pattern[str], text: str, start: int, end: int) -> Iterator[tuple[int, int, str]]:
    """Yield `(start, end, separator)` for the pieces of `text[start:end]` between `sep`s."""
    for m in sep.finditer(text, start, end):
        yield start, m.start(), m.group()
        start = m.end()
    yield start, end, ""


def _skip_fillers(folded: str, start: int, end: int) -> int:
    """Return where `folded[start:end]` starts once leading spaces and fillers are skipped."""
    m = _FILLER.match(folded, start, end)
    return m.end() if m else start


def _apply(
    rule: Rule, message: str, folded: str, start: int, end: int, *, aside: bool = False
) -> ExtractedFact | None:
    """Return the fact `rule` finds at the start of clause `folded[start:end]`, if any.

    `aside`: the clause is said on the way to another ("since we moved to Leeds the bus…"),
    which goes on right after the value: a place is its capitalised words, a checked value
    (a job) the words the check accepts.
    """
    m = rule.pattern.match(folded, start, end)
    if not m:
        return None
    vs, ve = m.span("value")
    if stop := _STOP.search(folded, vs, ve):
        ve = stop.start()
    value = message[vs:ve].strip(_STRIP)
    if aside and rule.attribute in _PLACES and not rule.names:
        value = _leading_name(value) or value
    elif aside and rule.check:  # "now that I'm head chef the rota is mine": the job's words
        value = _checked_prefix(value, rule.check)
    if rule.names:
        name = _leading_name(value)
        if rule.whole and name != value:  # "Been staying here": a sentence, not a name
            return None
        value = name
        person = _PERSONAL.match(rule.attribute) is not None
        if (rule.whole or person) and not looks_like_name(value, person=person):
            return None
    words = fold(value).split()
    if not words or len(words) > rule.max_words or not re.search(r"\w\w", value):
        return None
    if words[0] in _REJECT or words[0] in rule.reject:
        return None
    if rule.check and not rule.check.fullmatch(" ".join(words)):
        return None
    written = {k: message[m.start(k) : m.end(k)] if m.start(k) >= 0 else "" for k in m.groupdict()}
    groups = dict(written)
    for name in ("kin", "species", "key"):
        if name in groups:
            word = fold(groups[name])
            groups[name] = CANONICAL.get(word, word)
    if "breed" in groups:
        groups["breed"] = written["breed"] = " ".join(groups["breed"].split())
        groups["species"] = BREEDS[fold(groups["breed"]).lower()]
        written.setdefault("species", groups["species"])
    groups["value"] = written["value"] = value
    attribute = rule.attribute.format(
        **{k: " ".join(fold(v).split()) for k, v in groups.items() if k != "value"}
    )
    if _in_portuguese(message, folded[m.start() : vs]):
        # Said in Portuguese, stored in Portuguese, in the user's own words ("cadela").
        text = " ".join(_PORTUGUESE[rule.template].format(**written).split())
        text = text[:1].upper() + text[1:]
    else:
        text = " ".join(rule.template.format(**groups).split())
    return ExtractedFact(attribute, value, text, rule.single_valued)


# Each template in Portuguese: a fact told in Portuguese reads back in Portuguese.
_PORTUGUESE = {
    "The user's name is {value}.": "O nome do usuário é {value}.",
    "The user's favourite {key} is {value}.": "Favorito do usuário ({key}): {value}.",
    "The user is {value} years old.": "O usuário tem {value} anos.",
    "The user likes {value}.": "O usuário gosta de {value}.",
    "The user loves {value}.": "O usuário adora {value}.",
    "The user prefers {value}.": "O usuário prefere {value}.",
    "The user is allergic to {value}.": "O usuário tem alergia a {value}.",
    "The user has a {species} called {value}.": "Animal de estimação do usuário ({species}): "
    "{value}.",
    "The user has a {breed} ({species}) called {value}.": "Animal de estimação do usuário "
    "({breed}): {value}.",
    "The user's {kin} is called {value}.": "{kin} do usuário: {value}.",
    "The user's partner is called {value}.": "Companheiro(a) do usuário: {value}.",
    "The user plays {value}.": "O usuário joga {value}.",
    "The user goes {value}.": "O usuário faz {value}.",
    "The user does {value}.": "O usuário pratica {value}.",
    "The user is from {value}.": "O usuário é de {value}.",
    "The user is {art} {value}.": "O usuário é {value}.",
    "The user is {value}.": "O usuário é {value}.",
    "The user works as {art} {value}.": "O usuário trabalha como {value}.",
    "The user works as {value}.": "O usuário trabalha como {value}.",
    "The user is the {value}.": "O usuário é {value}.",
    "The user lives in {value}.": "O usuário mora em {value}.",
    "The user works at {value}.": "O usuário trabalha em {value}.",
    "The user speaks {value}.": "O usuário fala {value}.",
    "The user has {value}.": "O usuário tem {value}.",
}
_PORTUGUESE_PREFIX = re.compile(
    r"\b(eu|sou|tenho|meu|minha|nosso|nossa|moro|vivo|trabalho|chamo|nome|gosto|prefiro|adoro"
    r"|amo|jogo|faco|pratico|treino|falo|aqui|fui|entrei|comecei|mudei|mudamos|venho|sofro"
    r"|marido|esposa|esposo|mulher|companheir[oa]|namorad[oa]|noiv[oa]|cao|cadela|cachorr[oa]"
    r"|gat[oa]|coelh[oa]|periquit[oa]|irma|irmao|mae|pai|filh[oa])\b"
)


def _in_portuguese(message: str, prefix: str) -> bool:
    """Whether a fact was told in Portuguese: the message's language, else the rule's words."""
    language = detect(message)
    if language is not None:
        return language == "pt"
    return _PORTUGUESE_PREFIX.search(prefix) is not None


def _checked_prefix(value: str, check: re.Pattern[str]) -> str:
    """Return the longest run of `value`'s first words that `check` accepts, else `value`."""
    words = value.split()
    for n in range(len(words), 0, -1):
        if check.fullmatch(fold(" ".join(words[:n]))):
            return " ".join(words[:n])
    return value


_SELF = frozenset("i i'm im i've i'd i'll".split())
_NAME_JOINERS = frozenset("de da do das dos of the and & e y von van".split())


def _leading_name(value: str) -> str:
    """Return the capitalised words `value` starts with ("Priya" of "Priya 👋 first time")."""
    words = []
    split = value.split()
    for i, word in enumerate(split):
        core = word.strip(_STRIP + ",.!?;:()")
        if words and core in _NAME_JOINERS and word == core and i + 1 < len(split):
            following = split[i + 1].strip(_STRIP)
            if following[:1].isupper():  # "Escola Básica de Celas", "Moura & Associados"
                words.append(core)
                continue
        following = split[i + 1].strip(_STRIP)[:1] if i + 1 < len(split) else ""
        number = words and core.isdigit() and following.isupper()  # "Nimbus 9 Analytics"
        if not number and (not core or not core[0].isupper() or not core[0].isalpha()):
            break
        if fold(core) in _SELF:  # "this is Darlene I'm talkin into my phone"
            break
        words.append(core)
        if core != word:  # punctuation ends the name
            break
    return " ".join(words)


def extract_facts(message: str) -> list[ExtractedFact]:
    """Extract the clear self-statements in a user's chat message.

    Args:
        message: The user's message, in English or Portuguese.

    Returns:
        One fact per statement found, in message order, each (attribute, value) at most once.
        Questions, negations, hypotheticals and statements about others give nothing.
    """
    message = unicodedata.normalize("NFC", message)
    folded = fold(message)
    facts: list[ExtractedFact] = []
    seen: set[tuple[str, str]] = set()
    rules = (
        (*RULES, *LAST_RULES, NEW_JOB_PLACE) if NEW_JOB.search(folded) else (*RULES, *LAST_RULES)
    )
    rules = (*rules, NEW_PARTNER) if BROKE_UP.search(folded) else rules
    rules = (*rules, SENT_TO) if RELOCATED.search(folded) else rules
    rules = (*PROFILE_RULES, *rules) if len(PROFILE.findall(folded)) >= 2 else rules
    for s_start, s_end, ending in _spans(_SENTENCE_END, folded, 0, len(folded)):
        s_start = _skip_fillers(folded, s_start, s_end)
        if _QUESTION.match(folded, s_start, s_end) or wishes.opens_hypothetical(
            folded[s_start:s_end]
        ):
            continue
        clauses = list(_spans(_CLAUSE_END, folded, s_start, s_end))
        if "?" in ending:
            # A statement before a tag question stands ("Rafa aqui, tudo certo?"); the
            # question itself does not.
            clauses = clauses[:-1]
        mine = False  # the last clause opened with the user as the subject
        named = False  # the last clause named the user, and a comma or dash followed
        for c_start, c_end, split_on in clauses:
            c_start = _skip_fillers(folded, c_start, c_end)
            aside = _ASIDE.match(folded, c_start, c_end)
            if aside:
                c_start = aside.end()
            aside = aside or _ASIDE_BEFORE.search(folded, max(s_start, c_start - 12), c_start)
            carried = rules + AFTER_I if mine else rules
            carried = carried + ASIDE_RULES if aside else carried
            carried = AFTER_NAME + carried if named else carried
            # "I quit and joined Bluefin", "I've moved to the brokering side — joined …"
            mine = I_OPENS.match(folded, c_start, c_end) is not None and split_on.strip() in (
                "and",
                "e",
                "\u2014",
                "\u2013",
                "-",
            )
            named = False
            for rule in carried:
                fact = _apply(rule, message, folded, c_start, c_end, aside=aside is not None)
                if fact:
                    named = fact.attribute == "name" and split_on.strip() in _APPOSITION
                    # "a nurse at St James's", "alfaiate aqui em Bissau": the job's place
                    also = (JOB_PLACE, HERE_IN) if fact.attribute == "job" else ()
                    places = [p for r in also if (p := _apply(r, message, folded, c_start, c_end))]
                    for found in (fact, *places):
                        if (found.attribute, found.value.casefold()) not in seen:
                            seen.add((found.attribute, found.value.casefold()))
                            facts.append(found)
                    break
    for found in _named_relations(message):
        if (found.attribute, found.value.casefold()) not in seen:
            seen.add((found.attribute, found.value.casefold()))
            facts.append(found)
    facts = plausible([_corrected(message, fact) for fact in facts])
    portuguese = detect(message) == "pt"
    for attribute, value in introductions(message):
        if not any(f.attribute == attribute for f in facts):
            facts.append(ExtractedFact(attribute, value, _said(attribute, value, portuguese), True))
    return facts


def _corrected(message: str, fact: ExtractedFact) -> ExtractedFact:
    """Return `fact` with the value the user set it right to in the same breath, if any."""
    words = AFTER_NAME[0].check if fact.attribute == "job" else None  # a trade's words
    value = corrected(message, fact.value, words) if fact.single_valued else None
    if value is None:
        return fact
    return ExtractedFact(fact.attribute, value, fact.text.replace(fact.value, value), True)


def _said(attribute: str, value: str, portuguese: bool) -> str:
    """Return the statement of an introduction's name or home, in the user's language."""
    if attribute == "name":
        return f"O nome do usuário é {value}." if portuguese else f"The user's name is {value}."
    return f"O usuário mora em {value}." if portuguese else f"The user lives in {value}."


def _named_relations(message: str) -> Iterator[ExtractedFact]:
    """Yield the pets, partners and relatives the message names in apposition."""
    for attribute, value, template, kind in named_relations(message):
        if _in_portuguese(message, fold(kind)):
            if attribute == "workplace":
                text = f"O usuário trabalha em {value}."
            elif attribute == "pet":
                text = f"Animal de estimação do usuário ({kind}): {value}."
            else:
                text = f"{kind[:1].upper()}{kind[1:]} do usuário: {value}."
        else:
            text = template.format(value=value)
        yield ExtractedFact(attribute, value, text, attribute in ("partner", "workplace"))
