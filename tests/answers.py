"""Passages and routes for the offline responder's tests (`tests/unit/test_answer_*.py`)."""

from __future__ import annotations

import asyncio
from typing import Any

from retrievers.types import Candidate, RouteDecision

MEMORY = RouteDecision(
    strategy="cross_conversation",
    sources=["facts", "conversation", "knowledge_base"],
    reason="",
    similarities={},
)
MANUAL = RouteDecision(strategy="hybrid", sources=["knowledge_base"], reason="", similarities={})


def passage(
    id_: str, source: str, content: str, metadata: dict[str, Any], rerank: float, vector: float
) -> Candidate:
    """Return a recalled passage with the scores retrieval gives it."""
    return Candidate(
        id=id_,
        source=source,
        content=content,
        metadata=metadata,
        scores={"rerank": rerank, "vector": vector},
        ranks={},
    )


def said(id_: str, content: str, rerank: float, when: str = "2026-01-01T10:00:00") -> Candidate:
    """Return one of the user's past messages, said `when`."""
    return passage(id_, "conversation", content, {"role": "human", "created_at": when}, rerank, 0.2)


def fact(id_: str, content: str, attribute: str, rerank: float) -> Candidate:
    """Return a stored fact of `attribute`."""
    return passage(id_, "facts", content, {"attribute": attribute}, rerank, 0.2)


def page(id_: str, content: str, rerank: float, vector: float) -> Candidate:
    """Return a knowledge-base passage."""
    return passage(id_, "knowledge_base", content, {}, rerank, vector)


def answer(model: Any, classifier: Any, question: str, context: list[Candidate]) -> Any:
    """Answer `question` offline as the generate node does, the classifier reading `context`."""
    from graph.extractive import extractive_answer
    from graph.semantic_evidence import read_evidence

    semantics = asyncio.run(read_evidence(classifier, model, question, context))
    return extractive_answer(
        question, context, MEMORY, calibration=model.calibration, semantics=semantics
    )


def unknown(
    model: Any, classifier: Any, question: str, context: list[Candidate], lang: str
) -> None:
    """Assert the responder says it does not know, in `lang`, and cites nothing."""
    from graph.extractive import PHRASES

    reply, citations = answer(model, classifier, question, context)
    assert citations == [], citations
    assert reply.text.startswith(PHRASES[lang]["unknown"])
