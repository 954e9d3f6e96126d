"""What a question asks of someone else, and whether a passage says it of them (pure).

"Which college does my husband teach at?" is not answered by "my husband Rashed teaches at
a college": the passage names him and his job, not the college. "Where does my husband
work?" is not answered by a profile line that lists the user's own work beside "husband
Prashanth". Two checks, both read in the words of either language (accent-folded):

- the part of a passage about the relative (`about_them`): from the clause naming them to
  the end of its sentence, and the sentences after it that go on about them ("She's a
  nurse"), up to a clause the user speaks of themselves in; what it says of them is read
  as the user would say it of themselves ("he's a scaffolder" as "I'm a scaffolder");
- the thing asked of them (`thing_asked`: "which college", "his bus route", "em que
  hospital"): that part must name it, not merely mention one ("a college", "um hospital"),
  or, asked a place ("em que cidade"), name one after a preposition.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from text.kin import PEOPLE
from text.words import fold

# Words that say what is asked, not which thing: the attribute rules read these ("what's
# my husband's job?" is a job, "what's her name?" a name).
_GENERIC = frozenset(
    "name names called job jobs work works working do does did profession career trade "
    "kind sort type thing things one age old living for nome nomes chama chamado chamada "
    "trabalho trabalha trabalhar faz fazia profissao oficio emprego ramo area tipo coisa idade "
    "anos e eh esta era foi sao tem again now nowadays today these days currently exactly "
    "then please right anyway remind mesmo agora hoje entao ai la atualmente se eu ele ela voce "
    "tu lhe que qual quais".split()
)
# Things that are places: a place named after "in", "em", "from"... answers them.
_PLACES = re.compile(
    r"^(?:city|cities|town|village|country|state|county|suburb|neighbou?rhood|area|island"
    r"|cidade|vila|aldeia|pais|estado|bairro|ilha|terra|regiao|concelho|freguesia|zona)$"
)
_WORD = r"[\w'’-]+"
_ASKED = (
    # "which college does", "what subject did", "what bus route is"
    re.compile(
        rf"\b(?:which|what)\s+(?:kind of\s+|sort of\s+|type of\s+)?({_WORD}(?:\s+{_WORD})?)"
        r"\s+(?:does|did|do|is|was|are|were|has|had)\b"
    ),
    # "my husband's bus route", "her college"
    re.compile(rf"\b(?:(?:{PEOPLE})['’]s|his|her|their)\s+({_WORD}(?:\s+{_WORD})?)\s*[?.!]*$"),
    # "em que hospital", "qual é a matéria", "que escola"
    re.compile(
        r"(?<!\bo )(?<!\be )\b(?:(?:em|de|para|por|com)\s+)?(?:qual|que|quais)\s+(?:e\s+)?"
        rf"(?:[oa]s?\s+)?({_WORD})"
    ),
)
# A question asking who ("who ate my boyfriend's shoe?") asks no thing of them.
_ASKS_WHO = re.compile(r"^\W*(?:who|whom|quem)\b")
# A clause of the user's own: the passage has moved on from the relative.
_OWN_CLAUSE = re.compile(r"^\W*(?:and |but |e |mas )?(?:i|i'm|im|i've|eu|sou|estou|tenho)\b")
# A sentence that goes on about the person named before it.
_GOES_ON = re.compile(r"^\W*(?:he|she|they|his|her|ele|ela|eles|elas)\b")
_CLAUSE = re.compile(r"[,;()\u2014\u2013]|\s-\s")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# A capitalised word that is a name, not a sentence's opening word or a pronoun.
_CAPITAL = re.compile(r"(?<![.!?]\s)(?<!^)\b(?!I\b|I['’])[A-ZÀ-ÖØ-Þ][\w'’-]+")
_PARTICLE = r"(?:of|de|do|da|dos|das)"
_INDEFINITE = r"(?:a|an|some|any|um|uma|uns|umas|algum|alguma)"
_ORGANISATION_PREPOSITIONS = r"(?:at|for|with|pela|pelo|na|no|nas|nos|para a|para o)"
_PLACE_PREPOSITIONS = r"(?:in|at|from|near|em|no|na|de|do|da|perto de)"


@dataclass(frozen=True)
class Thing:
    """A thing asked of someone ("college", "bus route") and whether it is a place."""

    words: str
    place: bool

    def held(self, text: str) -> bool:
        """Return whether `text` names the thing, not merely mentions one."""
        return self.named(text) or self.placed(text)

    def named(self, text: str) -> bool:
        """Return whether `text` says the thing's word with its name ("Mayo Hospital")."""
        head = self.words.split()[-1]
        stem = re.escape(head[: max(4, len(head) - 2)])
        beside = re.compile(rf"(?:{_CAPITAL.pattern}\s+$|^\s+(?:{_PARTICLE}\s+)*[A-ZÀ-ÖØ-Þ])")
        for match in re.finditer(rf"\b{stem}\w*", fold(text)):
            before = fold(text[: match.start()]).split()[-1:]
            if before and re.fullmatch(_INDEFINITE, before[0]):
                continue  # "teaches at a college": which one is not said
            # Named by a capitalised word beside it ("Mayo Hospital", "Hospital de São
            # João", "Colégio Sepé"), or capitalised itself ("the Rarawai Mill").
            if (
                beside.search(text[max(0, match.start() - 30) : match.start()])
                or beside.search(text[match.end() : match.end() + 30])
                or text[match.start()].isupper()
            ):
                return True
        return False

    def placed(self, text: str) -> bool:
        """Return whether `text` names something where the thing would be ("works at Boots").

        A place asked takes a name after "in", "em", "from"...; anything else one after
        "at", "for", "na"... ("enfermeira no Porto" reads as one too: callers ask for the
        words that state what is asked as well).
        """
        before = _PLACE_PREPOSITIONS if self.place else _ORGANISATION_PREPOSITIONS
        return any(
            re.search(rf"\b{before}\s+$", fold(text[max(0, m.start() - 12) : m.start()]))
            for m in _CAPITAL.finditer(text)
        )


def thing_asked(question: str) -> Thing | None:
    """Return the thing a question about someone else asks of them, or None.

    None for what the attribute rules read ("what does my wife do?", "her name?"), and
    when the question asks who.
    """
    folded = fold(question)
    if _ASKS_WHO.match(folded):
        return None  # "who ate my boyfriend's shoe?" asks who, not which shoe
    for pattern in _ASKED:
        match = pattern.search(folded)
        if match is None:
            continue
        words = [w for w in match.group(1).split() if w not in _GENERIC]
        if words and not re.fullmatch(PEOPLE, words[-1]):
            return Thing(" ".join(words), bool(_PLACES.match(words[-1])))
    return None


def about_them(text: str, kind: str) -> str:
    """Return the part of `text` about the relative of `kind` (a `text.kin` alternation).

    From the clause naming them to the end of its sentence, with the sentences after it
    that go on about them, cut at a clause the user speaks of themselves in: "husband
    Prashanth, dog Benne" says nothing of his work, though the line before says the user's.
    """
    said = []
    keep = False
    named = re.compile(rf"\b(?:{kind})\b")
    for sentence in _SENTENCE.split(text):
        folded = fold(sentence)
        found = named.search(folded)
        if found is None:
            if not (keep and _GOES_ON.match(folded)):
                keep = False
                continue
            start = 0
        else:
            keep = True
            cuts = [m.end() for m in _CLAUSE.finditer(folded[: found.start()])]
            start = cuts[-1] if cuts else 0
        rest = sentence[start:]
        parts = _CLAUSE.split(rest)
        kept = [parts[0]]
        for part in parts[1:]:
            if _OWN_CLAUSE.match(fold(part)):
                keep = False
                break
            kept.append(part)
        said.append(", ".join(kept))
    return " ".join(said)


def of_relative(
    kind: str, thing: Thing | None, states: Callable[[str], bool] | None
) -> Callable[[str], bool]:
    """Return a test of whether a passage says of the relative of `kind` what is asked.

    `states`: whether a text states the attribute asked of them (their job, home...);
    `thing`: the thing asked of them, which the part about them must name: with its word
    ("Mayo Hospital"), or after a preposition in a part that states what is asked.
    """

    def held(text: str) -> bool:
        theirs = about_them(text, kind)
        if not theirs.strip():
            return False
        if thing is not None and thing.named(theirs):
            return True  # "teaches at Lincoln College"
        stated = states is None or states(theirs) or states(_in_first_person(theirs))
        return stated and (thing is None or thing.placed(theirs))

    return held


# "he's a keke rider", "my son Gerard is a fisherman", "Earl was a coal miner": said of them
# as the user would say it of themselves ("I'm a keke rider"), which the words of a job read.
_THEY_ARE = re.compile(r"\b(?:(?:he|she)(?:'s|’s)|is|was)\s+(?=an?\s)", re.IGNORECASE)


def _in_first_person(text: str) -> str:
    """Return `text` with "he's a…", "is an…", "was a…" put as "I'm a…"."""
    return _THEY_ARE.sub("I'm ", text)


# Someone asked of by name: "does Shivanie", "Leanne's", "do Afonso", "trabalha a Nazaré".
_PERSON = re.compile(
    r"\b(?:does|did|is|was|has|do|da)\s+([A-ZÀ-ÖØ-Þ][\w'’-]+)"
    r"|\b([A-ZÀ-ÖØ-Þ][\w-]+)['’]s\b"
    r"|\b(?:trabalha|faz|mora|vive|ensina|estuda)\s+(?:[oa]\s+)?([A-ZÀ-ÖØ-Þ][\w'’-]+)"
)

_MINE = re.compile(r"\b(?:my|meu|minha)\b")
# The user speaking of themselves: "que eu adoro", "que desporto faço com o meu namorado?".
_USER_SPEAKS = re.compile(
    r"\b(?:i|i'm|i've|me|eu|gosto|adoro|curto|prefiro|amo|moro|vivo|trabalho|sou|tenho|estou"
    r"|faco|jogo|pratico|ando)\b"
)


# A relative only addressed at the end of a question ("Lembras o meu nome, irmão?",
# "what's my name again, bro?") is no one asked about.
_ADDRESS = re.compile(
    rf",\s*(?:(?:{PEOPLE})|bro|mate|man|dude|love|mano|cara|querid[oa]|filho|filha)\W*$"
)


def without_address(question: str) -> str:
    """Return `question` without a relative or friend it only addresses at its end."""
    found = _ADDRESS.search(fold(question))  # as long as `question`: its span cuts it
    return question if found is None else f"{question[: found.start()]}?"


def user_speaks(question: str) -> bool:
    """Return whether the user speaks of themselves in `question` (first person, not "my")."""
    return _USER_SPEAKS.search(fold(question)) is not None


def person_asked(question: str, known: frozenset[str]) -> str | None:
    """Return the name of someone other than the user a question asks about, or None.

    "Where does Prashanth work?" asks his workplace, whoever he is to the user; `known`:
    the names (folded) that are the user's own. Not when the user is in the question
    ("em que terra da Madeira moro?") or the person is not who is asked of ("who ate
    Werner's shoe?").
    """
    if _ASKS_WHO.match(fold(question)) or user_speaks(question) or _MINE.search(fold(question)):
        return None
    for match in _PERSON.finditer(question):
        name = next(g for g in match.groups() if g)
        if match.start() > 0 and fold(name) not in known:
            return name
    return None
