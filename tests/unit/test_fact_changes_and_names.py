"""Names that must look like names, wishes that are no facts, and changes said in passing.

Families of session 9, in English and Portuguese with look-alikes: a sentence opening like a
name ("Been busy here"), the name a user goes by ("everyone calls me Dot"), a name alone after
a greeting, a hypothetical kept out of statement facts ("if I ever get a cat…"), a job change
said as "I left X… starting at Y" or "X hired me", a pet given to the user or rehomed.
A wrong fact of a one-value attribute replaces the right one, so the look-alikes matter as
much as the finds.
"""

from __future__ import annotations

import pytest

from memory.fact_endings import ended
from memory.fact_extraction import extract_facts
from memory.fact_questions import asked_attributes
from memory.fact_semantics import Verdict
from tests.fakes import stated_by
from text.names import looks_like_name


def facts(message: str) -> set[tuple[str, str]]:
    return {(f.attribute, f.value) for f in extract_facts(message)}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a sentence that opens like "<Name> here" is no name
        ("Been working here for ages, the wifi is awful.", set()),
        ("The signal here in Tralee is hopeless.", {("home", "Tralee")}),
        ("Life here is quiet.", set()),
        ("Tudo aqui está calmo.", set()),
        ("Orla here, quick one about exports.", {("name", "Orla")}),
        ("Mei Lin here!", {("name", "Mei Lin")}),
        # the name the user goes by
        ("I'm Dorothy but everyone calls me Dot.", {("name", "Dorothy"), ("name", "Dot")}),
        (
            "Sou a Margarida, mas toda a gente me chama Guida.",
            {("name", "Margarida"), ("name", "Guida")},
        ),
        ("My friends call me Sunny.", {("name", "Sunny")}),
        # a name alone after a greeting
        ("Hello. Tomasz. I look after the stock room.", {("name", "Tomasz")}),
        ("Boa noite. Joaquim, de Viseu. A app é paga?", {("name", "Joaquim"), ("home", "Viseu")}),
        ("Hi! Quick question about sync.", set()),
        ("Olá. Obrigado pela ajuda.", set()),
    ],
)
def test_names_must_look_like_names(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("value", "person", "expected"),
    [
        ("Been", True, False),
        ("The", True, False),
        ("Busy", True, False),
        ("Ana Rita", True, True),
        ("Maria da Luz", True, True),
        ("They've", False, False),
        ("Great Lakes Foods", False, True),
        ("Great Lakes Foods", True, False),
    ],
)
def test_what_looks_like_a_name(value: str, person: bool, expected: bool) -> None:
    assert looks_like_name(value, person=person) is expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # the old job ended, the new place named after it
        (
            "Quick update: I left Ferrow Insurance last month. Starting at Quayside Capital "
            "next week.",
            {("workplace", "Quayside Capital")},
        ),
        ("Saí do banco! Agora estou na Corticeira Amorim.", {("workplace", "Corticeira Amorim")}),
        ("Mudei de chefe, agora tô na Vidraria Sol.", {("workplace", "Vidraria Sol")}),
        ("I quit. I'm now with Tidewater Freight.", {("workplace", "Tidewater Freight")}),
        (
            "Aceitei uma proposta da Lusomar e começo já. Deixei a agência.",
            {("workplace", "Lusomar")},
        ),
        # the new employer as the subject
        ("Brightwater Clinic hired me, same role.", {("workplace", "Brightwater Clinic")}),
        ("A Vidraria Norte contratou-me em março.", {("workplace", "Vidraria Norte")}),
        ("They hired me on the spot.", set()),
        ("My old manager recruited me.", set()),
        # no change said: a visit, a start time
        ("Starting at Quayside Capital would be a dream.", set()),
        ("I left my umbrella at Pret. I'm at the station now.", set()),
        # trades said with "sou"
        ("Sou agrónoma, ando sempre de botas.", {("job", "agrónoma")}),
        ("Agora sou sócio da firma.", {("job", "sócio da firma")}),
        ("Sou sócio do ginásio.", set()),
        ("Sou guarda-redes da equipa.", set()),
        # a new job's first day, a new school
        ("Tuesday was my first day at Larkfield Foods.", {("workplace", "Larkfield Foods")}),
        ("It was my first day at school.", set()),
        (
            "Mudei de escola: a partir de janeiro estou na Escola Alfa.",
            {("workplace", "Escola Alfa")},
        ),
        # an appointment is a job; a trailing "there" is no part of it
        ("Fui nomeada diretora de turma este ano.", {("job", "diretora de turma")}),
        ("The gym opened a pool and now I'm a swim coach there.", {("job", "swim coach")}),
        # what is no hobby or language
        ("Faço menos turnos e mais reuniões.", set()),
        ("O meu chefe diz que eu só falo de números.", set()),
    ],
)
def test_job_changes_said_in_passing(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("We closed on a house in Tauranga last week!", {("home", "Tauranga")}),
        ("Got the keys to a tiny flat in Leith today.", {("home", "Leith")}),
        ("We've packed up and moved down to Exeter.", {("home", "Exeter")}),
        ("We're up in Inverness now.", {("home", "Inverness")}),
        ("Writing from Darwin, it's humid.", {("home", "Darwin")}),
        ("My sister closed on a house in Leeds.", set()),
        ("We're up in the attic sorting boxes.", set()),
        ("Writing from the train, sorry.", set()),
    ],
)
def test_a_move_said_in_passing(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # where the user introduces themselves from
        ("Evening all, Ruairí from Sligo here.", {("name", "Ruairí"), ("home", "Sligo")}),
        (
            "Sou a Benedita, de Ponte de Lima. Tudo bem?",
            {("name", "Benedita"), ("home", "Ponte de Lima")},
        ),
        ("Rafael aqui, do Recife.", {("name", "Rafael"), ("home", "Recife")}),
        ("Postcard from Malta.", set()),
        ("I'm Dora from accounts.", {("name", "Dora")}),
        # a trade right after the name
        (
            "Sou a Inês, farmacêutica, e trabalho por turnos.",
            {("name", "Inês"), ("job", "farmacêutica")},
        ),
        (
            "Priti here — night nurse, so forgive the hours.",
            {("name", "Priti"), ("job", "night nurse")},
        ),
        ("Sou o Abel, obrigado pela paciência.", {("name", "Abel")}),
        # the workplace the user's team is at
        ("At Marlow & Finch we share one notebook.", {("workplace", "Marlow & Finch")}),
        ("No Colégio Atlântico vamos passar a usar tablets.", {("workplace", "Colégio Atlântico")}),
        ("Na Cerâmica Vale Verde o pessoal usa Android.", {("workplace", "Cerâmica Vale Verde")}),
        ("At Easter we visit my parents.", set()),
        ("No Algarve estamos de férias.", set()),
        ("At home we speak Tamil.", set()),
    ],
)
def test_who_where_and_what_said_beside_the_name(
    message: str, expected: set[tuple[str, str]]
) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("My aunt gave us a kitten from her litter, Pudding.", {("pet", "Pudding")}),
        ("A vizinha deu-nos uma cadela, a Bolacha.", {("pet", "Bolacha")}),
        ("We adopted another cat called Olive.", {("pet", "Olive")}),
        ("We rescued a galgo, her name is Nieve.", {("pet", "Nieve")}),
        ("Adotámos outro cão, o nome dele é Tobias.", {("pet", "Tobias")}),
        ("We adopted a new rota, its name is Plan B.", set()),
        ("Our pony, Biscuit, lost a shoe.", {("pet", "Biscuit")}),
        # the hypothetical ends at "but": the dog after it is the user's
        (
            "Se um dia tiver um coelho vai chamar-se Nabo, mas por agora tenho o Trovão, "
            "meu pit bull, que ressona.",
            {("pet", "Trovão")},
        ),
        ("If we ever get a dog, Biscuit, my son's pick, is the name.", set()),
    ],
)
def test_pets_given_adopted_or_kept(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    ("message", "gone"),
    [
        ("Mochi is living with my parents now, more garden.", ["Mochi"]),
        ("Pixel went to live with my gran in the country.", ["Pixel"]),
        ("O Bolinhas foi viver com a minha avó.", ["Bolinhas"]),
        ("We had to rehome Kaiser, he hated the flat.", ["Kaiser"]),
        ("Ana is living with her sister now.", []),
    ],
)
def test_pets_rehomed_are_gone(message: str, gone: list[str]) -> None:
    assert ended("pet", message) == gone


@pytest.mark.parametrize(
    ("sentence", "label", "expected"),
    [
        ("If I ever adopt a parrot I'll call him Captain.", "pet", []),
        ("I'd love to live somewhere warm like Faro one day.", "home", []),
        ("Se um dia eu tiver uma cadela vai chamar-se Pipoca.", "pet", []),
        ("Quem me dera trabalhar na praia.", "workplace", []),
        ("My son wants a hamster so badly.", "pet", []),
        ("Queremos um gato para o miúdo.", "pet", []),
        # a condition on a state the user is in still states it
        (
            "If I'm at the Northwind office the VPN drops.",
            "workplace",
            [("workplace", "If I'm at the Northwind office the VPN drops.")],
        ),
        # the fact after the hypothetical is kept without it
        (
            "If I ever get a cat she'll be Mimi, but for now I only have Rocco, my boxer.",
            "pet",
            [("pet", "for now I only have Rocco, my boxer.")],
        ),
    ],
)
def test_a_wish_is_no_statement_fact(
    sentence: str, label: str, expected: list[tuple[str, str]]
) -> None:
    """The classifier reads the attribute; only what the user says holds is kept."""
    found = stated_by(sentence, {sentence: Verdict(label, 0.9)})
    assert [(f.attribute, f.value) for f in found] == expected


@pytest.mark.parametrize(
    ("question", "attribute"),
    [
        ("Which logistics company am I with?", "workplace"),
        ("Para que empresa trabalho agora?", "workplace"),
    ],
)
def test_an_employer_asked_with_its_trade(question: str, attribute: str) -> None:
    assert asked_attributes(question) == [attribute]


@pytest.mark.parametrize(
    "question",
    [
        "Which secondary school did I go to?",
        "Em que escola andei?",
        "Where did I study?",
        "Which school did I teach at before?",
        "Em que escola dei aulas?",
    ],
)
def test_where_the_user_studied_or_used_to_work_is_no_workplace(question: str) -> None:
    """The current workplace fact is no answer to where the user went to school or worked."""
    assert "workplace" not in asked_attributes(question)
