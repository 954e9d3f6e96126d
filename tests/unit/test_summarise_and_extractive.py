from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from graph.context import Context
from graph.extractive import extractive_answer
from graph.nodes.summarise import covered_before, extractive_summary, fold_point, needs_summary
from retrievers.types import Candidate, RouteDecision


def turn_with_tool(i: int) -> list:
    return [
        HumanMessage(f"question {i}", id=f"h{i}"),
        AIMessage("", tool_calls=[{"name": "current_time", "args": {}, "id": f"c{i}"}], id=f"a{i}"),
        ToolMessage("12:00", tool_call_id=f"c{i}", id=f"t{i}"),
        AIMessage(f"answer {i}", id=f"b{i}"),
    ]


def test_fold_point_never_separates_a_tool_call_from_its_result():
    messages = [m for i in range(5) for m in turn_with_tool(i)]
    for keep in range(1, len(messages)):
        cut = fold_point(messages, keep)
        assert cut == 0 or isinstance(messages[cut], HumanMessage)
        kept_calls = {c["id"] for m in messages[cut:] if m.type == "ai" for c in m.tool_calls}
        kept_results = {m.tool_call_id for m in messages[cut:] if m.type == "tool"}
        assert kept_calls == kept_results


def test_fold_point_is_zero_when_the_window_is_one_turn():
    assert fold_point(turn_with_tool(0), keep=2) == 0


def test_needs_summary_on_message_count_or_tokens():
    ctx = Context(summary_max_messages=4, summary_keep_messages=2, summary_max_tokens=50)
    assert not needs_summary([HumanMessage("hi")] * 4, ctx)
    assert needs_summary([HumanMessage("hi")] * 5, ctx)
    assert needs_summary([HumanMessage("x" * 400)], ctx)


def test_extractive_summary_keeps_early_facts_when_over_budget():
    first = [HumanMessage("I was born in Braga in 1990.")]
    summary = extractive_summary("", first)
    for i in range(200):
        summary = extractive_summary(summary, [HumanMessage(f"filler message number {i} " * 3)])
    assert "Braga" in summary
    assert len(summary) <= 4000


def kb(content: str) -> Candidate:
    return Candidate(
        id="kb:1",
        source="knowledge_base",
        content=content,
        metadata={"title": "Billing", "source": "docs/billing.md", "section": "Refunds"},
        scores={},
        ranks={},
    )


ROUTE = RouteDecision(strategy="hybrid", sources=["knowledge_base"], reason="", similarities={})


def test_extractive_answer_quotes_and_cites_and_says_no_llm():
    text = "Plans renew monthly. Refunds are available within 14 days of any charge. Contact us."
    message, citations = extractive_answer("how long do I have for a refund?", [kb(text)], ROUTE)
    assert "14 days" in message.text and "[1]" in message.text
    assert "no LLM is configured" in message.text
    assert citations[0]["title"] == "Billing > Refunds (billing.md)"


def test_extractive_answer_admits_when_nothing_was_found():
    message, citations = extractive_answer("what is the capital of Mars?", [], ROUTE)
    assert "couldn't find" in message.text and citations == []


def test_extractive_answer_speaks_portuguese_to_portuguese_questions():
    message, _ = extractive_answer(
        "qual é a política de reembolso?", [kb("Reembolso em 14 dias.")], ROUTE
    )
    assert "Eis o que encontrei" in message.text and "nenhum LLM" in message.text


def test_extractive_answer_leaves_out_passages_far_below_the_best():
    strong = kb("Refunds are available within 14 days of any charge.")
    strong["scores"]["rerank"] = 0.8
    weak = {**kb("Never share your password; we never ask for them."), "id": "kb:2"}
    weak["scores"] = {"rerank": 0.3}
    message, citations = extractive_answer("how long to ask for a refund?", [strong, weak], ROUTE)
    assert [c["id"] for c in citations] == ["kb:1"]
    assert "password" not in message.text


def test_unrelated_passages_are_not_quoted_even_when_ranked_first():
    off_topic = kb("The interface is available in six languages.")
    off_topic["scores"] = {"vector": 0.2, "rerank": 0.9}
    message, citations = extractive_answer("What colour is the sky on Mars?", [off_topic], ROUTE)
    assert citations == [] and "couldn't find" in message.text


def said(content: str, vector: float, cid: str = "msg:1", source: str = "conversation"):
    return {
        "id": cid,
        "source": source,
        "content": content,
        "metadata": {"role": "human", "created_at": "2026-11-20T10:00:00+00:00"},
        "scores": {"vector": vector, "rerank": 0.5},
        "ranks": {},
    }


def test_a_question_about_the_user_is_answered_from_what_they_said_never_the_manual():
    manual = kb("Pets can be added to the household plan.")
    manual["scores"] = {"vector": 0.9, "rerank": 0.9}
    message, citations = extractive_answer(
        "What's my cat called?", [manual, said("lol my cat Mochi sat on the keyboard", 0.5)], ROUTE
    )
    assert [c["id"] for c in citations] == ["msg:1"] and "Mochi" in citations[0]["snippet"]


def test_a_current_fact_is_quoted_before_the_messages_that_say_it():
    fact = said("The user lives in Lisbon.", 0.7, "fact:1", "facts")
    fact["metadata"]["attribute"] = "home"
    fact["scores"]["rerank"] = 0.4
    name = said("The user's name is Ana.", 0.8, "fact:2", "facts")
    name["metadata"]["attribute"] = "name"
    message, citations = extractive_answer(
        "Where do I live now?", [name, said("we moved to Lisbon last month", 0.6), fact], ROUTE
    )
    # The fact asked for goes first; a fact of another attribute is no answer.
    assert [c["id"] for c in citations] == ["fact:1", "msg:1"]


def test_a_never_told_fact_is_not_answered_with_a_lookalike():
    # About the user, a passage must share what is asked (here "colour") or be very close.
    food = said("My favourite food is sushi.", 0.3)
    message, citations = extractive_answer("What's my favourite colour?", [food], ROUTE)
    assert citations == [] and "don't know that yet" in message.text
    message, _ = extractive_answer("Qual é a minha cor favorita?", [food], ROUTE)
    assert "Ainda não sei" in message.text


def test_labels_speak_the_conversations_language():
    message, citations = extractive_answer(
        "Onde eu moro?", [said("Moro em Lisboa.", 0.9)], ROUTE, language="pt"
    )
    assert citations[0]["title"].startswith("você, numa conversa anterior")
    assert "Eis o que encontrei" in message.text


def test_a_statement_is_acknowledged_even_when_something_matches():
    billing = kb("Billing address changes take effect next cycle.")
    message, citations = extractive_answer("Actually I moved to Lisbon.", [billing], ROUTE)
    assert citations == [] and "Noted" in message.text


def test_a_statement_with_nothing_relevant_is_acknowledged():
    message, citations = extractive_answer("My cat is called Pistachio.", [], ROUTE)
    assert citations == [] and "Noted" in message.text and "no LLM is configured" in message.text
    message, _ = extractive_answer("O meu gato chama-se Pistácio.", [], ROUTE)
    assert "Anotado" in message.text


def test_questions_are_told_from_statements_in_both_languages():
    from text.acts import is_question

    assert is_question("where do I live") and is_question("o que eu disse ontem")
    assert is_question("Quando é a reunião") and is_question("Is it raining?")
    assert not is_question("O meu gato chama-se Pistácio.")
    assert not is_question("I moved to Lisbon last year.")


def test_a_statement_joined_to_a_question_by_a_dash_is_still_evidence():
    told = said("Also, I'm coeliac — is there a way to tag gluten-free recipes?", 0.3)
    message, citations = extractive_answer("Do I have any dietary condition?", [told], ROUTE)
    assert [c["id"] for c in citations] == ["msg:1"] and "coeliac" in message.text


def test_what_the_user_only_asked_is_no_evidence_about_them():
    asked = said("Does my blood donor card sync to the phone?", 0.6)
    message, citations = extractive_answer("What's my blood type?", [asked], ROUTE)
    assert citations == [] and "don't know that yet" in message.text


def test_words_shared_across_languages_do_not_make_a_page_an_answer_about_the_user():
    # "time" is "team" in Brazilian Portuguese and a word of the English page.
    page = kb("Cancel at any time under Settings > Billing. Cancelling stops future charges.")
    page["scores"] = {"vector": 0.1, "rerank": 0.4}
    message, citations = extractive_answer("Qual é o meu time de futebol?", [page], ROUTE)
    assert citations == [] and "Ainda não sei" in message.text
    # The same words in the question's own language do count.
    message, citations = extractive_answer("When do my charges stop if I cancel?", [page], ROUTE)
    assert citations


def test_a_thread_summarised_before_counts_were_kept_counts_its_listed_ids():
    assert covered_before({"messages": []}) == 0
    assert covered_before({"messages": [], "summarised_ids": ["a", "b", "c"]}) == 3
    assert covered_before({"messages": [], "summarised_ids": [], "summarised_count": 7}) == 7
