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

from memory.fact_words import (
    BREED,
    BREEDS,
    CANONICAL,
    CONDITION,
    CONDITION_ADJECTIVE,
    PARTNER,
    PET,
    PROFESSION,
    RELATIVE,
)
from text.language import detect
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


@dataclass(frozen=True, slots=True)
class _Rule:
    attribute: str  # may hold "{key}", filled with the folded `key` group
    single_valued: bool
    template: str  # formatted with `value` and the pattern's other named groups
    pattern: re.Pattern[str]  # matched at the start of a clause; ends where the value starts
    max_words: int = 5
    reject: frozenset[str] = frozenset()  # first words of the value that rule it out
    names: bool = False  # the value is a proper name: its capitalised words, as written
    check: re.Pattern[str] | None = None  # the folded value must match this (e.g. a job)


_ADV = r"(?:(?:just|recently|also|actually|currently|really|now|finally|still|absolutely)\s+)*"
_I = r"i\s+" + _ADV
_IVE = r"i(?:'ve|\s+have)?\s+" + _ADV  # I, I've, I have
_IM = r"i(?:\s+am|'?m)\s+" + _ADV  # I am, I'm, Im
_EU = r"(?:eu\s+)?(?:(?:tambem|agora|ainda|atualmente|actualmente|ja)\s+)?"
_ART = r"(?:(?:o|a|os|as)\s+)?"
_WE = r"we(?:'ve|\s+have)?\s+" + _ADV  # we, we've, we have (a household moving)
_MY = r"(?:my|our)\s+(?:(?:new|little|baby|old|rescue)\s+)?"
_MEU = r"(?:(?:o|a)\s+)?(?:meu|minha|nosso|nossa)\s+(?:(?:nov[oa]|pequen[oa])\s+)?"
_NEW = r"(?:\s+nov[oa](?:zinh[oa])?)?"  # "o nosso cachorro novo se chama Paçoca"
_CALLED = (
    r"\s+(?:is\s+called\s+|is\s+named\s+|'s\s+called\s+|'s\s+name\s+is\s+|"
    r"name\s+is\s+|called\s+|named\s+|se\s+chama\s+|chama-se\s+|chamad[oa]\s+|"
    r"e\s+(?:o|a)\s+|,?\s*)"
)
_VALUE = r"(?P<value>.+)"
_AGE_END = r"(?=\s*(?:$|now\b|already\b|agora\b|ja\b))"
# Capitalised words that open "… here" and are no name ("Sunday morning here in Bangalore").
_NOT_NAMES = (
    "monday tuesday wednesday thursday friday saturday sunday morning afternoon evening night "
    "week weekend day today tonight sad happy busy lovely quick rainy sunny cold hot everyone "
    "all everybody segunda terca quarta quinta sexta sabado domingo manha tarde noite semana "
    "dia hoje todos gente"
)
_SEVERITY = r"(?:(?:severe|bad|mild|serious|slight|terrible|strong|nasty|life-threatening)\s+)?"
_JOB_REJECT = "bit little lot fan big huge great vegetarian vegan man woman person morning night"


def _rule(
    attribute: str,
    single: bool,
    template: str,
    *prefixes: str,
    max_words: int = 5,
    reject: str = "",
    names: bool = False,
    check: str | None = None,
) -> _Rule:
    """Build a rule from alternative prefixes, each followed by the value unless it has one."""
    body = "|".join(prefixes)
    pattern = body if "(?P<value>" in body else f"(?:{body}){_VALUE}"
    return _Rule(
        attribute,
        single,
        template,
        re.compile(pattern),
        max_words,
        frozenset(reject.split()),
        names,
        re.compile(check) if check else None,
    )


# Tried in order; the first rule giving a valid value wins the clause.
# fmt: off
_RULES: tuple[_Rule, ...] = (
    _rule("name", True, "The user's name is {value}.",
          r"my\s+name(?:\s+is|'s)\s+", _IM + r"called\s+", _I + r"go\s+by\s+", r"call\s+me\s+",
          r"(?:o\s+)?meu\s+nome\s+e\s+", _EU + r"(?:me\s+chamo|chamo-me)\s+", max_words=4,
          names=True),
    # "Hi! I'm Priya", "this is Tom", "sou a Ana", "aqui é o Lucas", "Rafa aqui": a name is
    # capitalised, which tells "I'm Priya" from "I'm tired".
    _rule("name", True, "The user's name is {value}.", _IM, r"this\s+is\s+", r"myself\s+",
          r"(?:eu\s+)?sou\s+(?:a|o)\s+", r"aqui\s+e\s+(?:a|o)\s+", max_words=3, names=True,
          reject="also just here the a an not so really sure still going glad happy tired"),
    _rule("name", True, "The user's name is {value}.",
          r"(?P<value>[a-z]+(?:\s+[a-z]+)?)(?:\s+(?:from|de|do|da)\s+[a-z]+(?:\s+[a-z]+)?)?"
          r"\s+(?:here|aqui|falando|speaking|this\s+side)\b",
          max_words=2, names=True, reject="i eu me ok tudo " + _NOT_NAMES),
    _rule("favourite:{key}", True, "The user's favourite {key} is {value}.",
          r"my\s+(?:favou?rite|fave)\s+(?P<key>[a-z][a-z ]{0,30}?)\s+is\s+" + _VALUE),
    _rule("favourite:{key}", True, "The user's favourite {key} is {value}.",
          r"(?:(?:a|o)\s+)?(?:minha|meu)\s+(?P<key>[a-z]+(?:\s+[a-z]+)?)\s+"
          r"(?:favorit[ao]|preferid[ao])\s+e\s+" + _VALUE),
    _rule("age", True, "The user is {value} years old.",
          _IM + r"(?P<value>\d{1,3})(?:\s*(?:years?|yrs?)(?:\s+old)?|\s*y/?o)?" + _AGE_END),
    _rule("age", True, "The user is {value} years old.",
          _EU + r"tenho\s+(?P<value>\d{1,3})\s+anos(?:\s+de\s+idade)?" + _AGE_END),
    _rule("preference", False, "The user likes {value}.",
          _IM + r"(?:an?\s+)?(?:(?:big|huge|great|massive|real)\s+)?fan\s+of\s+", _IM + r"into\s+"),
    _rule("allergy", False, "The user is allergic to {value}.",
          _IM + r"(?:(?:very|quite|badly|severely)\s+)?allergic\s+to\s+",
          _IVE + r"(?:got\s+)?an?\s+" + _SEVERITY + r"allergy\s+to\s+",
          _EU + r"sou\s+(?:muito\s+)?alergic[oa]\s+(?:a|ao|a|aos|as)\s+",
          _EU + r"tenho\s+(?:uma\s+)?alergia\s+(?:(?:grave|forte|seria|severa|ligeira)\s+)?"
          r"(?:a|ao|a|aos|as|de)\s+"),
    _rule("allergy", False, "The user is allergic to {value}.",
          _IVE + r"(?:got\s+)?an?\s+" + _SEVERITY + r"(?P<value>[a-z]+(?:\s+[a-z]+)?)\s+allergy\b",
          max_words=2),
    *(_rule("pet", False, "The user has a {species} called {value}.", prefix, max_words=3,
            names=True)
      for prefix in (
          _MY + PET + _CALLED + r"(?P<value>.+)",
          _MEU + PET + _NEW + _CALLED + r"(?P<value>.+)",
          # "we got a new pup, Dusty", "we adopted a kitten called Mo"
          r"(?:" + _I + "|" + _WE + r")(?:got|adopted|rescued|brought\s+home)\s+(?:a|an)\s+"
          r"(?:(?:new|little|baby|rescue)\s+)?" + PET + _CALLED + r"(?P<value>.+)",
          _IVE + r"(?:got\s+)?an?\s+" + PET + r"\s+(?:called|named)\s+(?P<value>.+)",
          _EU + r"tenho\s+(?:um|uma)\s+" + PET
          + r"\s+(?:chamad[oa]|que\s+se\s+chama)\s+(?P<value>.+)",
      )),
    *(_rule("pet", False, "The user has a {breed} ({species}) called {value}.", prefix,
            max_words=3, names=True)
      for prefix in (_MY + BREED + _CALLED + r"(?P<value>.+)",
                     _MEU + BREED + _CALLED + r"(?P<value>.+)")),
    *(_rule("partner", True, "The user's {kin} is called {value}.", prefix, max_words=3,
            names=True)
      for prefix in (_MY + PARTNER + _CALLED + r"(?P<value>.+)",
                     _MEU + PARTNER + _CALLED + r"(?P<value>.+)")),
    _rule("partner", True, "The user's partner is called {value}.",
          _IM + r"(?:now\s+)?(?:seeing|dating|going\s+out\s+with|engaged\s+to|married\s+to)\s+",
          _EU + r"(?:estou\s+(?:a\s+namorar|namorando|noiv[oa]|casad[oa])|to\s+namorando"
          r"|namoro|sou\s+casad[oa])\s+(?:com\s+)?" + _ART,
          max_words=3, names=True),
    *(_rule("family:{kin}", False, "The user's {kin} is called {value}.", prefix, max_words=3,
            names=True)
      for prefix in (_MY + RELATIVE + _CALLED + r"(?P<value>.+)",
                     _MEU + RELATIVE + _CALLED + r"(?P<value>.+)")),
    _rule("hobby", False, "The user plays {value}.",
          _I + r"play\s+(?:(?:some|a\s+lot\s+of)\s+)?", _EU + r"jogo\s+(?:(?:um\s+pouco\s+de)\s+)?",
          max_words=3, reject="with games video the it music"),
    _rule("hobby", False, "The user goes {value}.",
          r"(?:" + _I + "|" + _WE + r")go\s+(?P<value>[a-z]+ing)\b", max_words=1),
    _rule("hobby", False, "The user does {value}.",
          _EU + r"(?:faco|pratico|treino)\s+", _I + r"(?:practise|practice|do)\s+",
          max_words=3, reject="it this that what not anything nothing nada isso"),
    _rule("hometown", True, "The user is from {value}.",
          _IM + r"from\s+", _I + r"come\s+from\s+", _EU + r"(?:sou|venho)\s+(?:de|do|da)\s+",
          max_words=4, names=True),
    # A condition before a job: "sou diabético" is no profession, "I'm asthmatic" no article.
    _rule("health", False, "The user is {value}.",
          _IM + r"(?=" + CONDITION_ADJECTIVE + ")", _EU + r"sou\s+(?=" + CONDITION_ADJECTIVE + ")",
          max_words=3),
    _rule("health", False, "The user has {value}.",
          _IVE + r"(?:got\s+|been\s+diagnosed\s+with\s+|suffer\s+from\s+)?(?=" + CONDITION + ")",
          _EU + r"(?:tenho|sofro\s+de|fui\s+diagnosticad[oa]\s+com)\s+" + _ART
          + r"(?=" + CONDITION + ")", max_words=4),
    _rule("job", True, "The user is {art} {value}.", _IM + r"(?P<art>an?)\s+", reject=_JOB_REJECT),
    _rule("job", True, "The user is {value}.",
          _EU + r"sou\s+(?:(?:um|uma)\s+)?", max_words=3, check=PROFESSION),
    _rule("job", True, "The user works as {art} {value}.",
          _I + r"work\s+as\s+(?:(?P<art>an?)\s+)?", _EU + r"trabalho\s+como\s+(?:(?:um|uma)\s+)?"),
    _rule("home", True, "The user lives in {value}.",
          _IVE + r"(?:live|reside|been\s+living)\s+in\s+", _IVE + r"(?:moved|relocated)\s+to\s+",
          _WE + r"(?:live|moved|relocated|been\s+living)\s+(?:in|to)\s+",
          _IM + r"(?:based|living)\s+in\s+",
          _EU + r"(?:moro|resido|estou\s+(?:a\s+(?:viver|morar)|morando|vivendo))\s+"
          r"(?:em|no|na|nos|nas)\s+",
          _EU + r"(?:me\s+mudei|mudei-me|mudei)\s+(?:para|pra)\s+" + _ART,
          r"(?:nos\s+)?(?:mudamos|mudamo-nos)\s+(?:para|pra)\s+" + _ART,
          # "we shifted to Pune", "a gente se mudou pra Campinas", "fomos morar em Natal"
          r"(?:" + _I + "|" + _WE + r")shifted\s+to\s+",
          r"a\s+gente\s+(?:se\s+)?mudou\s+(?:para|pra)\s+" + _ART,
          r"(?:eu\s+)?(?:fomos|fui|vim|viemos)\s+(?:morar|viver)\s+(?:em|no|na|para|pra)\s+"),
    _rule("home", True, "The user lives in {value}.",
          _EU + r"vivo\s+(?:em|no|na|nos|nas)\s+", max_words=4, names=True),
    _rule("workplace", True, "The user works at {value}.",
          _I + r"work\s+(?:at|for)\s+", _IVE + r"(?:been\s+)?working\s+(?:at|for)\s+",
          _IM + r"working\s+(?:at|for)\s+",
          _EU + r"trabalho\s+(?:em|no|na|nos|nas|para|pra)\s+" + _ART),
    # A new job: "I've joined Bluefin", "accepted an offer from X", "fui contratada pela X".
    _rule("workplace", True, "The user works at {value}.",
          _IVE + r"(?:joined|started\s+(?:a\s+new\s+job\s+)?at|moved\s+to\s+work\s+at)\s+",
          r"started\s+(?:a\s+new\s+job\s+)?at\s+",
          _IVE + r"(?:accepted|took)\s+(?:an?\s+)?(?:job\s+)?offer\s+(?:from|at)\s+",
          _IVE + r"(?:been\s+)?(?:hired|taken\s+on)\s+(?:by|at)\s+",
          r"(?:eu\s+)?fui\s+contratad[oa]\s+(?:pel[oa]s?|para\s+(?:a|o)?|na|no|em)\s*",
          _EU + r"(?:entrei|comecei)\s+(?:a\s+trabalhar\s+)?(?:na|no|em|para\s+(?:a|o))\s+",
          _I + r"(?:got|landed|took|have|found)\s+(?:a\s+)?(?:new\s+)?job\s+(?:at|with)\s+",
          _IM + r"(?:now\s+)?running\s+", _I + r"teach\s+at\s+",
          r"(?:i\s+(?:have\s+)?)?resumed\s+(?:work\s+)?(?:at|with)\s+",
          r"(?:now\s+)?working\s+(?:at|for)\s+",
          r"(?:eu\s+)?consegui\s+(?:um\s+)?(?:novo\s+)?emprego\s+(?:na|no|em)\s+",
          _EU + r"(?:estou|to|tou)\s+(?:a\s+trabalhar|trabalhando)\s+(?:na|no|em|para|pra)\s+",
          _EU + r"dou\s+aulas?\s+(?:na|no|em)\s+",
          max_words=4, names=True),
    # "I've been made deputy principal", "I got promoted to head of design", "fui promovida a".
    _rule("job", True, "The user is {value}.",
          _IVE + r"(?:been|got|was|were)\s+(?:made|promoted\s+to|appointed(?:\s+as)?)\s+"
          r"(?:(?:the|an?)\s+)?",
          r"(?:eu\s+)?fui\s+promovid[oa]\s+(?:a|para)\s+(?:(?:o|a)\s+)?",
          max_words=4, reject=_JOB_REJECT),
    # "here in Austin", "aqui em Curitiba": where the user is, said in passing.
    _rule("home", True, "The user lives in {value}.",
          r"(?:[^,;]*?\s)?(?:here|aqui|ca)\s+(?:in|em|no|na)\s+", max_words=3, names=True),
    _rule("preference", False, "The user prefers {value}.",
          _I + r"prefer\s+", _EU + r"prefiro\s+" + _ART),
    _rule("preference", False, "The user likes {value}.", _I + r"(?:like|enjoy)\s+",
          _EU + r"gosto\s+(?:(?:muito|imenso|bastante)\s+)?(?:de|do|da|dos|das)\s+"),
    _rule("preference", False, "The user loves {value}.",
          _I + r"(?:love|adore)\s+", _EU + r"(?:adoro|amo)\s+" + _ART),
    _rule("language", False, "The user speaks {value}.",
          _I + r"speak\s+(?:(?:fluent|some|a\s+little|a\s+bit\s+of)\s+)?",
          _EU + r"falo\s+(?:(?:fluentemente|bem|um\s+pouco\s+de)\s+)?",
          max_words=3, reject="a com contigo consigo serio muito demais sobre"),
)
# fmt: on

# The place a job is held at, said with the job ("I'm a nurse at St James's", "sou chef no
# Hotel Maré Alta"): a name after "at/with/for/no/na/em".
_JOB_PLACE = _rule(
    "workplace",
    True,
    "The user works at {value}.",
    r".*?\s(?:at|with|for|no|na|em|pela|pelo)\s+(?:the\s+)?",
    max_words=5,
    names=True,
)

_SENTENCE_END = re.compile(r"[.!?;\n]+")
# "e" is also a folded "é" (is): never split "o meu nome é Ana" or "cor favorita é verde".
_CLAUSE_END = re.compile(
    r"[,:\u2013\u2014]|\s+-\s+|\s+(?:and|but|mas|that|because|since|so|porque|pois|que)\s+"
    r"|(?<!nome)(?<!favorit[ao])(?<!preferid[ao])(?<!aqui)\s+e\s+(?!(?:o|a)\s)"
)
_FILLER = re.compile(
    r"(?:[\s,]+|(?:well|actually|by the way|btw|also|and|so|now|oh|ok|okay|yes|yeah|anyway|"
    r"please|lol|haha|ah|right|quick one|fun fact|entao|bem|alias|agora|e|tambem|oi|oii|hi|"
    r"hello|hey|ola|sim|pois|olha|enfim|bom|boas|na verdade|e ai|ja agora)\b)*"
)
_NOT_A_STATEMENT = re.compile(  # interrogatives and hypotheticals opening a sentence
    r"(?:what|where|who|when|why|which|how|do|does|did|can|could|would|should|will|is|are|am|"
    r"was|were|have|has|if|suppose|imagine|unless|onde|qual|quais|quem|quando|como|por\s+que|"
    r"sera|voce\s+sabe|sabes|sabe|lembras|lembra|se|caso|imagina)\b"
)
_STOP = re.compile(  # where a value ends: punctuation or a trailing word/clause
    r"\s*[,.!?;:()\"]|\s+(?:now|right\s+now|at|in|on|to|as|so|too|also|already|currently|"
    r"recently|today|yesterday|nowadays|these\s+days|lately|last|this|next|since|for|with|from|because|and|but|or|"
    r"over|than|more|instead|rather|after|before|when|while|during|until|which|who|that|where|"
    r"very|a\s+lot|if|unless|anyway|lol|haha|(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|few|several|some|"
    r"many|\d+)\s+(?:\S+\s+){0,3}ago|agora|ha|faz|desde|com|porque|e|mas|ou|tambem|hoje|ontem|"
    r"recentemente|atualmente|actualmente|neste\s+momento|de\s+momento|em|no|na|para|pra|como|"
    r"(?:(?:o|a|no|na)\s+)?(?:mes|semana|ano)\s+passad[oa]|"
    r"que|onde|quando|depois|antes|durante|mais|muito|se|todo|toda|mas|ao|aos|aas)\b"
)
_REJECT = frozenset(  # first words that make a value a pronoun, a clause or an adverb
    "it that this these those them you your him her me my myself our us to with not never no "
    "nothing when how what where if at on about back later tomorrow please home meu minha meus "
    "minhas nosso nossa isso isto aquilo ti te voce vc ele ela eles elas nao nunca nada que "
    "quando como onde com casa se".split()
)
_STRIP = " \t'\"\u201c\u201d\u2018\u2019-"


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


def _apply(rule: _Rule, message: str, folded: str, start: int, end: int) -> ExtractedFact | None:
    """Return the fact `rule` finds at the start of clause `folded[start:end]`, if any."""
    m = rule.pattern.match(folded, start, end)
    if not m:
        return None
    vs, ve = m.span("value")
    if stop := _STOP.search(folded, vs, ve):
        ve = stop.start()
    value = message[vs:ve].strip(_STRIP)
    if rule.names:
        value = _leading_name(value)
    words = fold(value).split()
    if not words or len(words) > rule.max_words or not re.search(r"\w\w", value):
        return None
    if words[0] in _REJECT or words[0] in rule.reject:
        return None
    if rule.check and not rule.check.fullmatch(" ".join(words)):
        return None
    written = {k: message[m.start(k) : m.end(k)] if m.start(k) >= 0 else "" for k in m.groupdict()}
    groups = dict(written)
    for name in ("kin", "species"):
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
    "The user lives in {value}.": "O usuário mora em {value}.",
    "The user works at {value}.": "O usuário trabalha em {value}.",
    "The user speaks {value}.": "O usuário fala {value}.",
    "The user has {value}.": "O usuário tem {value}.",
}
_PORTUGUESE_PREFIX = re.compile(
    r"\b(eu|sou|tenho|meu|minha|nosso|nossa|moro|vivo|trabalho|chamo|nome|gosto|prefiro|adoro"
    r"|amo|jogo|faco|pratico|treino|falo|aqui|fui|entrei|comecei|mudei|mudamos|venho|sofro)\b"
)


def _in_portuguese(message: str, prefix: str) -> bool:
    """Whether a fact was told in Portuguese: the message's language, else the rule's words."""
    language = detect(message)
    if language is not None:
        return language == "pt"
    return _PORTUGUESE_PREFIX.search(prefix) is not None


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
        if not core or not core[0].isupper() or not core[0].isalpha():
            break
        words.append(core)
        if core != word:  # punctuation ends the name
            break
    return " ".join(words)


# A name signed in passing: "Callum, by the way", "Aroha, btw!", "Ah, Luana, prazer".
_SIGNED_NAME = re.compile(
    r"(?:^|[.!?;,:\u2013\u2014]\s*|\b(?:ah|oh|and|e)\s+)"
    r"(?P<value>[A-Z\u00c0-\u00dd][\w'\u2019-]+(?:\s+[A-Z\u00c0-\u00dd][\w'\u2019-]+)?)"
    r"\s*[,!]?\s*(?:by the way|btw|for the record|if you need it|prazer|muito prazer"
    r"|caso precise|ja agora)\b"
)
_NOT_NAMES = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may "
    "june july august september october november december thanks thank sorry also ok okay yes "
    "no great cool fine sure right well oh ah hi hello hey anyway so but and sound lovely "
    "segunda terca quarta quinta sexta sabado domingo obrigado obrigada sim nao bom boa ola oi "
    "entao pois certo".split()
)


def _signed_name(message: str) -> ExtractedFact | None:
    """Return the name the user signs a message with in passing, if any."""
    for m in _SIGNED_NAME.finditer(message):
        value = m.group("value")
        if fold(value).split()[0] not in _NOT_NAMES:
            return ExtractedFact("name", value, f"The user's name is {value}.", True)
    return None


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
    for s_start, s_end, ending in _spans(_SENTENCE_END, folded, 0, len(folded)):
        s_start = _skip_fillers(folded, s_start, s_end)
        if _NOT_A_STATEMENT.match(folded, s_start, s_end):
            continue
        clauses = list(_spans(_CLAUSE_END, folded, s_start, s_end))
        if "?" in ending:
            # A statement before a tag question stands ("Rafa aqui, tudo certo?"); the
            # question itself does not.
            clauses = clauses[:-1]
        for c_start, c_end, _ in clauses:
            c_start = _skip_fillers(folded, c_start, c_end)
            for rule in _RULES:
                fact = _apply(rule, message, folded, c_start, c_end)
                if fact:
                    also = _JOB_PLACE if fact.attribute == "job" else None
                    place = also and _apply(also, message, folded, c_start, c_end)
                    for found in (fact, place) if place else (fact,):
                        if (found.attribute, found.value.casefold()) not in seen:
                            seen.add((found.attribute, found.value.casefold()))
                            facts.append(found)
                    break
    if not any(f.attribute == "name" for f in facts) and (signed := _signed_name(message)):
        facts.append(signed)
    return facts
