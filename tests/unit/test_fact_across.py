"""Facts told across two messages, or as the bare answer to a question (pure reading)."""

from __future__ import annotations

import pytest

from memory.fact_across import across
from memory.fact_extraction import extract_facts


def _user(*texts: str) -> list[tuple[str, str]]:
    return [("human", text) for text in texts]


@pytest.mark.parametrize(
    ("before", "naming", "name", "kind"),
    [
        (["Guess what, we adopted a kitten from the shelter!"], "We named her Pimenta.",
         "Pimenta", "kitten"),
        (["I finally got a rabbit, after years of begging", "he hides under the sofa"],
         "The kids call him Biscoito, don't ask why", "Biscoito", "rabbit"),
        (["We took in a mongrel from the road."], "My husband called him Sargento.",
         "Sargento", "mongrel"),
        (["Ganhámos um cachorrinho no sábado!"], "Chama-se Farelo e já roeu um chinelo.",
         "Farelo", "cachorrinho"),
        (["Adotei uma gata na feira de adoção"], "Demos-lhe o nome de Jabuticaba.",
         "Jabuticaba", "gata"),
        ([], "Our new hamster arrived this morning. His name is Crumble.", "Crumble",
         "hamster"),
        (["A tiny kitten showed up at our back door last night"], "She answers to Pipoca already",
         "Pipoca", "kitten"),
        (["Apareceu uma cadelinha lá em casa ontem"], "A gente chamou ela de Paçoca", "Paçoca",
         "cadelinha"),
        (["I brought a rescue greyhound home on Saturday"], "We called him Dusty.", "Dusty",
         "greyhound"),
        (["Our neighbours gave us a kitten, the last of the litter"], "Her name is Olive.",
         "Olive", "kitten"),
        (["A gente adotou uma gata"], "Ela chama Mel, é muito dengosa", "Mel", "gata"),
        # the kind in the words said around it, or got by the household
        (["We just got a pet, a bearded dragon, from a neighbour who moved away."],
         "He named her Ruby.", "Ruby", "bearded dragon"),
        (["we done got us a beagle pup last week"], "his name is Rex", "Rex", "beagle"),
        (["My wife picked up a rescue greyhound from the kennels"], "We called her Daisy",
         "Daisy", "greyhound"),
        (["O meu filho trouxe um ouriço do quintal da avó."], "Pusemos-lhe o nome de Bolota.",
         "Bolota", "ouriço"),
        (["O Jorge trouxe uma cabrita da roça pros meninos."], "Ela se chama Nuvem.", "Nuvem",
         "cabrita"),
        (["O meu marido arranjou um cão de caça de Trás-os-Montes"], "Demos-lhe o nome de Faísca.",
         "Faísca", "cão de caça"),
    ],
)  # fmt: skip
def test_a_naming_takes_its_kind_from_the_animal_told_before(before, naming, name, kind):
    assert not [f for f in extract_facts(naming) if f.attribute == "pet"]  # alone: nothing
    (pet,) = across(naming, _user(*before))
    assert (pet.attribute, pet.value) == ("pet", name)
    assert kind in pet.text and name in pet.text


@pytest.mark.parametrize(
    ("before", "naming"),
    [
        (["My sister just had a baby girl."], "They called her Rosa."),  # a person
        (["We got a new car last week."], "We named her Betsy."),  # no animal
        (["A minha irmã teve uma bebé."], "Chama-se Leonor."),
        (["Our cat is old now."] + ["ok"] * 4, "We called her Mimi."),  # too long ago
        (["A minha vizinha adotou uma gata"], "Ela chama Mel"),  # the neighbour's
        (["A minha irmã comprou uma gata persa."], "Chama-se Xana."),  # the sister's
    ],
)
def test_a_naming_without_an_animal_told_just_before_is_no_pet(before, naming):
    assert not [f for f in across(naming, _user(*before)) if f.attribute == "pet"]


@pytest.mark.parametrize(
    ("question", "reply", "attribute", "value"),
    [
        ("Nice to meet you! Where are you based?", "Mombasa.", "home", "Mombasa"),
        ("Olá! Onde é que vive?", "Braga, perto da Sé", "home", "Braga"),
        ("Got it. And what do you do for a living?", "Dental hygienist", "job",
         "Dental hygienist"),
        ("E em que é que trabalha?", "enfermeira", "job", "enfermeira"),
        ("Who do you work for?", "Harbourline Ferries", "workplace", "Harbourline Ferries"),
        ("What should I call you?", "Tendai", "name", "Tendai"),
    ],
)  # fmt: skip
def test_a_bare_reply_answers_the_assistants_last_question(question, reply, attribute, value):
    before = [("human", "hi there"), ("ai", question)]
    facts = across(reply, before)
    assert (attribute, value) in [(f.attribute, f.value) for f in facts]


@pytest.mark.parametrize(
    ("message", "attribute", "value"),
    [
        ("So, you asked what I do: crane operator at Port Elizabeth Terminals, night shifts.",
         "workplace", "Port Elizabeth Terminals"),
        ("ok you asked about my job — ward clerk, mostly paperwork", "job", "ward clerk"),
        ("Você perguntou onde eu moro: Olinda, pertinho do Recife.", "home", "Olinda"),
        ("Quanto à sua pergunta, sou carpinteira.", "job", "carpinteira"),
    ],
)  # fmt: skip
def test_a_reply_quoting_the_question_is_read_as_the_statement(message, attribute, value):
    assert (attribute, value) in [(f.attribute, f.value) for f in across(message, [])]


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        ("Do you live in Porto?", "Yes."),
        ("Where are you based?", "Why do you ask?"),
        ("Is there anything else?", "Lisbon."),  # no attribute asked
        ("Where are you based?", "I don't want to say that here, sorry, maybe some other day"),
    ],
)
def test_a_reply_that_gives_no_value_gives_no_fact(question, reply):
    assert across(reply, [("ai", question)]) == []


def test_a_user_reporting_someone_elses_question_states_nothing():
    assert across("O meu marido perguntou se dá para gravar áudio nas notas", []) == []
