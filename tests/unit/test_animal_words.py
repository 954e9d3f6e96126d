"""One list of animals: what the extractor stores as a pet, a question can ask for, and back."""

from __future__ import annotations

import pytest

from graph.animal_kinds import animal_asked
from memory import animal_words
from memory.fact_extraction import extract_facts


@pytest.mark.parametrize("word", animal_words.WORDS)
def test_every_animal_the_extractor_stores_is_one_a_question_can_ask(word):
    asked = animal_asked(f"what is my {word} called?")
    assert asked is not None and asked.asked(f"the user's {word}"), word


@pytest.mark.parametrize(
    ("told", "value", "question"),
    [
        ("Our rooster Pavarotti wakes the whole street at five.", "Pavarotti",
         "what's the rooster called?"),
        ("O meu galo, o Tenor, acorda a rua toda.", "Tenor", "Como se chama o galo?"),
        ("A nossa mula, a Estrela, puxa a carroça da lenha.", "Estrela",
         "E as mulas, como se chamam?"),
        ("My gerbil Nibbles escaped again last night", "Nibbles", "the gerbils name?"),
    ],
)  # fmt: skip
def test_a_pet_of_a_less_common_kind_is_stored_and_its_kind_asked(told, value, question):
    (pet,) = [f for f in extract_facts(told) if f.attribute == "pet"]
    assert pet.value == value
    asked = animal_asked(question)
    assert asked is not None and asked.held(pet.text)


def test_a_guinea_pig_is_no_pig_to_a_question():
    asked = animal_asked("what's my pig called?")
    assert asked is not None and not asked.held("The user has a guinea pig called Spud.")
