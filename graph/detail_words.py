"""The words that hold a colour, a street, a date, a number or a name, for the details asked (pure).

"What's my favourite colour?" is not answered by "cataplana, the dish I like best": a
favourite told is not every favourite, and the colour asked must be in the passage. "Which
street do we live on?" is not answered by the town; "when is my wedding?" not by a message
that only mentions the wedding. `graph.asked_detail` asks a passage to hold such a detail
in these words (accent-folded, English and Portuguese) before it is quoted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from text.kin import PEOPLE
from text.words import fold

# A capitalised word (not "I", "I'm"): the form of a name.
CAPITAL = r"(?!I\b|I['’])[A-ZÀ-ÖØ-Þ][\w'’-]+"

COLOUR_ASKED = r"colou?rs?|cor|cores"
_COLOURS = (
    r"colou?rs?|cor|cores|red|blue|green|yellow|orange|purple|violet|pink|black|white|grey|gray"
    r"|brown|beige|light|dark|(?:modo|tema) (?:claro|escuro)|turquoise|teal|navy|maroon|lilac"
    r"|lavender|gold|golden|silver|crimson"
    r"|scarlet|magenta|cyan|indigo|vermelh[oa]s?|azul|azuis|verdes?|amarel[oa]s?|laranja"
    r"|roxos?|roxas?|rosa|pretos?|pretas?|negros?|brancos?|brancas?|cinzas?|cinzentos?"
    r"|castanhos?|marrom|lilas|dourad[oa]s?|prateados?|bordo|violeta|turquesa|anil|carmim"
)

STREET_ASKED = r"streets?|road|avenue|address|postcode|zip code|rua|avenida|morada|endereco"
# A street named: "Mill Road", "12 Elm St", "Rua das Flores", "Avenida da Liberdade". Read in
# the original text: "ando na rua" (out on the streets) names none.
_STREET = re.compile(
    r"\b[A-Z][\w'’-]+\s+(?:Street|St|Road|Rd|Avenue|Ave|Lane|Drive|Close|Crescent|Way|Terrace"
    r"|Place|Grove|Court)\b"
    r"|\b\d+\s+[A-Z][\w'’-]+\s+[A-Z]?\w+"
    r"|\b(?:[Rr]ua|[Aa]venida|[Tt]ravessa|[Ee]strada|[Ll]argo|[Pp]raça|[Aa]lameda|[Bb]eco)"
    r"\s+(?:(?:d[aoe]s?|of)\s+)?[A-ZÀ-ÖØ-Þ\d]"
)

# When something happens, asked ("when is", "what date", "em que dia", "quando"); the
# birthday detail is read before this one. "When" opens the question or follows a verb of
# knowing: "the food I like best when we go to the village?" asks a food.
DATE_ASKED = (
    r"(?:^\W*|(?:know|remember|tell me|recall|sabes|sabe|lembras?|lembra-te|diz-me|me diz)"
    r"\s+)(?:when|quando)|what date|which date|what day|which day|the date|(?:em )?que dia"
    r"|que data|qual (?:e )?a data|a data d[oa]"
)
_DATE = re.compile(
    r"\b(?:\d{1,4}(?:st|nd|rd|th|º|ª)?|january|february|march|april|may|june|july|august"
    r"|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec"
    r"|janeiro|fevereiro|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro"
    r"|dezembro|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mondays|tuesdays"
    r"|wednesdays|thursdays|fridays|saturdays|sundays|weekends?|segundas?|tercas?|quartas?"
    r"|quintas?|sextas?|sabados?|domingos?|fins? de semana|tomorrow|tonight|today|yesterday"
    r"|next (?:week|month|year|spring|summer|autumn|fall|winter)|this (?:week|month|year)"
    r"|amanha|hoje|ontem|(?:semana|mes|ano) que vem|proxim[oa] (?:semana|mes|ano)"
    r"|spring|summer|autumn|winter|primavera|verao|outono|inverno|christmas|natal|easter"
    r"|pascoa)\b"
)


def names_colour(text: str) -> bool:
    """Return whether `text` names a colour (or says "colour")."""
    return re.search(rf"\b(?:{_COLOURS})\b", fold(text)) is not None


def names_street(text: str) -> bool:
    """Return whether `text` names a street, or gives an address in those words."""
    return (
        _STREET.search(text) is not None
        or re.search(r"\b(?:address|postcode|morada|endereco)\b", fold(text)) is not None
    )


def names_date(text: str) -> bool:
    """Return whether `text` says when: a number, a month, a weekday, a season, "tomorrow"."""
    return _DATE.search(fold(text)) is not None


# A number or code of the user's asked: a plate, a registration, a document's number, a blood
# group, a rating, a size. "Number" alone is no such ask ("my number one food?").
IDENTIFIER_ASKED = (
    r"(?:phone|mobile|cell|house|flat|passport|licen[cs]e|account|policy|customer|membership"
    r"|member|id|tax|registration|reg) numbers?|(?:number|licen[cs]e|registration) plates?|placa"
    r"|matricula|cpf|nif|niss|nib|iban|passaporte|blood (?:group|type)|(?:tipo|grupo) sanguineo"
    r"|(?:chess |golf )?(?:rating|handicap)|(?:what|which) size|sizes? (?:of )?(?:shoes?|clothes)"
    r"|(?:shoe|dress|ring|shirt|clothes|clothing) sizes?|tamanho|que numero (?:calco|visto)"
    r"|(?:numero|n[º°]) d[eoa]s? (?:(?:meu|minha|nosso|nossa)\s+)?\w+"
)
_BLOOD_GROUP = r"\b(?:a|b|ab|o)\s*(?:[+-]|(?:rh\s*)?(?:positiv|negativ|pos\b|neg\b))"


def holds_identifier(text: str) -> bool:
    """Return whether `text` holds a number or a code: a digit, a blood group, a size ("XL")."""
    folded = fold(text)
    return re.search(rf"\d|{_BLOOD_GROUP}|\b(?:x{{1,3}}[sl])\b", folded) is not None


# The name of one of the user's things asked: "what's the name of my boat?", "what's our van
# called?", "qual é o nome da minha carrinha?", "como se chama o meu ateliê?". One word after
# the possessive is the thing; "the practice that employs me" is no thing of the user's.
_MINE = r"(?:my|our|meu|minha|nosso|nossa|meus|minhas|nossos|nossas)"
_THING = r"([a-z][\w-]+)"
_THING_NAME_ASKED = (
    re.compile(rf"\b(?:name of|names? for|call|called)\s+{_MINE}\s+{_THING}"),
    re.compile(rf"\b{_MINE}\s+{_THING}(?:['’]s\s+name|\s+(?:called|named)\b)"),
    re.compile(rf"\bnomes? d[oa]s?\s+{_MINE}\s+{_THING}"),
    re.compile(rf"\bchama(?:-se)?\s+(?:(?:o|a)\s+)?{_MINE}\s+{_THING}"),
    re.compile(rf"\b{_MINE}\s+{_THING}\s*,?\s*(?:como\s+)?(?:se\s+)?chama\b"),
)
_NAME_WORDS = frozenset(
    "name names nickname surname username nome nomes apelido sobrenome alcunha".split()
)


def thing_name_asked(question: str) -> str | None:
    """Return the thing of the user's whose name `question` asks (folded), or None.

    Not a person (their names are read by kind, `graph.asked_detail`) and not the user's own
    name; the caller reads an animal asked before this.
    """
    folded = fold(question)
    for pattern in _THING_NAME_ASKED:
        match = pattern.search(folded)
        if match is None:
            continue
        thing = match.group(1)
        if thing in _NAME_WORDS or re.fullmatch(rf"(?:{PEOPLE})", thing):
            return None
        return thing
    return None


@lru_cache(maxsize=64)
def named_beside(kind: str) -> Callable[[str], bool]:
    """Return a test of whether a text names someone or something of `kind`, not only mentions one.

    Named: "my sister Isla", "Gonçalo (o meu namorado)", "a minha irmã chama-se Ana", or as
    a stored fact says it ("The user's sister is called Isla.", "irmã do usuário: Ana.").
    Mentioned: "my sister's greyhound Rocket" (the name is the dog's).
    """
    joins = r"\s*(?:,|\(|\s)\s*(?:(?:a|o)\s+)?"
    says = r"\s+(?:is called|is named|'s name is|se chama|chama-se|que se chama|do usuario:)\s+"
    word = r"[\w'’-]+"
    # Lookaheads: every place is tried ("twin sister Isla" after "twin" fails on "sister").
    after = re.compile(rf"(?=\b(?:{kind})(?:{says}|{joins})({word}))")
    mine = r"(?:my|our|a minha|o meu|minha|meu|a nossa|o nosso|nossa|nosso)"
    before = re.compile(rf"(?=\b({word})\s*(?:,|\()\s*{mine}\s+(?:{kind})\b)")

    def named(text: str) -> bool:
        folded = fold(text)  # as long as `text`: a match's span reads the original's capitals
        for pattern in (after, before):
            for match in pattern.finditer(folded):
                start, end = match.span(1)
                if re.fullmatch(CAPITAL, text[start:end]):
                    return True
        return False

    return named


# A name given in words anywhere in a passage ("we have a rat, her name is Kluska").
# Read in the folded text; the word's capital in the original (folding keeps the length).
_GIVES_NAME = re.compile(
    r"\b(?:called|named|name is|name's|chamad[oa]|chama-se|se chama|nome e)"
    r"\s+(?:(?:him|her|it|them)\s+)?([\w'’-]+)"
)


# A name put beside something of the user's, whatever it is called there ("Stumpy's our
# galah", "a Pantufa — a nossa coelha anã", "O Poncha, o nosso canário" for "our bird?",
# "meu cavalo tordilho é o Guri" for "o meu crioulo?").
_MINE_ANY = r"(?:my|our|minha|meu|nossa|nosso)\s+[\w-]+"
_NAMES_OWN = re.compile(
    r"\b([\w'’-]+)\s*(?:,|\(|[-–—]|['’]s\b|\s+is\b|\s+e\b)\s*(?:(?:a|o)\s+)?"
    rf"{_MINE_ANY}|\b{_MINE_ANY}(?:\s+[\w-]+)?\s+(?:is|e)\s+(?:(?:a|o|the)\s+)?([\w'’-]+)"
)


def names_thing(thing: str) -> Callable[[str], bool]:
    """Return a test of whether a text names the user's `thing` ("the boat Gaivota").

    Beside it, in the words that give a name ("we have a rat, her name is Kluska"), or as
    something of the user's by another word ("o Poncha, o nosso canário" names the bird
    asked); "I'm a charter boat captain" mentions a boat and names none.
    """
    beside = named_beside(rf"{re.escape(thing)}\w{{0,2}}(?:\s+(?:called|named))?")

    def named(text: str) -> bool:
        folded = fold(text)
        return beside(text) or any(
            re.fullmatch(CAPITAL, text[m.start(g) : m.end(g)])
            for pattern in (_GIVES_NAME, _NAMES_OWN)
            for m in pattern.finditer(folded)
            for g in range(1, pattern.groups + 1)
            if m.group(g)
        )

    return named
