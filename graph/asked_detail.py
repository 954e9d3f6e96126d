"""The finer detail a question about the user asks, and whether a passage holds it (pure).

Knowing an attribute is not knowing every detail of it: the first name told does not give
the surname, a sister told does not give a brother, the sport played does not give the team
supported. A question that asks such a detail is answered only from a passage that holds it
(the responder says it does not know otherwise), however surely the passage states the
attribute. Each detail is read from the question's words (accent-folded, English and
Portuguese) and checked in the passage by its form (a name of several words) or by the
words of the same kind (any word for a sibling answers "brothers and sisters?").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from graph.animal_kinds import animal_asked
from graph.detail_words import (
    CAPITAL,
    COLOUR_ASKED,
    DATE_ASKED,
    IDENTIFIER_ASKED,
    STREET_ASKED,
    holds_identifier,
    named_beside,
    names_colour,
    names_date,
    names_street,
    names_thing,
    thing_name_asked,
)
from graph.relative_detail import (
    of_relative,
    person_asked,
    thing_asked,
    user_speaks,
    without_address,
)
from memory.fact_questions import asked_attributes
from memory.fact_questions import states as states_words
from retrievers.types import Candidate
from text.kin import CHILDREN, KIN_OF, PARENTS, PARTNER, RELATIVES, SIBLINGS
from text.words import fold

# A capitalised word (not "I", "I'm"), and the particles that join the parts of a name
# ("Jess van der Berg", "Marcos dos Santos").
_PARTICLE = r"(?:van|von|der|den|de|da|das|do|dos|di|du|del|la|le|bin|e)"
_NAME = re.compile(rf"{CAPITAL}(?:\s+(?:{_PARTICLE}\s+)*{CAPITAL})+")
_PARTICLES = re.compile(rf"^{_PARTICLE}$")


def _name_words(text: str, known: frozenset[str] = frozenset()) -> int:
    """Return the most words (particles aside) of a run of capitalised words in `text`.

    With the user's `known` first names (folded), only a run holding one of them counts:
    "Clínica Pata Amiga" or "Denver Fire Department" is no surname of Rafaela's or Jake's.
    """
    runs = (m.group(0).split() for m in _NAME.finditer(text))
    if known:
        runs = (run for run in runs if known & {fold(w) for w in run})
    return max((sum(not _PARTICLES.match(w) for w in run) for run in runs), default=1)


def _words(pattern: str) -> Callable[[str], bool]:
    found = re.compile(rf"\b({pattern})\b")
    return lambda text: found.search(fold(text)) is not None


# Kinds of relative, in the words of either language (`text.kin`); a word of the kind asked
# answers it ("irmãos" is brothers or siblings: either kind answers it; a twin is either).
_ANY_SIBLING = r"siblings?|brothers? (?:and|or) sisters?|sisters? (?:and|or) brothers?|irmaos"
_BROTHERS = r"brothers?|irmao|irmaos|siblings?|twins?|gemeos?"
_SISTERS = r"sisters?|irmas?|siblings?|twins?|gemeas?"
# What a question may ask of a relative besides their name, by the words that state it.
_OF_RELATIVES = ("job", "workplace", "age", "home", "pet", "hobby", "allergy", "health")
# What someone does, asked without a word of a trade: "what does my husband do at his
# office?", "what does Usman specialise in?", "o que é que a minha mulher faz?".
_DOES = (
    r"what (?:does|did|do) (?:[\w'’]+ ){1,3}do\b|speciali[sz]\w*|especializ\w*"
    r"|o que (?:e que )?(?:[\w'’]+ ){1,3}faz\b|o que faz\b"
    r"|(?:em|com) que (?:e que )?(?:[\w'’]+ ){0,3}trabalha\b"
)
_TEAM = r"teams?|clubs?|equipas?|clubes?|(?:que|qual|meu|o meu) time"
_SUPPORTS = (
    r"teams?|clubs?|fan|fans|supporter|supports?|supporting|season ticket|equipas?|clubes?"
    r"|time|torc\w*|adept\w*|socio"
)


# The user's own age or birthday: a number beside them, not a pet's age ("ele tem 22 anos")
# nor years in a trade ("sou canalizador há 30 anos").
_OWN_AGE = (
    r"(?:i'?m|i am|i turned|i turn|turning|tenho|fiz|faco|completei|vou fazer|user is"
    r"|usuario tem)\s+\d{1,3}\b|\bage\b|\bidade\b"
)
_NUMBER = (
    r"\d+|none|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen"
    r"|twins|nenhum|nenhuma|dois|duas|tres|quatro|cinco|seis|sete|oito|nove|dez|onze|doze"
    r"|duzia|gemeos|gemeas|unic[oa]|only one|so um|so uma"
)


@dataclass(frozen=True)
class Detail:
    """A finer detail of an attribute: how a question asks it, how a passage holds it.

    `animal`: the detail is of the animal a question names ("what's my cat called?");
    `someone`: of someone the question names who is not the user ("where does Ana work?");
    `thing`: the name of a thing of the user's ("what's my boat called?").
    """

    name: str
    asked: Callable[[str], bool]
    held: Callable[[str], bool]
    animal: bool = False
    someone: bool = False
    thing: bool = False


DETAILS: tuple[Detail, ...] = (
    Detail(
        "middle name",
        _words(r"middle names?|nome do meio|segundo nome"),
        lambda text: _name_words(text) >= 3,
    ),
    Detail(
        "surname",
        # "Apelido" is the surname in Portugal (a nickname in Brazil: no first name either).
        _words(r"surname|last name|family name|full name|sobrenome|apelido|nome completo"),
        lambda text: _name_words(text) >= 2,
    ),
    Detail("siblings", _words(_ANY_SIBLING), _words(SIBLINGS)),
    Detail("brother", _words(r"brothers?|irmao"), _words(_BROTHERS)),
    Detail("sister", _words(r"sisters?|irmas?"), _words(_SISTERS)),
    Detail("children", _words(CHILDREN), _words(CHILDREN)),
    Detail("parents", _words(PARENTS), _words(PARENTS)),
    Detail("partner", _words(PARTNER), _words(PARTNER)),
    Detail("relatives", _words(RELATIVES), _words(RELATIVES)),
    Detail("team", _words(_TEAM), _words(_SUPPORTS)),
    Detail(
        "age",
        _words(r"how old am i|my age|minha idade|quantos anos (?:\w+ )*tenho|que idade tenho"),
        _words(_OWN_AGE),
    ),
    # A count asked ("quantos alunos tenho?") needs a number: "posso partilhar notas com os
    # alunos?" names pupils and counts none.
    Detail("count", _words(r"how many|how much|quant[oa]s|quanto(?! a\b| ao\b)"), _words(_NUMBER)),
    # A number or a code asked needs one (`graph.detail_words`).
    Detail("identifier", _words(IDENTIFIER_ASKED), holds_identifier),
    Detail(
        "birthday",
        _words(r"birthdays?|bday|aniversarios?|born|nasc\w+"),
        _words(r"birthdays?|bday|aniversarios?|born|nasc\w+|anos em"),
    ),
    # A favourite told is not every favourite; the town is not the street; a wedding named
    # is not its date (`graph.detail_words`).
    Detail("colour", _words(COLOUR_ASKED), names_colour),
    Detail("street", _words(STREET_ASKED), names_street),
    Detail("date", lambda q: re.search(DATE_ASKED, fold(q)) is not None, names_date),
)
# Details of the user's life: a manual page answers them in its own words, if at all.
_OF_LIFE = frozenset({"colour", "street", "date", "identifier"})
_KIN = frozenset({"siblings", "brother", "sister", "children", "parents", "partner", "relatives"})
_KINDS = {
    "siblings": SIBLINGS,
    "brother": _BROTHERS,
    "sister": _SISTERS,
    "children": CHILDREN,
    "parents": PARENTS,
    "relatives": RELATIVES,
    "partner": PARTNER,
}
_ASKS_NAME = _words(r"called|names?|named|chama|chamam|chamad[oa]|nomes?")
_NAMES = frozenset({"middle name", "surname"})


def asked_detail(question: str, known_names: Iterable[str] = ()) -> Detail | None:
    """Return the finer detail `question` asks of an attribute, or None (most asks).

    A relative named ("what does my husband do?", "a profissão da minha esposa") makes what
    is asked theirs: a passage must name that kind of relative, and state what is asked of
    them in its words ("my husband Sipho wants an account" says nothing of his job; the
    user's own job is not his). Their name asked ("what's my sister called?"), a passage
    must give a name beside the relative. `known_names`: the user's names stored as facts;
    a surname or middle name is then looked for only in a name holding one of them.
    """
    detail = next((d for d in DETAILS if d.asked(question)), None)
    if detail is None or detail.name in ("age", "birthday"):
        # The animal asked comes before its age or birthday ("when is my dog's birthday?"
        # asks the dog's: a passage must name a dog, and a birthday).
        animal = animal_asked(question)
        if animal is not None:
            if detail is None:
                return Detail(animal.name, animal.asked, animal.held, animal=True)
            held = detail.held
            return Detail(
                f"{animal.name}'s {detail.name}",
                animal.asked,
                lambda t: animal.held(t) and held(t),
                animal=True,
            )
    if detail is None:
        thing = thing_name_asked(question)
        if thing is not None:  # "what's my boat called?" asks the boat's name, not a boat
            named = names_thing(thing)
            return Detail(f"{thing}'s name", _words(re.escape(thing)), named, thing=True)
        return _of_person(question, known_names)
    if detail.name in _NAMES:
        known = frozenset(fold(w) for name in known_names for w in name.split())
        least = 3 if detail.name == "middle name" else 2
        return Detail(detail.name, detail.asked, lambda text: _name_words(text, known) >= least)
    if detail is None or detail.name not in _KIN:
        return detail
    asked = {a.partition(":")[0] for a in asked_attributes(question)}
    of_them = [a for a in _OF_RELATIVES if a in asked or states_words(question, a)]
    if not set(of_them) - {"home"} and _words(_DOES)(question):
        # Nothing else asked of them: what they do is their job ("for a living" is no home).
        of_them = ["job"]
    # A thing asked of them ("which college does my husband teach at?", "em que hospital
    # trabalha a minha irmã?") must be named in what the passage says of them; an animal's
    # kind or breed is read by `graph.animal_kinds`.
    # A liking asked is the user's ("o prato da Glória de que mais gosto?", "que prato a
    # minha mãe faz que eu adoro?").
    mine = user_speaks(question) or any(a.startswith("favourite") for a in asked)
    thing = None if animal_asked(question) or mine else thing_asked(question)
    kind = _KINDS[detail.name]
    if not of_them:
        if thing is not None:
            theirs = of_relative(kind, thing, None)
            return Detail(
                f"{detail.name}'s {thing.words}",
                detail.asked,
                lambda text: detail.held(text) and theirs(text),
            )
        # "What's my boyfriend called?" asks the partner attribute itself, however they
        # were named ("Rory, my fella"); a sibling asked is a detail of the family told.
        if detail.name == "partner":
            return None
        if _ASKS_NAME(question):
            named = named_beside(kind)
            return Detail(f"{detail.name}'s name", detail.asked, named)
        return detail
    # What is asked of them must be said of them: "name Shwetha, work yoga instructor,
    # husband Prashanth" states the user's work, not his. Asked of the user with them ("que
    # desporto faço com o meu namorado?"), anywhere in the passage.
    stated = lambda text: any(states_words(text, a) for a in of_them)  # noqa: E731
    said = stated if mine else of_relative(kind, thing, stated)
    return Detail(
        f"{detail.name}'s {'/'.join(of_them)}",
        detail.asked,
        lambda text: detail.held(text) and said(text),
    )


def _of_person(question: str, known_names: Iterable[str]) -> Detail | None:
    """Return what a question asks of someone it names who is not the user, or None.

    "Where does Prashanth work?" is not answered by the user's own workplace: the passage
    must name him and say where he works. Animals asked by name ("Which breed is Appu?")
    are the user's pets: their kind and breed are read as usual.
    """
    asked = {a.partition(":")[0] for a in asked_attributes(question)}
    if asked & {"pet", "name", "favourite", "preference", "hobby"}:
        return None
    known = frozenset(fold(w) for name in known_names for w in name.split())
    person = person_asked(question, known)
    if person is None:
        return None
    of_them = [a for a in _OF_RELATIVES if a in asked or states_words(question, a)]
    if not set(of_them) - {"home"} and _words(_DOES)(question):
        of_them = ["job"]
    thing = thing_asked(question)
    if not of_them and thing is None:
        return None
    said = of_relative(
        re.escape(fold(person)),
        thing,
        (lambda text: any(states_words(text, a) for a in of_them)) if of_them else None,
    )
    what = "/".join(of_them) or (thing.words if thing else "")
    return Detail(f"{person}'s {what}", _words(re.escape(fold(person))), said, someone=True)


def names_relative(text: str, attributes: Iterable[str]) -> bool:
    """Return whether `text` names a relative an asked attribute is about.

    "My husband Karthik wants a login" and "Ciaran, my other half, says hi" tell who the
    partner is, whatever else the message is about and however little the words of a
    statement rule or the classifier's labels say so.
    """
    kinds = {KIN_OF.get(a.partition(":")[0]) for a in attributes} - {None}
    return any(named_beside(kind)(text) for kind in kinds if kind)


def as_kin(question: str, context: Iterable[Candidate]) -> str:
    """Return `question` with the relatives' names it uses replaced by the word for them.

    "What does Darren do for work?" asks what "my husband" does when a stored fact says
    "The user's husband is called Darren." ("Marido do usuário: Wagner."): the detail
    asked is then the husband's job, which a passage must hold, not the user's job nor a
    manual page on "work". Unchanged when no stored relative's name is in it; a relative only
    addressed at its end ("Lembras o meu nome, irmão?") is dropped.
    """
    question = without_address(question)
    for cand in context:
        attribute = str(cand["metadata"].get("attribute") or "")
        value = str(cand["metadata"].get("value") or "")
        if cand["source"] != "facts" or attribute.partition(":")[0] not in KIN_OF or not value:
            continue
        kind = re.search(rf"\b(?:{KIN_OF['partner']}|{KIN_OF['family']})\b", fold(cand["content"]))
        name = re.compile(rf"\b{re.escape(value)}(['\u2019]s)?\b")
        if kind and name.search(question):
            # "Sitiveni's bus route" is "my husband's bus route".
            mine = f"my {kind.group(0)}"
            question = name.sub(lambda m, mine=mine: f"{mine}{m.group(1) or ''}", question)
    return question


def asks_name(question: str) -> bool:
    """Return whether `question` asks what someone or something is called."""
    return _ASKS_NAME(question)


def asks_relative(detail: Detail | None) -> bool:
    """Return whether the detail asked is a relative's or something of theirs."""
    return detail is not None and (detail.someone or detail.name.partition("'")[0] in _KIN)


def holds(detail: Detail | None, cand: Candidate) -> bool:
    """Return whether `cand` holds the detail asked (always, when none is asked)."""
    if detail is None:
        return True
    if (detail.name in _OF_LIFE or detail.thing) and cand["source"] == "knowledge_base":
        return True  # "when do my charges stop?": the manual says when in its own words
    attribute = str(cand["metadata"].get("attribute") or "")
    if (
        cand["source"] == "facts"
        and attribute.partition(":")[0] in KIN_OF
        and set(detail.name.partition("'s ")[2].split("/")) & set(_OF_RELATIVES)
    ):
        # A relative's fact names them ("Marido do usuário: Wagner."), which the job
        # words read as a job title: it says nothing of what they do, nor where they live.
        return False
    # A stored fact says it in its value ("family:sister" names a sister).
    return detail.held(f"{cand['content']} {attribute}")
