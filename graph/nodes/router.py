"""Router: pick this turn's memory strategy from cheap rules, then example-utterance similarity."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import numpy as np
import yaml
from langchain_core.embeddings import Embeddings
from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import State
from graph.tracing import annotate_turn, strategy_tag
from retrievers.search import SOURCES
from retrievers.text import fold
from retrievers.types import STRATEGIES, RouteDecision, Strategy
from storage.metrics import STRATEGY_USE

ROUTES_FILE = Path(__file__).resolve().parents[2] / "configs" / "routes.yaml"

# Below this best similarity no example is close enough to trust; hybrid searches everything.
MIN_SIMILARITY = 0.45
# Strategies that skip the knowledge base need a much closer match: a wrong pick there loses
# the answer, while a wrong pick among the searching strategies only shifts weights. (The
# bundled MiniLM is English-only, so Portuguese sentences look alike to it.)
STRICT_SIMILARITY: dict[str, float] = {"session_only": 0.8, "recent_history": 0.8}

# Rules run on accent-folded, lowercased text, in this order; the first match wins.
_RULES: list[tuple[Strategy, re.Pattern[str], str]] = [
    (
        "recent_history",
        re.compile(
            r"\b(what (did|was) i (just )?(say|said|ask)|my (last|previous) (question|message)"
            r"|your (last|previous) (answer|reply)|acabei de (dizer|perguntar)"
            r"|(minha|tua|sua) (ultima|anterior) (pergunta|resposta|mensagem)"
            r"|pergunta anterior|nesta conversa|in this conversation)"
        ),
        "asks about this conversation's recent messages",
    ),
    (
        "cross_conversation",
        re.compile(
            r"\b(remember|recall|last time|told you|about me|my name|do you know (me|my)"
            r"|lembr\w*|te disse|da outra vez|sobre mim|meu nome|o meu nome|voce sabe)"
        ),
        "asks what the user said before, possibly in another conversation",
    ),
    (
        "hybrid",
        re.compile(r"(#\s?\w*\d|\b[a-z]{1,5}-\d{2,}\b|\b\d{3,}\b|\"[^\"]+\"|`[^`]+`)"),
        "contains an exact identifier, number or quoted phrase: lexical matching matters",
    ),
]
_SMALL_TALK = re.compile(
    r"^(hi|hello|hey|thanks?|thank you|ok|okay|bye|good (morning|evening|night)|ola|oi|"
    r"obrigad[oa]|valeu|tchau|bom dia|boa (tarde|noite)|tudo bem)[\s!.,?]*"
    r"(there|a lot|so much|muito|mesmo)?[\s!.,?]*$"
)


def choose_strategy(query: str, similarities: dict[str, float]) -> RouteDecision:
    """Return the strategy for `query`: small talk, then rules, then the closest example.

    Args:
        query: The user's latest message.
        similarities: Best cosine similarity of the query to each strategy's examples.

    Raises:
        ValueError: `similarities` names a strategy that does not exist.
    """
    unknown = set(similarities) - set(STRATEGIES)
    if unknown:
        raise ValueError(f"unknown strategies in similarities: {sorted(unknown)}")
    text = fold(query).strip()
    if not text or _SMALL_TALK.match(text):
        return _decision("session_only", "small talk: no retrieval needed", similarities)
    for strategy, pattern, reason in _RULES:
        if pattern.search(text):
            return _decision(strategy, f"rule: {reason}", similarities)
    eligible = {
        strategy: sim
        for strategy, sim in similarities.items()
        if sim >= STRICT_SIMILARITY.get(strategy, MIN_SIMILARITY)
    }
    if eligible:
        best = max(eligible, key=lambda s: eligible[s])
        reason = f"closest examples are {best} (similarity {eligible[best]:.2f})"
        return _decision(best, reason, similarities)  # type: ignore[arg-type]
    return _decision("hybrid", "no rule or close example: search every source", similarities)


def _decision(strategy: Strategy, reason: str, similarities: dict[str, float]) -> RouteDecision:
    return RouteDecision(
        strategy=strategy,
        sources=list(SOURCES[strategy]),
        reason=reason,
        similarities={k: round(v, 4) for k, v in similarities.items()},
    )


def _skip_empty_sources(decision: RouteDecision, version: str) -> RouteDecision:
    """Drop sources with nothing stored yet (version 0): their searches cannot find anything.

    `version` is "<user memory>.<knowledge base>" from the thread claim; each part is 0 until
    the first indexed message or fact of the user, or the first ingest of the tenant.
    """
    memory, _, kb = version.partition(".")
    empty = {"knowledge_base"} if kb == "0" else set()
    if memory == "0":
        empty |= {"conversation", "facts"}
    skipped = [source for source in decision["sources"] if source in empty]
    if not skipped:
        return decision
    return {
        **decision,
        "sources": [source for source in decision["sources"] if source not in empty],
        "reason": f"{decision['reason']}; nothing stored yet in {', '.join(skipped)}",
    }


class SemanticRouter:
    """Similarity of a query to labelled example utterances (English and Portuguese)."""

    def __init__(self, examples: dict[str, np.ndarray]) -> None:
        """Keep each strategy's example vectors (rows, unit length)."""
        self._examples = examples

    @classmethod
    async def load(cls, embeddings: Embeddings, path: Path = ROUTES_FILE) -> SemanticRouter:
        """Embed the example utterances in `path` once."""
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        unknown = set(raw) - set(STRATEGIES)
        if unknown:
            raise ValueError(f"{path}: unknown strategies {sorted(unknown)}")
        examples = {}
        for strategy, utterances in raw.items():
            vectors = await embeddings.aembed_documents([str(u) for u in utterances])
            examples[strategy] = np.asarray(vectors, dtype=np.float32)
        return cls(examples)

    def similarities(self, vector: list[float]) -> dict[str, float]:
        """Return the best cosine similarity of a question's unit `vector` to each strategy's.

        The router embeds the question itself, to learn whether a cache held its vector.
        """
        query = np.asarray(vector, dtype=np.float32)
        return {s: float(np.max(m @ query)) for s, m in self._examples.items()}


def latest_question(state: State) -> str:
    """Return the text of the latest human message, or '' if there is none."""
    for message in reversed(state["messages"]):
        if message.type == "human":
            return message.text if isinstance(message.text, str) else str(message.content)
    return ""


def make_router(resources):  # noqa: ANN001, ANN201 - resources is graph.resources.Resources
    """Build the router node bound to `resources`."""

    async def router(state: State, config: RunnableConfig, runtime: Runtime[Context]) -> dict:
        """Check the thread's owner, choose this turn's strategy, reset the per-turn fields."""
        res = await resources.open()
        ctx = runtime.context or Context()
        query = latest_question(state)
        claim = res.conversation.claim_thread(res.identity(config))
        embedding_cache: dict[str, str] = {}
        if ctx.strategy or not query:
            version = await claim
            similarities: dict[str, float] = {}
        else:
            # Independent: the ownership check runs in Postgres while the question is embedded.
            # The decision below only reaches state if the claim succeeded.
            version, (vector, cached) = await asyncio.gather(
                claim, res.embeddings.aembed_query_cached(query)
            )
            similarities = res.router.similarities(vector)
            embedding_cache["memoria_embedding_cache"] = "hit" if cached else "miss"
        if ctx.strategy:
            decision = _decision(ctx.strategy, "forced by the run's context", {})
        else:
            decision = choose_strategy(query, similarities)
        decision = _skip_empty_sources(decision, version)
        STRATEGY_USE.labels(decision["strategy"]).inc()
        # Every turn carries every key: later nodes overwrite the ones they get to.
        annotate_turn(
            config,
            {
                "memoria_strategy": decision["strategy"],
                "memoria_strategy_reason": decision["reason"],
                "memoria_sources": decision["sources"],
                **embedding_cache,
                "memoria_retrieval_cache": "off",
                "memoria_candidates": 0,
                "memoria_kept": 0,
            },
            tags=[strategy_tag(decision["strategy"])],
        )
        return {
            "route": decision,
            "memory_version": version,
            "retrieval_cache": "off",
            "candidates": [],
            "context": [],
            "citations": [],
            "tool_rounds": 0,
        }

    return router
