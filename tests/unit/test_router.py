import pytest

from graph.routing import MIN_SIMILARITY, choose_strategy, decision, skip_empty_sources
from memory.fact_questions import asked_attributes


@pytest.mark.parametrize(
    ("query", "strategy"),
    [
        ("hi!", "session_only"),
        ("Obrigado!", "session_only"),
        ("bom dia", "session_only"),
        ("What did I just say?", "recent_history"),
        ("qual foi a minha última pergunta?", "recent_history"),
        ("Do you remember where I work?", "cross_conversation"),
        ("Você se lembra do nome do meu cão?", "cross_conversation"),
        ("what's my name?", "cross_conversation"),
        ("What does error E-4012 mean?", "hybrid"),
        ("o pedido #A-1042 não chegou", "hybrid"),
    ],
)
def test_rules_pick_the_strategy_a_user_would_expect(query, strategy):
    assert choose_strategy(query, {})["strategy"] == strategy


def test_closest_examples_decide_when_no_rule_matches():
    sims = {"semantic_search": MIN_SIMILARITY + 0.2, "hybrid": 0.1, "cross_conversation": 0.3}
    decision = choose_strategy("how do I share a notebook with my team", sims)
    assert decision["strategy"] == "semantic_search"
    assert decision["sources"] == ["knowledge_base", "conversation", "facts"]
    assert "semantic_search" in decision["reason"]


def test_far_from_every_example_searches_everything():
    decision = choose_strategy("purple elephants juggling", {"semantic_search": 0.1})
    assert decision["strategy"] == "hybrid"


def test_small_talk_has_no_sources():
    assert choose_strategy("thanks a lot", {})["sources"] == []


def test_unknown_strategy_in_similarities_is_rejected():
    with pytest.raises(ValueError, match="unknown strategies"):
        choose_strategy("hello there friend", {"telepathy": 0.9})


def test_a_loose_match_never_drops_the_knowledge_base():
    # recent_history searches only this thread: a middling match must not choose it.
    sims = {"recent_history": 0.6, "semantic_search": 0.5}
    assert choose_strategy("em quais idiomas o aplicativo existe", sims)["strategy"] == (
        "semantic_search"
    )
    assert (
        choose_strategy("em quais idiomas o aplicativo existe", {"recent_history": 0.6})["strategy"]
        == "hybrid"
    )


@pytest.mark.parametrize(
    ("version", "sources", "skipped"),
    [
        ("3.2", ["knowledge_base", "conversation", "facts"], None),
        ("3.0", ["conversation", "facts"], "knowledge_base"),
        ("0.2", ["knowledge_base"], "conversation, facts"),
        ("0.0", [], "knowledge_base, conversation, facts"),
        ("10.20", ["knowledge_base", "conversation", "facts"], None),
    ],
)
def test_sources_with_nothing_stored_are_skipped_and_the_reason_says_so(version, sources, skipped):
    decided = decision("hybrid", "a hybrid question", {})
    assert decided["sources"] == ["knowledge_base", "conversation", "facts"]
    routed = skip_empty_sources(decided, version)
    assert routed["sources"] == sources
    if skipped:
        assert routed["reason"].endswith(f"nothing stored yet in {skipped}")
    else:
        assert routed == decided


@pytest.mark.parametrize(
    "statement",
    [
        "Actually I moved to Lisbon.",
        "Hi! I'm Priya",
        "Tenho alergia a camarão.",
        "my dog is called Rex",
    ],
)
def test_a_statement_about_the_user_is_noted_not_looked_up(statement):
    decided = choose_strategy(statement, {"semantic_search": 0.9})
    assert decided["strategy"] == "session_only" and decided["sources"] == []
    assert "statement" in decided["reason"]


def test_a_new_thread_asking_what_was_said_looks_in_the_users_other_threads():
    from graph.routing import for_a_new_thread

    asked = choose_strategy("What did I just say?", {})
    assert asked["strategy"] == "recent_history"
    moved = for_a_new_thread(asked)
    assert moved["strategy"] == "cross_conversation" and "conversation" in moved["sources"]
    assert "no earlier messages" in moved["reason"]
    # Greetings and statements stay what they are.
    for text in ("hi!", "I live in Porto."):
        decided = choose_strategy(text, {})
        assert for_a_new_thread(decided) == decided


def test_a_question_about_the_user_searches_their_memory_not_the_manual():
    for question in ("What's my dog called?", "Onde é que eu moro agora?", "Who am I married to?"):
        assert choose_strategy(question, {"semantic_search": 0.99})["strategy"] == (
            "cross_conversation"
        )
    assert choose_strategy("How do I add my dog to the plan?", {})["strategy"] != (
        "cross_conversation"
    )


@pytest.mark.parametrize(
    "question",
    [
        "What did the MRI show?",
        "what did the physio suggest for the ankle?",
        "What did their vet prescribe?",
        "O que é que a ecografia revelou?",
        "o que receitou o dentista?",
    ],
)
def test_what_someone_found_or_told_the_user_is_looked_for_in_their_memory(question):
    # A manual page shares "show" or "find" with these; the user's own account answers them.
    decided = choose_strategy(question, {"semantic_search": 0.99})
    assert decided["strategy"] == "cross_conversation"
    assert "conversation" in decided["sources"]


@pytest.mark.parametrize(
    "question",
    [
        "What does the export menu show?",
        "What did the last update change?",
        "o que mostra o ícone?",
    ],
)
def test_what_the_product_does_still_asks_the_manual(question):
    assert choose_strategy(question, {"semantic_search": 0.99})["strategy"] == "semantic_search"


@pytest.mark.parametrize(
    "question",
    [
        "What name did I give you?",
        "Do you know who you're talking to?",
        "sabe quem tá falando?",
        "Qual foi o nome que eu te disse?",
    ],
)
def test_asking_what_name_was_given_asks_for_the_name(question):
    assert asked_attributes(question)[0] == "name"


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("What do I do for a paycheck?", ("job",)),
        ("Tenho algum problema respiratório?", ("health",)),
    ],
)
def test_a_question_the_rules_miss_but_the_classifier_reads_searches_the_users_memory(
    question, asked
):
    assert asked_attributes(question) == []
    sims = {"hybrid": 0.2, "semantic_search": 0.2}
    assert choose_strategy(question, sims)["strategy"] == "hybrid"
    decided = choose_strategy(question, sims, asked_by_meaning=asked)
    assert decided["strategy"] == "cross_conversation", decided
