"""Phrasing families the clause rules used to miss, in English and Portuguese, with look-alikes.

Each family is how people actually tell a fact in passing: a pet or partner named in
apposition, a workplace before "where I work", a greeting from the user's town, a name
announced ("it's Priyanka again"), a job with no article, a reaction instead of "allergic".
The look-alikes (someone else's pet, a greeting from a train, "it's Monday again") must stay
out: a wrong fact of a one-value attribute would replace the right one.
"""

from __future__ import annotations

import pytest

from memory.fact_endings import ended
from memory.fact_extraction import extract_facts
from memory.fact_semantics import Verdict
from tests.fakes import stated_by


def facts(message: str) -> set[tuple[str, str]]:
    return {(f.attribute, f.value) for f in extract_facts(message)}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a pet, partner or relative named beside the relation
        ("Pixel, my beagle, stole my sandwich again.", {("pet", "Pixel")}),
        ("Marco (my boyfriend) set this up for me.", {("partner", "Marco")}),
        ("My parakeet, Kiwi, screams at the kettle.", {("pet", "Kiwi")}),
        ("Rosa the greyhound sleeps all day.", {("pet", "Rosa")}),
        ("Does Tomasz, my husband, need his own login?", {("partner", "Tomasz")}),
        ("A Mel, a nossa cadela, fugiu outra vez.", {("pet", "Mel")}),
        ("O meu namorado, o Caio, só usa Android.", {("partner", "Caio")}),
        ("O Bruno — o meu marido — paga a conta.", {("partner", "Bruno")}),
        ("A Rita, a minha irmã, mora em Braga.", {("family:sister", "Rita")}),
        # a new pet, named after the animal
        ("We picked up a rescue greyhound, Comet, on Saturday.", {("pet", "Comet")}),
        ("Adotámos outra gata, a Lua.", {("pet", "Lua")}),
        ("The cage was empty for a week, then we got a new one, Pip.", set()),
        ("The hamster cage was empty, then we got a new one, Pip.", {("pet", "Pip")}),
        # a household's home, and a move or a new job after "I/we … and"
        ("Agora vivemos em Setúbal, perto do rio.", {("home", "Setúbal")}),
        ("We're living in Galway these days.", {("home", "Galway")}),
        ("We sold the flat and relocated to Dundee.", {("home", "Dundee")}),
        ("I handed in my notice and joined Copperleaf Games.", {("workplace", "Copperleaf Games")}),
        ("My brother sold his flat and moved to Leeds.", set()),
        # a workplace before "where I work"
        ("Beacon Labs, where I work, pays for Pro.", {("workplace", "Beacon Labs")}),
        ("A Padaria Estrela, onde trabalho, abre às seis.", {("workplace", "Padaria Estrela")}),
        # a greeting from where the user lives; a workplace's own name is no home
        ("Good evening from Galway!", {("home", "Galway")}),
        ("Rainy morning in Leeds, as usual.", {("home", "Leeds")}),
        ("Boa tarde de Natal, que calor.", {("home", "Natal")}),
        ("Bom dia, aqui de Londrina.", {("home", "Londrina")}),
        ("Hoje fiquei em casa em Almada.", {("home", "Almada")}),
        ("Aqui na Padaria Estrela ninguém usa isto.", {("workplace", "Padaria Estrela")}),
        # a name announced
        ("Hey, it's Priyanka again.", {("name", "Priyanka")}),
        ("Oi, Letícia de novo!", {("name", "Letícia")}),
        ("Olá, fala a Joana.", {("name", "Joana")}),
        # a job with no article or no subject
        ("Now working as site supervisor.", {("job", "site supervisor")}),
        ("I'm head chef now.", {("job", "head chef")}),
        ("They've made me team lead.", {("job", "team lead")}),
        (
            "I'm the head baker at Crumb & Co, so early starts.",
            {("job", "head baker"), ("workplace", "Crumb & Co")},
        ),
        ("Finally got promoted to senior engineer!", {("job", "senior engineer")}),
        ("Trabalho de motorista há dez anos.", {("job", "motorista")}),
        # health said as a reaction or a state
        ("I'm seriously allergic to kiwi.", {("allergy", "kiwi")}),
        ("I react really badly to penicillin.", {("allergy", "penicillin")}),
        ("My shellfish allergy is the worst.", {("allergy", "shellfish")}),
        ("Essa alergia a pólen é terrível.", {("allergy", "pólen")}),
        ("Estou com sinusite outra vez.", {("health", "sinusite")}),
        ("I get migraines from bright screens.", {("health", "migraines")}),
        ("Sou daltónica, as cores não me ajudam.", {("health", "daltónica")}),
    ],
)
def test_phrasing_families(message: str, expected: set[tuple[str, str]]) -> None:
    assert facts(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        "My cousin's spaniel, Fudge, is visiting.",  # someone else's pet
        "Teo, my dog ate the charger.",  # speaking to Teo
        "If Lola, my cat, could type, she would.",
        "Ana, my ex-girlfriend, texted me.",
        "Harbour Tech, where my wife works, pays for Pro.",
        "Good morning from the train!",
        "Dia de Natal em família.",
        "It's Monday again.",
        "It's raining again.",
        "Late again!",
        "I'm at the dentist.",
        "I'm the driver today.",
        "Trabalho de casa não acaba.",
        "My son reacts badly to dairy.",
        "I don't react badly to anything.",
        "My food allergy app crashed.",
        "Eu prefiro esta: é mais simples.",
        "Faço turnos da noite.",
    ],
)
def test_look_alikes_give_nothing(message: str) -> None:
    assert facts(message) == set()


def test_where_the_user_is_now_names_the_new_employer_only_after_a_job_change() -> None:
    """Supersession: the new employer replaces a workplace the rules read before."""
    assert facts("Mudei de emprego! Agora estou na Lusoflex Têxteis.") == {
        ("workplace", "Lusoflex Têxteis")
    }
    assert facts("Changed jobs. I'm now at Brightside Logistics.") == {
        ("workplace", "Brightside Logistics")
    }
    assert facts("Agora estou na Lusoflex Têxteis.") == set()  # a visit, as far as we know


@pytest.mark.parametrize(
    ("message", "gone"),
    [
        ("Sad news, we lost Pepper in May.", ["Pepper"]),
        ("We had to put Rollo down last week.", ["Rollo"]),
        ("Nibs died on Sunday, poor thing.", ["Nibs"]),
        ("A Nina fugiu e não voltou.", ["Nina"]),
        ("Perdemos o Tico no inverno.", ["Tico"]),
        ("I lost Tom's number again.", []),
        ("We lost power for an hour.", []),
    ],
)
def test_pets_said_to_be_gone(message: str, gone: list[str]) -> None:
    assert ended("pet", message) == gone


@pytest.mark.parametrize(
    ("message", "parted"),
    [
        ("Zoe and I split up in March.", ["Zoe"]),
        ("I broke up with Callum last week.", ["Callum"]),
        ("Bem, a Sara e eu acabámos.", ["Sara"]),
        ("Eu e o Rui separámo-nos no verão.", ["Rui"]),
        ("Terminei com o Caio, finalmente.", ["Caio"]),
        ("Zoe and I split the bill.", []),
    ],
)
def test_partners_said_to_be_left(message: str, parted: list[str]) -> None:
    assert ended("partner", message) == parted


def test_every_rule_reads_back_in_portuguese() -> None:
    """A Portuguese message an English-worded rule reads must not fail to render its fact."""
    assert facts("Olá! Agora trabalho na Lumen, working as data analyst, é ótimo.") >= {
        ("job", "data analyst")
    }


def test_a_fact_told_in_portuguese_reads_back_in_portuguese() -> None:
    (pet,) = extract_facts("O Tufão, o nosso gato, dorme no teclado.")
    assert pet.text == "Animal de estimação do usuário (gato): Tufão."
    (partner,) = extract_facts("A Inês, a minha mulher, quer uma conta.")
    assert partner.text == "Mulher do usuário: Inês." and partner.single_valued


def test_a_promotion_read_as_a_new_employer_gives_no_workplace() -> None:
    """The rules read the job in the sentence: the classifier's workplace is not kept."""
    sentence = "Got promoted, I am release manager now."
    verdicts = {sentence: Verdict("workplace", 0.6), "Got promoted": Verdict("workplace", 0.7)}
    assert stated_by(sentence, verdicts) == []


def test_a_home_and_a_workplace_in_one_sentence_both_stand() -> None:
    sentence = "Since I joined the Lumen studio, here in Porto, I sleep less."
    clause = "Since I joined the Lumen studio"
    verdicts = {sentence: Verdict("none", 0.5), clause: Verdict("workplace", 0.6)}
    assert [(f.attribute, f.value) for f in stated_by(sentence, verdicts)] == [
        ("workplace", sentence)
    ]
