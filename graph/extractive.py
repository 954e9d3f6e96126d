"""The offline responder: answers by quoting the best passages, and says that no LLM is set up."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage

from graph.state import Citation
from memory.messages import EXTRACTIVE_MODEL_NAME
from retrievers.embedders import Calibration
from retrievers.embedders.minilm import MiniLM
from retrievers.registry import DEFAULT
from retrievers.types import Candidate, Labeller, RouteDecision
from text.acts import is_question
from text.words import QueryTerms, clip, fold, sentences

OFFLINE_NOTE = "(Offline extractive mode: no LLM is configured, so I quote what I found.)"
NOTA_OFFLINE = (
    "(Modo extrativo offline: nenhum LLM está configurado, por isso cito o que encontrei.)"
)

_PT_MARKERS = frozenset(
    "voce você não nao obrigado obrigada olá ola oi qual quais como onde quando meu minha "
    "lembra lembras disse sobre tudo bem bom dia está esta é".split()
)
MAX_QUOTES = 3
RELATIVE_QUOTE_FLOOR = 0.6
QUOTE_CHARS = 320


def _reply(text: str) -> AIMessage:
    return AIMessage(content=text, response_metadata={"model_name": EXTRACTIVE_MODEL_NAME})


def looks_portuguese(text: str) -> bool:
    """Guess whether `text` is Portuguese from common function words and accents."""
    words = set(text.lower().replace("?", " ").replace("!", " ").split())
    return bool(words & _PT_MARKERS) or any(ch in text for ch in "ãõçê")


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
) -> tuple[AIMessage, list[Citation]]:
    """Answer `query` by quoting the top passages of `context` with numbered citations."""
    portuguese = looks_portuguese(query)
    note = NOTA_OFFLINE if portuguese else OFFLINE_NOTE
    strategy = route["strategy"] if route else "session_only"
    if strategy == "session_only":
        greeting = (
            "Olá! Sou o memoria. Pergunte-me sobre a base de conhecimento ou sobre o que já "
            "conversamos."
            if portuguese
            else "Hello! I'm memoria. Ask me about the knowledge base or anything we've "
            "talked about."
        )
        return _reply(f"{greeting} {note}"), []
    # Fusion and reranking are relative: something always ranks first. Quote only passages
    # with some absolute evidence (a shared content word, or a close meaning), except this
    # thread's own recent messages, which are what "what did I just say?" asks for.
    wanted = QueryTerms(query)
    quotable = [
        c
        for c in context
        if fold(c["content"]).strip() != fold(query).strip()
        and (
            c["source"] == "thread"
            or wanted.coverage(c["content"]) > 0
            or c["scores"].get("vector", 0.0) >= calibration.on_topic
        )
    ]
    if quotable and "rerank" in quotable[0]["scores"]:
        # Quote only passages close to the best one: a weak third quote reads as noise.
        floor = RELATIVE_QUOTE_FLOOR * quotable[0]["scores"]["rerank"]
        quotable = [c for c in quotable if c["scores"].get("rerank", 0.0) >= floor]
    if not quotable and not is_question(query):
        noted = (
            "Anotado — vou lembrar disso nas nossas próximas conversas."
            if portuguese
            else "Noted — I'll remember that in our future conversations."
        )
        return _reply(f"{noted} {note}"), []
    if not quotable:
        nothing = (
            "Não encontrei nada sobre isso na base de conhecimento nem nas nossas conversas."
            if portuguese
            else "I couldn't find anything about that in the knowledge base or our conversations."
        )
        return _reply(f"{nothing} {note}"), []
    citations: list[Citation] = []
    lines = []
    for ref, cand in enumerate(quotable[:MAX_QUOTES], start=1):
        excerpt = best_excerpt(query, cand["content"])
        title = label(cand)
        citations.append(
            Citation(ref=ref, id=cand["id"], source=cand["source"], title=title, snippet=excerpt)
        )
        lines.append(f"[{ref}] “{excerpt}” — {title}")
    intro = "Eis o que encontrei:" if portuguese else "Here is what I found:"
    return _reply("\n".join([intro, *lines, note])), citations
