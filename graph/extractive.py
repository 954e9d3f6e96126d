"""The offline responder: answers by quoting evidence, says so, and says when it does not know.

It speaks the conversation's language (English or Portuguese). A statement about the user is
acknowledged (its facts are stored by the outbox worker), not answered with a quote. A
question about the user is answered from what they said (facts first), never from the
knowledge base, and with "I don't know that yet" when nothing said comes close enough.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage

from graph.animal_kinds import animal_asked
from graph.asked_detail import as_kin, asks_name
from graph.kb_evidence import across_languages
from graph.product_asks import asks_of_the_product
from graph.quotable import quotable_evidence
from graph.relative_detail import person_asked
from graph.semantic_evidence import SemanticEvidence
from graph.someone_elses import only_someone_elses
from graph.state import Citation
from graph.statement_order import asks_now
from memory.fact_extraction import extract_facts
from memory.fact_questions import asked_attributes
from memory.messages import EXTRACTIVE_MODEL_NAME
from retrievers.embedders import Calibration
from retrievers.embedders.minilm import MiniLM
from retrievers.registry import DEFAULT
from retrievers.types import Candidate, Labeller, RouteDecision
from text.acts import asks_manual, is_about_user, is_question
from text.language import detect
from text.words import QueryTerms, clip, sentences

PHRASES = {
    "en": {
        "greeting": "Hello! I'm memoria. Ask me about the knowledge base or anything we've "
        "talked about.",
        "noted": "Noted — I'll remember that in our future conversations.",
        "unknown": "I don't know that yet: you haven't told me.",
        "nothing": "I couldn't find anything about that in the knowledge base or our "
        "conversations.",
        "intro": "Here is what I found:",
        "quoting": "(Offline extractive mode: no LLM is configured, so I quote what I found.)",
        "offline": "(Offline extractive mode: no LLM is configured.)",
    },
    "pt": {
        "greeting": "Olá! Sou o memoria. Pergunte-me sobre a base de conhecimento ou sobre o "
        "que já conversamos.",
        "noted": "Anotado — vou lembrar disso nas nossas próximas conversas.",
        "unknown": "Ainda não sei isso: você ainda não me contou.",
        "nothing": "Não encontrei nada sobre isso na base de conhecimento nem nas nossas "
        "conversas.",
        "intro": "Eis o que encontrei:",
        "quoting": "(Modo extrativo offline: nenhum LLM está configurado, por isso cito o que "
        "encontrei.)",
        "offline": "(Modo extrativo offline: nenhum LLM está configurado.)",
    },
}
MAX_QUOTES = 3
QUOTE_CHARS = 320


def _reply(text: str) -> AIMessage:
    return AIMessage(content=text, response_metadata={"model_name": EXTRACTIVE_MODEL_NAME})


def best_excerpt(query: str, text: str, *, limit: int = QUOTE_CHARS) -> str:
    """Return the sentence of `text` that covers most of the query, with its successor if short.

    Ties go to fuller sentences: a heading that merely names the topic says less than the
    sentence under it.
    """
    parts = sentences(text) or [text]
    wanted = QueryTerms(query)
    scored = [
        (wanted.coverage(part) + 0.2 * min(len(part), 120) / 120, -i)
        for i, part in enumerate(parts)
    ]
    best = -max(scored)[1]
    excerpt = parts[best]
    if len(excerpt) < limit // 2 and best + 1 < len(parts):
        excerpt = f"{excerpt} {parts[best + 1]}"
    return clip(excerpt, limit)


def extractive_answer(
    query: str,
    context: Sequence[Candidate],
    route: RouteDecision | None,
    label: Labeller = DEFAULT.label,
    calibration: Calibration = MiniLM.calibration,
    language: str | None = None,
    semantics: SemanticEvidence | None = None,
) -> tuple[AIMessage, list[Citation]]:
    """Answer `query` by quoting the best evidence in `context` with numbered citations.

    Args:
        query: The user's message.
        context: Reranked passages, best first.
        route: The router's decision (small talk is greeted).
        label: Labels a passage's origin in a language.
        calibration: What the embedding model's similarities mean.
        language: The conversation's language; the message's own when None.
        semantics: What the attribute classifier read in the question and the passages
            (`graph.semantic_evidence`); the word rules alone when None.
    """
    lang = language or detect(query) or "en"
    say = PHRASES.get(lang, PHRASES["en"])
    strategy = route["strategy"] if route else "session_only"
    if not is_question(query) and (strategy == "session_only" or extract_facts(query)):
        # A statement: what it says about the user is stored; there is nothing to look up.
        return _reply(f"{say['noted']} {say['offline']}"), []
    if strategy == "session_only":
        return _reply(f"{say['greeting']} {say['offline']}"), []
    # A question about a relative named as the stored facts name them, or about someone
    # else by name, is about the user's people, not the manual ("What does Darren do for
    # work?", "Where does Priyanka work?").
    about_user = not _manual_only(route, context, semantics) and (
        _about_user(query, semantics)
        or as_kin(query, context) != query
        or person_asked(query, frozenset()) is not None
    )
    attributes = asked_attributes(query) if about_user else []
    if about_user and semantics is not None and semantics.asked:
        # By meaning first, then by the words: "who am I married to?" asks for a partner,
        # not the name the words "who am I" suggest; no word of it at all still asks.
        attributes = list(dict.fromkeys([*semantics.asked, *attributes]))
    someone_elses = (
        about_user or (semantics is not None and semantics.personal)
    ) and only_someone_elses(query, context)
    quotable = (
        []  # "em que banco trabalho?" when only the sister was said to work at one
        if someone_elses
        else quotable_evidence(
            query,
            context,
            calibration,
            about_user=about_user,
            attributes=attributes,
            language=lang,
            semantics=semantics,
        )
    )
    if not about_user and not someone_elses and is_question(query):
        # A manual page in the other language shares no word to pass the gate on.
        quotable = across_languages(quotable, context, lang)
    if not quotable:
        if about_user:
            return _reply(f"{say['unknown']} {say['offline']}"), []
        if not is_question(query):
            return _reply(f"{say['noted']} {say['offline']}"), []
        return _reply(f"{say['nothing']} {say['offline']}"), []
    citations: list[Citation] = []
    lines = []
    for ref, cand in enumerate(quotable[:MAX_QUOTES], start=1):
        excerpt = best_excerpt(query, cand["content"])
        title = label(cand, lang)
        citations.append(
            Citation(ref=ref, id=cand["id"], source=cand["source"], title=title, snippet=excerpt)
        )
        lines.append(f"[{ref}] “{excerpt}” — {title}")
    return _reply("\n".join([say["intro"], *lines, say["quoting"]])), citations


def _about_user(query: str, semantics: SemanticEvidence | None) -> bool:
    """Return whether `query` asks about the user, by its words or by its meaning.

    The words miss questions with no pronoun ("em que área trabalho?", "what's the hamster
    called?"): the classifier sure of an attribute asked says so, or the words name one and
    the classifier is sure the question is personal. The words also take a question about
    the product for one about the user ("I'm on Pro, how soon does support reply?"): the
    classifier sure nothing of the user is asked overrules them, unless the words name an
    attribute. How-tos and trouble reports ask the manual whatever the classifier reads.
    """
    # Who is writing is the user, whatever the pronouns ("do you know who's talking?").
    asks_who = "name" in asked_attributes(query)
    if semantics is None or asks_manual(query):
        return is_about_user(query) or asks_who
    if semantics.asked:
        return True
    named = bool(asked_attributes(query))
    if not named and asks_of_the_product(query):
        return False  # "which cards can I pay with?": what the product allows the user
    if not is_about_user(query):
        # An animal's name asked now with no pronoun ("what's the hamster called these
        # days?", "e a gata, como se chama agora?") asks the user's pet as it is since a
        # change: its current fact answers, not an old message naming the one before. Not
        # asked now, a message naming the pet in words no rule knows ("Shumba our boerboel")
        # still answers "what's the big dog's name" on topic, as before.
        pet_named = asks_now(query) and asks_name(query) and animal_asked(query) is not None
        return named and (semantics.personal or pet_named or asks_who)
    return named or not semantics.product


def _manual_only(
    route: RouteDecision | None, context: Sequence[Candidate], semantics: SemanticEvidence | None
) -> bool:
    """Return whether the question asks the manual alone, first person or not.

    The router sent it to the knowledge base alone ("I'm on Pro, how soon does support
    reply?", "se eu editar notas no avião, o que acontece?"), no memory was recalled, and
    the classifier does not read it as asking something of the user ("qual é o meu time?"
    would then share the false friend "time" with an English page): "you haven't told me"
    would answer a question the manual does.
    """
    return (
        route is not None
        and semantics is not None
        and not semantics.personal
        and not set(route["sources"]) & {"conversation", "facts"}
        and all(c["source"] == "knowledge_base" for c in context)
    )
