"""The extractor's rules: how each kind of self-statement opens, in English and Portuguese.

Each rule is a set of alternative openings ("i live in", "moro em", "we shifted to") matched at
the start of a clause of the accent-folded message; the value follows (`memory/fact_extraction.py`
slices it, checks it and renders the fact). Tried in order: the first rule giving a valid value
wins the clause. Rules tried only in some context (after a job change, after the user's name)
are in `memory/fact_context_rules.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from memory.fact_words import (
    AWAY,
    BREED,
    CONDITION,
    CONDITION_ADJECTIVE,
    JOB_WORDS,
    NOT_THING,
    PARTNER,
    PET,
    PROFESSION,
    RELATIVE,
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One kind of statement: its attribute, how it opens, and what its value may be."""

    attribute: str  # may hold "{key}", filled with the folded `key` group
    single_valued: bool
    template: str  # formatted with `value` and the pattern's other named groups
    pattern: re.Pattern[str]  # matched at the start of a clause; ends where the value starts
    max_words: int = 5
    reject: frozenset[str] = frozenset()  # first words of the value that rule it out
    names: bool = False  # the value is a proper name: its capitalised words, as written
    check: re.Pattern[str] | None = None  # the folded value must match this (e.g. a job)
    whole: bool = False  # with `names`: every word of the value must be part of the name


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
_NAME = r"(?P<value>[a-z][a-z-]*(?:\s+[a-z][a-z-]*)?)"  # one or two words (capitals checked)
_THING = NOT_THING + r"(?P<key>[a-z]+)"  # the favourite thing, never "meu" nor "a"
_MINHA = r"(?:minha|meu|nossa|nosso)\s+"
_ADJ = r"(?:\s+[a-z]+)?"  # "a minha comida brasileira favorita": the noun is the thing
_FAVORITO = r"\s+(?:favorit[ao]|preferid[ao])s?"
_FIRST = r"(?P<value>[a-z][\w' -]{0,40}?)"  # a value said before its statement
_AGE_END = r"(?=\s*(?:$|now\b|already\b|agora\b|ja\b))"
# Capitalised words that open "… here" and are no name ("Sunday morning here in Bangalore").
_NOT_HERE_NAMES = (
    "monday tuesday wednesday thursday friday saturday sunday morning afternoon evening night "
    "week weekend day today tonight sad happy busy lovely quick rainy sunny cold hot everyone "
    "all everybody segunda terca quarta quinta sexta sabado domingo manha tarde noite semana "
    "dia hoje todos gente"
)
_SEVERITY = r"(?:(?:severe|bad|mild|serious|slight|terrible|strong|nasty|life-threatening)\s+)?"
# Words a workplace's name opens with ("Clínica Movimento", "Construtora Amazonas"): such a
# place after "aqui na"/"here at" is where the user works, not where they live.
ORG_WORDS = (
    "clinica construtora escola colegio farmacia hospital escritorio empresa loja instituto "
    "universidade agencia banco fabrica oficina restaurante hotel laboratorio redacao "
    "consultorio estudio padaria pastelaria livraria atelier salao clinic school college "
    "pharmacy bank agency firm company store shop lab factory university restaurant studio "
    "surgery practice office bakery salon garage warehouse fundacao associacao cooperativa "
    "camara prefeitura marisqueira barbearia foundation association council charity resort"
)
ORG = r"(?:" + "|".join(ORG_WORDS.split()) + r")\b"
# Who acts at a workplace: the user's team, colleagues or boss.
_TEAM = (
    r"(?:we|our\s+team|the\s+team|my\s+boss|my\s+manager|everyone|o\s+pessoal|a\s+equip[ae]"
    r"|os\s+colegas|o\s+(?:meu\s+)?(?:chefe|manager|dire(?:c)?tor)|querem|vamos|estamos|temos"
    r"|usamos|a\s+gente)\b"
)
JOB_REJECT = "bit little lot fan big huge great vegetarian vegan man woman person morning night"


def rule(
    attribute: str,
    single: bool,
    template: str,
    *prefixes: str,
    max_words: int = 5,
    reject: str = "",
    names: bool = False,
    check: str | None = None,
    whole: bool = False,
) -> Rule:
    """Build a rule from alternative prefixes, each followed by the value unless it has one."""
    body = "|".join(prefixes)
    pattern = body if "(?P<value>" in body else f"(?:{body}){_VALUE}"
    return Rule(
        attribute,
        single,
        template,
        re.compile(pattern),
        max_words,
        frozenset(reject.split()),
        names,
        re.compile(check) if check else None,
        whole,
    )


# "here in Austin", "aqui em Curitiba": where the user is, said in passing (also beside a job:
# "sou alfaiate aqui em Bissau").
HERE_IN = rule("home", True, "The user lives in {value}.",
               r"(?:[^,;]*?\s)?(?:here|aqui|ca)\s+(?:in|em|no|na)\s+", max_words=3, names=True,
               reject=ORG_WORDS)  # fmt: skip

# Tried in order; the first rule giving a valid value wins the clause.
# fmt: off
RULES: tuple[Rule, ...] = (
    rule("name", True, "The user's name is {value}.",
          r"my\s+name(?:\s+is|'s)\s+", _IM + r"called\s+", _I + r"go\s+by\s+", r"call\s+me\s+",
          r"(?:o\s+)?meu\s+nome\s+e\s+", _EU + r"(?:me\s+chamo|chamo-me)\s+", max_words=4,
          names=True),
    # "everybody calls me Peggy", "toda a gente me chama Guida": the name the user goes by.
    rule("name", True, "The user's name is {value}.",
          r"(?:everybody|everyone|people|(?:all\s+)?my\s+friends|friends|they\s+all|most\s+people)"
          r"\s+(?:just\s+)?calls?\s+me\s+",
          r"(?:toda\s+a\s+gente|todo\s+(?:o\s+)?mundo|(?:os\s+)?(?:meus\s+)?amigos)\s+me\s+"
          r"(?:chamam?|tratam?)\s+(?:de\s+|por\s+)?", r"me\s+chamam\s+(?:de\s+)?",
          max_words=3, names=True),
    # "Hi! I'm Priya", "this is Tom", "sou a Ana", "aqui é o Lucas", "Rafa aqui": a name is
    # capitalised, which tells "I'm Priya" from "I'm tired".
    rule("name", True, "The user's name is {value}.", _IM, r"(?:this|here)\s+is\s+", r"myself\s+",
          r"(?:eu\s+)?sou\s+(?:a|o)\s+", r"aqui\s+e\s+(?:a|o)\s+", max_words=3, names=True,
          reject="also just here the a an not so really sure still going glad happy tired"),
    # "Eu sou Braima, alfaiate aqui em Bissau": no article, so the clause is the name alone.
    rule("name", True, "The user's name is {value}.", r"eu\s+sou\s+", max_words=3, names=True,
          whole=True),
    rule("name", True, "The user's name is {value}.",
          r"(?P<value>[a-z][a-z-]*(?:\s+[a-z][a-z-]*)?)(?:\s+(?:from|de|do|da)\s+[a-z]+(?:\s+[a-z]+)?)?"
          r"\s+(?:here|aqui|falando|speaking|this\s+side)\b",
          max_words=2, names=True, whole=True, reject="i eu me ok tudo " + _NOT_HERE_NAMES),
    # "it's Dana again", "Hi again, it's Harriet (Hattie…)", "Thiago de novo.", "fala o Rui":
    # a name announced, with nothing after it but "again" or a bracket.
    *(rule("name", True, "The user's name is {value}.", prefix, max_words=2, names=True,
           reject="i eu me ok tudo late same back rain snow here christmas easter natal pascoa "
           + _NOT_HERE_NAMES)
      for prefix in (
          r"it'?s\s+(?:me,?\s+)?" + _NAME + r"(?=\s*(?:$|\(|again\b|here\b))",
          _NAME + r"\s+(?:again|de\s+novo|outra\s+vez)(?=\s*(?:$|[^\w\s]))",
          r"fala\s+(?:o|a)\s+" + _NAME + r"(?=\s*$)",
      )),
    rule("favourite:{key}", True, "The user's favourite {key} is {value}.",
          r"my\s+(?:favou?rite|fave)\s+(?P<key>[a-z][a-z ]{0,30}?)\s+is\s+" + _VALUE),
    # Portuguese puts the thing before "favorito" and the possessive before the thing: "a
    # minha bebida preferida é…", "prato favorito é…", "a cor que eu mais gosto é…", "o que
    # mais gosto de comer é…"; "o meu favorito é…" names no thing (`NOT_THING`).
    *(rule("favourite:{key}", True, "The user's favourite {key} is {value}.", prefix)
      for prefix in (
          _ART + r"(?:" + _MINHA + r")?" + _THING + _ADJ + _FAVORITO + r"\s+e\s+" + _ART,
          r"(?:(?:a|o)\s+)?" + _THING + r"\s+(?:de\s+)?que\s+(?:eu\s+)?mais\s+gosto\s+e\s+" + _ART,
          r"o\s+que\s+(?:eu\s+)?mais\s+gosto\s+de\s+(?P<key>comer|beber)\s+e\s+" + _ART,
      )),
    # The value first: "feijoada é o meu prato preferido", "Paris is my favourite city".
    rule("favourite:{key}", True, "The user's favourite {key} is {value}.",
          _FIRST + r"\s+e\s+" + _ART + _MINHA + _THING + _ADJ + _FAVORITO + r"\s*$"),
    rule("favourite:{key}", True, "The user's favourite {key} is {value}.",
          _FIRST + r"\s+is\s+my\s+(?:favou?rite|fave)\s+" + _THING + r"(?:\s+[a-z]+)?\s*$"),
    rule("age", True, "The user is {value} years old.",
          _IM + r"(?P<value>\d{1,3})(?:\s*(?:years?|yrs?)(?:\s+old)?|\s*y/?o)?" + _AGE_END),
    rule("age", True, "The user is {value} years old.",
          _EU + r"tenho\s+(?P<value>\d{1,3})\s+anos(?:\s+de\s+idade)?" + _AGE_END),
    rule("preference", False, "The user likes {value}.",
          _IM + r"(?:an?\s+)?(?:(?:big|huge|great|massive|real)\s+)?fan\s+of\s+", _IM + r"into\s+"),
    rule("allergy", False, "The user is allergic to {value}.",
          _IM + r"(?:(?:very|quite|badly|severely|deathly|seriously|super|so|extremely|really"
          r"|mildly|slightly|pretty|highly|a\s+(?:bit|little))\s+)?allergic\s+to\s+",
          _IVE + r"(?:got\s+)?an?\s+" + _SEVERITY + r"allergy\s+to\s+",
          # "I react really badly to latex": the body's reaction is the allergy.
          _I + r"(?:(?:really|very|quite|so|pretty)\s+)?react\s+(?:(?:really|very|so|quite)\s+)?"
          r"(?:badly|terribly|bad|strongly)\s+to\s+",
          r"my\s+(?:" + _SEVERITY + r")?allergy\s+to\s+",
          _EU + r"sou\s+(?:muito\s+)?alergic[oa]\s+(?:a|ao|a|aos|as)\s+",
          _EU + r"tenho\s+(?:uma\s+)?alergia\s+(?:(?:grave|forte|seria|severa|ligeira)\s+)?"
          r"(?:a|ao|a|aos|as|de)\s+",
          # "Esta alergia ao látex é uma chatice", "a minha alergia a marisco".
          r"(?:esta|essa|(?:a\s+)?minha)\s+alergia\s+(?:a|ao|a|aos|as|de)\s+"),
    rule("allergy", False, "The user is allergic to {value}.",
          r"(?:" + _IVE + r"(?:got\s+)?an?|my)\s+" + _SEVERITY
          + r"(?P<value>[a-z]+(?:\s+[a-z]+)?)\s+allergy\b",
          max_words=2, reject="food skin bad"),
    *(rule("pet", False, "The user has a {species} called {value}.", prefix, max_words=3,
            names=True)
      for prefix in (
          _MY + PET + _CALLED + r"(?P<value>.+)",
          _MEU + PET + _NEW + _CALLED + r"(?P<value>.+)",
          # "we got a new pup, Dusty", "we adopted a kitten called Mo"
          r"(?:" + _I + "|" + _WE + r")(?:got|adopted|rescued|brought\s+home)\s+(?:a|an|another)\s+"
          r"(?:(?:new|little|baby|rescue)\s+)?" + PET + _CALLED + r"(?P<value>.+)",
          _IVE + r"(?:got\s+)?an?\s+" + PET + r"\s+(?:called|named)\s+(?P<value>.+)",
          _EU + r"tenho\s+(?:um|uma)\s+" + PET
          + r"\s+(?:chamad[oa]|que\s+se\s+chama)\s+(?P<value>.+)",
      )),
    *(rule("pet", False, "The user has a {breed} ({species}) called {value}.", prefix,
            max_words=3, names=True)
      for prefix in (_MY + BREED + _CALLED + r"(?P<value>.+)",
                     _MEU + BREED + _CALLED + r"(?P<value>.+)")),
    *(rule("partner", True, "The user's {kin} is called {value}.", prefix, max_words=3,
            names=True)
      for prefix in (_MY + PARTNER + _CALLED + r"(?P<value>.+)",
                     _MEU + PARTNER + _CALLED + r"(?P<value>.+)")),
    rule("partner", True, "The user's partner is called {value}.",
          _IM + r"(?:now\s+)?(?:seeing|dating|going\s+out\s+with|engaged\s+to|married\s+to)\s+",
          _IVE + r"been\s+(?:seeing|dating|going\s+out\s+with)\s+",
          _EU + r"(?:estou\s+(?:a\s+namorar|namorando|noiv[oa]|casad[oa])|to\s+namorando"
          r"|(?:ando|tou)\s+(?:a\s+namorar|namorando)"
          r"|namoro|sou\s+casad[oa])\s+(?:com\s+)?" + _ART,
          max_words=3, names=True),
    *(rule("family:{kin}", False, "The user's {kin} is called {value}.", prefix, max_words=3,
            names=True)
      for prefix in (_MY + RELATIVE + _CALLED + r"(?P<value>.+)",
                     _MEU + RELATIVE + _CALLED + r"(?P<value>.+)")),
    rule("hobby", False, "The user plays {value}.",
          _I + r"play\s+(?:(?:some|a\s+lot\s+of)\s+)?", _EU + r"jogo\s+(?:(?:um\s+pouco\s+de)\s+)?",
          max_words=3, reject="with games video the it music na no nos nas em"),
    rule("hobby", False, "The user goes {value}.",
          r"(?:" + _I + "|" + _WE + r")go\s+(?P<value>[a-z]+ing)\b", max_words=1),
    rule("hobby", False, "The user does {value}.",
          _EU + r"(?:faco|pratico|treino)\s+", _I + r"(?:practise|practice|do)\s+",
          max_words=3,
          reject="it this that what not anything nothing nada isso turnos turno plantao plantoes "
          "horas hora noite noites mais menos"),
    rule("hometown", True, "The user is from {value}.",
          _IM + r"from\s+", _I + r"come\s+from\s+", _EU + r"(?:sou|venho)\s+(?:de|do|da)\s+",
          max_words=4, names=True),
    # A condition before a job: "sou diabético" is no profession, "I'm asthmatic" no article.
    rule("health", False, "The user is {value}.",
          _IM + r"(?=" + CONDITION_ADJECTIVE + ")", _EU + r"sou\s+(?=" + CONDITION_ADJECTIVE + ")",
          max_words=3),
    rule("health", False, "The user has {value}.",
          _IVE + r"(?:got\s+|been\s+diagnosed\s+with\s+|suffer\s+from\s+)?(?=" + CONDITION + ")",
          _I + r"(?:get|suffer\s+from)\s+(?=" + CONDITION + ")",
          _EU + r"(?:tenho|sofro\s+de|fui\s+diagnosticad[oa]\s+com|(?:estou|to|tou|ando)\s+com)\s+"
          + _ART + r"(?=" + CONDITION + ")", max_words=4),
    rule("job", True, "The user is {art} {value}.", _IM + r"(?P<art>an?)\s+", reject=JOB_REJECT),
    rule("job", True, "The user is {value}.",
          _EU + r"sou\s+(?:(?:um|uma)\s+)?", _EU + r"trabalho\s+de\s+", max_words=4,
          check=PROFESSION),
    rule("job", True, "The user works as {art} {value}.",
          r"(?:where\s+)?" + _I + r"work\s+as\s+(?:(?P<art>an?)\s+)?",
          r"(?:onde\s+)?" + _EU + r"trabalho\s+como\s+(?:(?:um|uma)\s+)?"),
    # "working as MIS executive" (no subject), "I am product manager now" (no article).
    rule("job", True, "The user works as {value}.",
          r"(?:now\s+)?working\s+as\s+(?:an?\s+)?", _IM, max_words=4,
          reject="the seeing visiting meeting " + JOB_REJECT,
          check=r"(?:[a-z-]+\s+){0,2}" + JOB_WORDS),
    # "my job: warehouse supervisor at X", "I work shift supervisor at X" (no "as"), "o meu
    # trabalho: caixa", "o meu trabalho é de caixa": the trade named after the word for work.
    rule("job", True, "The user works as {value}.",
          r"(?:[^,;]*?\s)?(?:my|(?:o\s+)?meu)\s+(?:work|job|trabalho|trampo)\s*:\s+(?:(?:an?|um|uma)\s+)?",
          _I + r"work\s+(?=(?:[a-z-]+\s+){0,2}" + JOB_WORDS + r"\s+(?:at|for|with|in)\b)",
          max_words=4, check=r"(?:" + PROFESSION + r")|(?:[a-z-]+\s+){0,2}" + JOB_WORDS),
    rule("job", True, "The user works as {value}.",
          r"(?:o\s+)?(?:meu\s+)?(?:trabalho|trampo|emprego)\s+e\s+de\s+(?:(?:um|uma)\s+)?",
          max_words=3, reject="loucos doidos malucos morte casa graca manha tarde noite"),
    # "I'm the pastry chef at Maple & Rye": "the" job only with where it is held.
    rule("job", True, "The user is the {value}.",
          _IM + r"the\s+(?=(?:[a-z-]+\s+){0,2}" + JOB_WORDS
          + r"\s+(?:now\s+)?(?:at|for|in|of|with)\s+)", max_words=3),
    # "I move over to Mullins Bay Resort now", "mudei pra Clínica Sol": a move to a workplace.
    rule("workplace", True, "The user works at {value}.",
          r"(?:" + _IVE + r"(?:moved|move\s+over|shifted|switched)\s+(?:over\s+)?to\s+(?:the\s+)?|"
          + _EU + r"(?:me\s+)?mudei(?:-me)?\s+(?:para|pra)\s+" + _ART
          + r")(?=(?:[\w&'.-]+\s+){0,3}" + ORG + ")", max_words=4, names=True,
          check=r"(?:.*\s)?" + ORG + "|" + ORG + r"(?!\s+(?:street|road|lane|avenue|park)\b).*"),
    rule("home", True, "The user lives in {value}.",
          _IVE + r"(?:live|reside|been\s+living)\s+in\s+",
          _IVE + r"(?:moved|relocated)\s+" + AWAY + r"to\s+",
          _WE + r"(?:live|reside|moved|relocated|been\s+living)\s+" + AWAY + r"(?:in|to)\s+",
          # "we just closed on a house in Knoxville", "got the keys to a flat in Bath"
          r"(?:" + _I + "|" + _WE + r")?(?:closed\s+on|bought|got\s+the\s+keys\s+to)\s+(?:a|our)\s+"
          r"(?:[a-z]+\s+){0,2}(?:house|home|flat|apartment|place|terrace|bungalow|condo)\s+in\s+",
          _IM + r"(?:based|living)\s+in\s+",
          _EU + r"(?:moro|resido|(?:estou|to|tou)\s+(?:a\s+(?:viver|morar)|morando|vivendo))\s+"
          r"(?:em|no|na|nos|nas)\s+",
          # a household: "agora vivemos em Ponta Delgada", "we're living in Leeds now"
          r"(?:nos\s+)?(?:(?:agora|ja)\s+)?(?:moramos|vivemos|residimos|estamos\s+(?:a\s+(?:viver"
          r"|morar)|morando|vivendo))\s+(?:em|no|na|nos|nas)\s+",
          r"we(?:'re|\s+are)?\s+" + _ADV + r"(?:living|livin'?|based)\s+in\s+",
          _EU + r"(?:me\s+mudei|mudei-me|mudei)\s+(?:para|pra)\s+" + _ART,
          r"(?:nos\s+)?(?:mudamos|mudamo-nos)\s+(?:para|pra)\s+" + _ART,
          # "we shifted to Pune", "a gente se mudou pra Campinas", "fomos morar em Natal"
          r"(?:" + _I + "|" + _WE + r")shifted\s+to\s+",
          r"a\s+gente\s+(?:se\s+)?mudou\s+(?:para|pra)\s+" + _ART,
          # "a gente mora em Vitória", "agora a gente vive no Recife": the household's home
          r"a\s+gente\s+(?:(?:agora|ja|hoje)\s+)?(?:mora|vive|esta\s+(?:morando|vivendo))\s+"
          r"(?:em|no|na|nos|nas)\s+",
          r"(?:eu\s+)?(?:fomos|fui|vim|viemos)\s+(?:morar|viver)\s+(?:em|no|na|para|pra)\s+",
          reject="a an"),  # "moved into a bigger flat" names no town
    rule("home", True, "The user lives in {value}.",
          _EU + r"vivo\s+(?:em|no|na|nos|nas)\s+",
          # "we're up in Auckland now", "(now) staying in Cyberjaya"
          r"(?:we(?:'re|\s+are)|i'?m)\s+" + _ADV + r"(?:up|down|over|out)\s+in\s+",
          r"(?:staying|living|based)\s+in\s+",
          max_words=4, names=True),
    rule("workplace", True, "The user works at {value}.",
          _I + r"work\s+(?:at|for)\s+", _IVE + r"(?:been\s+)?working\s+(?:at|for)\s+",
          _IM + r"(?:working|freelancing)\s+(?:at|for|through|with)\s+",
          _EU + r"trabalho\s+(?:em|no|na|nos|nas|para|pra)\s+" + _ART),
    # A new job: "I've joined Bluefin", "accepted an offer from X", "fui contratada pela X".
    rule("workplace", True, "The user works at {value}.",
          _IVE + r"(?:joined|started\s+(?:a\s+new\s+job\s+)?at|moved\s+to\s+work\s+at)\s+",
          r"started\s+(?:a\s+new\s+job\s+)?at\s+",
          _IVE + r"(?:accepted|took)\s+(?:an?\s+)?(?:job\s+)?offer\s+(?:from|at)\s+",
          _IVE + r"(?:been\s+)?(?:hired|taken\s+on)\s+(?:by|at)\s+",
          r"(?:eu\s+)?fui\s+contratad[oa]\s+(?:pel[oa]s?|para\s+(?:a|o)?|na|no|em)\s*",
          _EU + r"aceitei\s+(?:uma|a)\s+(?:proposta|oferta)\s+(?:de\s+(?:emprego|trabalho)\s+)?"
          r"(?:da|do|de|na|no)\s+",
          _EU + r"(?:entrei|comecei)\s+(?:a\s+trabalhar\s+)?(?:na|no|em|para\s+(?:a|o))\s+",
          _I + r"(?:got|landed|took|have|found)\s+(?:a\s+)?(?:new\s+)?job\s+(?:at|with)\s+",
          _IM + r"(?:now\s+)?running\s+", _I + r"teach\s+at\s+",
          r"(?:i\s+(?:have\s+)?)?resumed\s+(?:work\s+)?(?:at|with)\s+",
          r"(?:now\s+)?working\s+(?:at|for)\s+",
          r"(?:[^,;]*?\s)?(?:my\s+)?first\s+day\s+(?:at|with)\s+(?:the\s+)?",
          r"(?:[^,;]*?\s)?(?:o\s+)?(?:meu\s+)?primeiro\s+dia\s+(?:na|no|em)\s+",
          r"(?:eu\s+)?consegui\s+(?:um\s+)?(?:novo\s+)?emprego\s+(?:na|no|em)\s+",
          _EU + r"(?:estou|to|tou)\s+(?:a\s+trabalhar|trabalhando)\s+(?:na|no|em|para|pra)\s+",
          _EU + r"dou\s+aulas?\s+(?:na|no|em)\s+",
          max_words=4, names=True),
    # "Great Lakes Carriers poached me", "a Vale Norte contratou-me": the new employer first.
    rule("workplace", True, "The user works at {value}.",
          r"(?:(?:o|a)\s+)?(?P<value>[a-z0-9][\w&'.-]*(?:\s+[\w&'.-]+){0,3}?)\s+"
          r"(?:(?:just|finally|have|has|'ve)\s+)*(?:poached|hired|headhunted|recruited"
          r"|snapped\s+up|took\s+me\s+on|contratou|me\s+contratou|contratou-me)\b",
          max_words=4, names=True, whole=True),
    # "I've been made deputy principal", "I got promoted to head of design", "fui promovida a".
    rule("job", True, "The user is {value}.",
          _IVE + r"(?:been|got|was|were)\s+(?:made|promoted\s+to|appointed(?:\s+as)?)\s+"
          r"(?:(?:the|an?)\s+)?",
          r"(?:(?:just|finally)\s+)?(?:got\s+)?(?:promoted|bumped\s+up)\s+to\s+(?:(?:the|an?)\s+)?",
          # "I am no longer surveying they made me the safety officer", "puseram-me como chefe"
          r"(?:[^,;]*?\s)?they(?:'ve|\s+have)?\s+(?:just\s+|finally\s+)?(?:made|put)\s+me\s+"
          r"(?:(?:in\s+)?as\s+)?(?:(?:the|an?)\s+)?",
          r"(?:eles\s+)?(?:me\s+puseram|puseram-me|me\s+fizeram|fizeram-me)\s+(?:como|de)\s+"
          r"(?:(?:o|a)\s+)?",
          r"(?:eu\s+)?fui\s+(?:promovid[oa]\s+(?:a|para)|nomead[oa](?:\s+(?:para|como))?)"
          r"\s+(?:(?:o|a)\s+)?",
          max_words=4, reject=JOB_REJECT),
    # "At Brindle & Co we use…", "No Instituto Sol querem…", "Lá na Vidraria Norte a gente…":
    # the place the user's team is at (in Portuguese a one-word place may be a town).
    rule("workplace", True, "The user works at {value}.",
          r"(?:at\s+(?:the\s+)?|(?:la\s+|ca\s+)?(?:na|no)\s+(?=" + ORG + r"|\S+\s+(?!" + _TEAM
          + r")\S))(?P<value>.+?)\s+(?=" + _TEAM + ")",
          max_words=4, names=True, whole=True),
    # "aqui na Clínica Movimento", "here at Halden Build", "the boss at Sparkline": where
    # the user works, said in passing (a workplace's own word first, or a work word before).
    rule("workplace", True, "The user works at {value}.",
          r"(?:[^,;]*?\s)?(?:here\s+at|aqui\s+(?:na|no)|ca\s+(?:na|no))\s+(?=" + ORG + ")",
          r"(?:[^,;]*?\s)?(?:(?:my|our|the)\s+)?(?:office|boss|lab|team|clinic|shop|store|branch"
          r"|manager|practice|surgery|studio|site)\s+at\s+",
          max_words=4, names=True),
    HERE_IN,
    # "Good morning from Pune", "Slow morning in Minneapolis", "bom dia de Recife", "aqui de
    # Pelotas", "em casa em Sintra": a greeting from where the user is.
    rule("home", True, "The user lives in {value}.",
          r"(?:(?:good|lovely|slow|lazy|rainy|freezing|cold|hot|sunny|quiet|busy|early|grey|gray"
          r"|wet|windy|foggy|snowy)\s+)?(?:morning|afternoon|evening|night|greetings|hello|hi"
          r"|hiya|g'day)\s+(?:from|here\s+in)\s+",
          r"(?:(?:good|lovely|slow|lazy|rainy|freezing|cold|hot|sunny|quiet|busy|early|grey|gray"
          r"|wet|windy|foggy|snowy)\s+)(?:morning|afternoon|evening|night)\s+in\s+",
          r"(?:bom\s+dia|boa\s+tarde|boa\s+noite|ola|oi|saudacoes)\s+(?:de|do|da|desde)\s+",
          r"(?:writing|messaging|texting|typing)\s+(?:this\s+)?from\s+",
          r"(?:aqui|ca)\s+(?:de|do|da)\s+",
          r"(?:[^,;]*?\s)?(?:at\s+home|em\s+casa)\s+(?:in|em|no|na)\s+",
          max_words=3, names=True, reject=ORG_WORDS),
    rule("preference", False, "The user prefers {value}.",
          _I + r"prefer\s+", _EU + r"prefiro\s+" + _ART),
    rule("preference", False, "The user likes {value}.", _I + r"(?:like|enjoy)\s+",
          _EU + r"gosto\s+(?:(?:muito|imenso|bastante)\s+)?(?:de|do|da|dos|das)\s+"),
    rule("preference", False, "The user loves {value}.",
          _I + r"(?:love|adore)\s+", _EU + r"(?:adoro|amo)\s+" + _ART),
    rule("language", False, "The user speaks {value}.",
          _I + r"speak\s+(?:(?:fluent|some|a\s+little|a\s+bit\s+of)\s+)?",
          _EU + r"falo\s+(?:(?:fluentemente|bem|um\s+pouco\s+de)\s+)?",
          max_words=3, reject="a com contigo consigo serio muito demais sobre de do da dos das"),
)
# fmt: on
