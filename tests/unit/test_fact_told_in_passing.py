"""Facts told on the way to something else: introductions, changes, break-ups, new animals.

Families of session 11, in English and Portuguese, each with look-alikes: a name given
without "my name is" (from a place, signed off, dictated, respelt for the assistant), a
change said inside another request ("since we moved to…", "agora que sou…"), a new partner
named after a break-up, an animal given to the user. A wrong fact of a one-value attribute
replaces the right one, so the look-alikes matter as much as the finds.
"""

from __future__ import annotations

import pytest

from memory.fact_endings import ended
from memory.fact_extraction import extract_facts


def facts(message: str) -> set[tuple[str, str]]:
    return {(f.attribute, f.value) for f in extract_facts(message)}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a name and where the user writes from, as a sentence of its own
        ("Kia ora! Mereana from Rotorua. How do I export a notebook?", {("name", "Mereana")}),
        ("Greetings from Porto. Does the app work offline?", {("home", "Porto")}),
        # "aqui é", "sou" without an article, with the place beside the name
        (
            "Boa tarde! Aqui é Josélia, de Feira de Santana. Dá pra partilhar notas?",
            {("name", "Josélia"), ("home", "Feira de Santana")},
        ),
        (
            "Eu sou Mamadu, carpinteiro. A app é grátis?",
            {("name", "Mamadu"), ("job", "carpinteiro")},
        ),
        # signed off at the end
        ("Can you sort my notes by date please?\n— Hamish", {("name", "Hamish")}),
        ("Obrigada pela ajuda!\nBeijos, Lurdes", {("name", "Lurdes")}),
        # dictated in lower case, and a name the rules read up to the next "I'm"
        ("ok this is rangi speaking from the car", {("name", "Rangi")}),
        ("this is mum speaking", set()),
        ("hi there this is Bethany I'm on the train", {("name", "Bethany")}),
        # the assistant's spelling set right; another value set right is no name
        ("It's Siobhan, not Shivaun!", {("name", "Siobhan")}),
        ("Sou a Thaís, não Taís.", {("name", "Thaís")}),
        ("No no, Glasgow, not Edinburgh.", set()),
    ],
)
def test_a_name_given_without_my_name_is(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a change said on the way to something else
        (
            "Ever since we relocated to Dunedin the heating bill has doubled, any tips?",
            {("home", "Dunedin")},
        ),
        (
            "since I started at Marlow Freight my commute is ten minutes",
            {("workplace", "Marlow Freight")},
        ),
        ("Now that I'm head chef the rota is mine to write.", {("job", "head chef")}),
        ("Life is quieter now that we're in Tavira, honestly.", {("home", "Tavira")}),
        (
            "Agora que sou coordenadora já não atendo o telefone.",
            {("job", "coordenadora")},
        ),
        (
            "Desde que me mudei pra Maringá durmo melhor.",
            {("home", "Maringá")},
        ),
        (
            "Agora que estou na Escola Secundária de Tondela tenho mais turmas.",
            {("workplace", "Escola Secundária de Tondela")},
        ),
        # an emoji ends a sentence
        ("que calor 🥵 Mudámo-nos para Faro no sábado", {("home", "Faro")}),
        # told without a subject, or promoted in other words
        ("Now living in Ballarat, closer to the in-laws.", {("home", "Ballarat")}),
        ("tô morando em Arapiraca agora", {("home", "Arapiraca")}),
        ("honestly they made me the site manager last week", {("job", "site manager")}),
        ("Puseram-me como encarregada da loja.", {("job", "encarregada da loja")}),
        ("Fui promovida, agora sou chefe de cozinha.", {("job", "chefe de cozinha")}),
        # a new employer named after a dash, or after "agora estou nos"
        (
            "I've left teaching — joined Harbourside Tutors in May.",
            {("workplace", "Harbourside Tutors")},
        ),
        (
            "Mudei de emprego e agora estou nos Transportes Ribeira.",
            {("workplace", "Transportes Ribeira")},
        ),
        (
            "I'm freelancing through Kestrel Translations now",
            {("workplace", "Kestrel Translations")},
        ),
        # look-alikes: a past stretch of time, a visit
        ("I have worked in Leeds since 2015 and love it.", set()),
        ("Life has been calmer since I left Lisbon.", set()),
    ],
)
def test_a_change_said_in_passing(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Marco and I are done. I'm with Lorenzo now, we met at salsa.",
            {("partner", "Lorenzo")},
        ),
        ("I've been dating Priyanka since spring.", {("partner", "Priyanka")}),
        (
            "Separei-me do Vítor em março. Agora ando com a Inês, do coro.",
            {("partner", "Inês")},
        ),
        ("Terminei com o Caio. Estou agora com o Davi.", {("partner", "Davi")}),
        # without a break-up, being with someone is company, not a partner
        ("Estou com a Joana no café, ela manda beijos.", set()),
        ("I'm with Tom at the gym, quick question.", set()),
    ],
)
def test_a_new_partner_named_after_a_break_up(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("A tia deu-me uma cabra, chama-se Pipoca.", {("pet", "Pipoca")}),
        ("We got another pup, named Rusty, from the shelter.", {("pet", "Rusty")}),
        ("Trufa, a nossa porca, comeu as couves todas.", {("pet", "Trufa")}),
        ("Spike, my hedgehog, hates the hoover.", {("pet", "Spike")}),
        # a child is no animal
        ("My kid Tom starts school today.", {("family:kid", "Tom")}),
    ],
)
def test_farm_and_garden_animals_are_pets(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "gone"),
    [
        ("Bad week: Biscuit was stolen from the yard.", ["Biscuit"]),
        ("O Pintas foi roubado da quinta.", ["Pintas"]),
        ("Kiwi flew off during the storm.", ["Kiwi"]),
    ],
)
def test_an_animal_stolen_or_flown_off_is_gone(message: str, gone: list[str]) -> None:
    assert ended("pet", message) == gone


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Quick intro for you: name Bronwyn, town Dubbo, wife Kylie, cat Possum.",
            {
                ("name", "Bronwyn"),
                ("home", "Dubbo"),
                ("partner", "Kylie"),
                ("pet", "Possum"),
            },
        ),
        (
            "Nome: Iara Lopes; cidade: Manaus; profissão: farmacêutica",
            {("name", "Iara Lopes"), ("home", "Manaus"), ("job", "farmacêutica")},
        ),
        # one key alone is no profile; a key before a lower-case word is no value
        ("Name the export file Report, please.", set()),
        ("My dog: the best. My cat: lazy.", set()),
    ],
)
def test_a_profile_written_as_a_list(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "My sister lives in Bristol and I live in Bristol too, sorry, Bath, by the abbey.",
            {("home", "Bath")},
        ),
        (
            "Trabalho na Lusoflex, quer dizer, na Lusoflex Digital.",
            {("workplace", "Lusoflex Digital")},
        ),
        # a trade set right
        ("I'm a plumber, sorry, a gas engineer, mostly boilers.", {("job", "gas engineer")}),
        (
            "Sou enfermeira, quer dizer, parteira, há dez anos.",
            {("job", "parteira")},
        ),
        # a "no" that corrects nothing
        ("I live in Cork. No, I don't mind the rain.", {("home", "Cork")}),
        ("I'm a teacher, no, I love it.", {("job", "teacher")}),
    ],
)
def test_a_value_set_right_as_it_is_said(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a condition on the user's own state states it (one detector: `text.wishes`)
        ("If I'm honest, I live in Croydon, not London.", {("home", "Croydon")}),
        ("Se eu sou sincera, moro em Almada e não em Lisboa.", {("home", "Almada")}),
        # a wish, a plan or a make-believe states nothing
        ("If we ever move, I live in Porto by then.", set()),
        ("Se um dia eu morar em Faro, trabalho na Marina Azul.", set()),
        ("Suppose I'm a pilot and I live in Dubai.", set()),
        ("Someday I work at the observatory, I swear.", set()),
    ],
)
def test_the_rules_read_hypotheticals_as_the_other_readers_do(
    message: str, expected: set[tuple[str, str]]
) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a greeting, then the name standing alone up to a stop, a comma, a dash or "here"
        ("Evening. Rosalind. Can I print a whole notebook?", {("name", "Rosalind")}),
        ("Howdy! Wes Okafor — new here, how do tags work?", {("name", "Wes Okafor")}),
        (
            "Hiya, Pieter van der Merwe here. Is there a dark mode?",
            {("name", "Pieter van der Merwe")},
        ),
        ("Bom dia. Graciete, costureira, e queria guardar moldes.", {("name", "Graciete")}),
        ("Olá de novo, é o Zé Tonecas. Sumiu-me uma nota.", {("name", "Zé Tonecas")}),
        ("Oi gente, fala a Dandara. Tem modo escuro?", {("name", "Dandara")}),
        # any one word exclaimed opens a message as a greeting does
        ("Salaam! Farida, from Kano. How do I share a list?", {("name", "Farida")}),
        ("Obrigado pela ajuda. Anselmo, já agora.", {("name", "Anselmo")}),
        # after any short first sentence: a name announced, or a name and where from
        ("Sawubona! Quem fala é Lindiwe. Tem calendário?", {("name", "Lindiwe")}),
        ("Ei, boa noite. Fala-lhe a Esmeralda, da Lousã. Há modo escuro?", {("name", "Esmeralda")}),
        ("Kumusta? Marites for Cebu, can I share notes?", {("name", "Marites")}),
        ("Habari. Baraka from Mombasa, I teach maths.", {("name", "Baraka")}),
        ("Quick question. Notes from Monday, where are they?", set()),
        ("Thanks. Photos from Lisbon, how do I attach them?", set()),
        ("Hello! Typing from Leeds — the train wifi is awful.", set()),
        # look-alikes: a greeting followed by a word, an adverb, an exclamation, a thing
        ("Hello. Honestly, this app is great.", set()),
        ("Wow! Amazing, thanks.", set()),
        ("Olá. Sinceramente, não percebo nada disto.", set()),
        ("Hi! Netflix keeps logging me out, is that you?", set()),
        ("Morning. Monday again, ugh.", set()),
    ],
)
def test_a_name_alone_after_a_greeting(message: str, expected: set[tuple[str, str]]) -> None:
    assert {f for f in facts(message) if f[0] == "name"} == expected


@pytest.mark.parametrize(
    ("message", "name"),
    [
        # a writer who never capitalises, in the slots that hold only a name
        ("yo. dmitri here. can notes have colours?", "Dmitri"),
        ("hiii its yetunde 😅 how do i pin a list", "Yetunde"),
        ("oi, é a jurema. dá pra exportar tudo?", "Jurema"),
        ("boa tarde me chamo nivaldo e queria ajuda com lembretes", "Nivaldo"),
        ("ok so my name is tiago, need help with tags", "Tiago"),
        # a name signed with "by the way" in Portuguese
        ("Já percebi, obrigado! Leopoldo, a propósito.", "Leopoldo"),
        # look-alikes: what "it's" and "here" hold in lower case that is no name
        ("ugh its broken again.", None),
        ("omg its raining, cant go out", None),
        ("ok here goes: how do i undo?", None),
        ("hey. same here, lol", None),
        ("call me back when you can", None),
        ("i'm tired. its late.", None),
    ],
)
def test_a_name_in_lower_case(message: str, name: str | None) -> None:
    """A user who never capitalises is still read in the slots that only hold a name."""
    names = {v for a, v in facts(message) if a == "name"}
    assert names == ({name} if name else set())


@pytest.mark.parametrize(
    ("message", "name"),
    [
        # a naming phrase inside a run-on, where no clause opens
        (
            "ok so the kids installed this for me and my name is Rafferty I think I need lists",
            "Rafferty",
        ),
        ("Let me introduce myself properly: Oyelaran, architect in Ibadan.", "Oyelaran"),
        ("Antes que me esqueça de me apresentar: Quitéria, costureira.", "Quitéria"),
        # look-alikes: someone else's name, an introduction still to come
        ("Tonight my sister's name is on the guest list: Ada Obi.", None),
        ("I'll introduce myself to the team on Monday: New job!", None),
    ],
)
def test_a_naming_phrase_inside_a_sentence(message: str, name: str | None) -> None:
    """A name given after "my name is" or an announced introduction, mid-sentence."""
    names = {v for a, v in facts(message) if a == "name"}
    assert names == ({name} if name else set())


@pytest.mark.parametrize(
    ("message", "name"),
    [
        # saying who writes: "X writing", "X on the line", "X a falar", after any opening
        ("Dobrý den! Radka writing, from Brno. Can I lock a note?", "Radka"),
        ("Ahoy ahoy! Tamsin on the line, from Penzance.", "Tamsin"),
        ("Boa tarde. Zulmira a falar, de Tondela. Há calendário?", "Zulmira"),
        # a greeting said twice, a dropped g, a place "up in"
        ("Hey hey, Osric from Whitby. Quick q about tags", "Osric"),
        ("Evenin'. Dafydd, Swansea born, still here.", "Dafydd"),
        ("Well hello there, sweetie. Mavis, up in Duluth, by the lake.", "Mavis"),
        # look-alikes: a verb in -ing from a place, a thing from a day
        ("Hello! Writing from Leeds today, the train is slow.", None),
        ("Hey hey, Monday from hell again.", None),
    ],
)
def test_who_writes_after_any_opening(message: str, name: str | None) -> None:
    """A name said as the one writing, after a greeting of any shape."""
    names = {v for a, v in facts(message) if a == "name"}
    assert names == ({name} if name else set())
