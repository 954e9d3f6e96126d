"""The words that hold a colour, a street or a date, for the finer details asked of them (pure).

"What's my favourite colour?" is not answered by "cataplana, the dish I like best": a
favourite told is not every favourite, and the colour asked must be in the passage. "Which
street do we live on?" is not answered by the town; "when is my wedding?" not by a message
that only mentions the wedding. `graph.asked_detail` asks a passage to hold such a detail
in these words (accent-folded, English and Portuguese) before it is quoted.
"""

from __future__ import annotations

import re

from text.words import fold

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
