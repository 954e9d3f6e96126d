"""Routing: pick a turn's memory strategy from cheap rules, then example-utterance similarity.

Pure functions and the example embeddings; `graph/nodes/router.py` adapts them to the graph.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import numpy as np
import yaml
from langchain_core.embeddings import Embeddings

from memory.fact_extraction import extract_facts
from memory.fact_questions import asked_attributes
from retrievers.embedders import Calibration
from retrievers.embedders.minilm import MiniLM
from retrievers.registry import DEFAULT, Registry
from retrievers.types import STRATEGIES, RouteDecision, Strategy
from text.acts import is_about_user, is_question
from text.words import fold

ROUTES_FILE = Path(__file__).resolve().parents[1] / "configs" / "routes.yaml"

# Below the model's `route_min`, no example is close enough to trust and hybrid searches
# everything. Strategies that skip the knowledge base need `route_strict`: a wrong pick there
# loses the answer, while a wrong pick among the searching strategies only shifts weights.
STRICT_STRATEGIES = frozenset({"session_only", "recent_history"})
# For callers that name no model: all-MiniLM-L6-v2's.
DEFAULT_CALIBRATION = MiniLM.calibration
MIN_SIMILARITY = DEFAULT_CALIBRATION.route_min

SMALL_TALK = "small talk: no retrieval needed"
STATEMENT = "a statement about the user: noted for memory, nothing to look up"

# Verbs of someone reporting to the user (a doctor, a test, a vet, a teacher): what they
# said, found, showed or prescribed. Up to two words name who reported.
_WORDS = r"[a-z]+( [a-z]+)?"
_REPORTED = (
    r"(say|tell|find|show|reveal|confirm|detect|diagnose|prescribe|recommend|suggest|give"
    r"|decide|conclude)"
)
_REPORTOU = (
    r"(disse|falou|achou|encontrou|mostrou|deu|revelou|confirmou|detetou|detectou"
    r"|diagnosticou|receitou|recomendou|sugeriu|decidiu|concluiu)"
)

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
        "hybrid",
        re.compile(r"(#\s?\w*\d|\b[a-z]{1,5}-\d{2,}\b|\b\d{3,}\b|\"[^\"]+\"|`[^`]+`)"),
        "contains an exact identifier, number or quoted phrase: lexical matching matters",
    ),
    (
        # "What did the sleep study find?", "o que o médico disse?": someone reported to the
        # user, in the past; a manual answers what the product does, in the present.
        "cross_conversation",
        re.compile(
            rf"\bdid (the|that|this|those|these|his|her|their|our) {_WORDS} {_REPORTED}\b"
            rf"|\bo que (e que )?(o|a|os|as|meu|minha|meus|minhas) {_WORDS} {_REPORTOU}\b"
            rf"|\bo que (e que )?{_REPORTOU} (o|a|os|as|meu|minha|meus|minhas) "
        ),
        "asks what someone found or told the user: an event of their own life, not the manual",
    ),
    (
        "cross_conversation",
        re.compile(
            r"\b(remember|recall|last time|told you|about me|my name|do you know (me|my)"
            r"|lembr\w*|te disse|da outra vez|sobre mim|meu nome|o meu nome|voce sabe)"
        ),
        "asks what the user said before, possibly in another conversation",
    ),
]
_SMALL_TALK = re.compile(
    r"^(hi|hello|hey|thanks?|thank you|ok|okay|bye|good (morning|evening|night)|ola|oi|"
    r"obrigad[oa]|valeu|tchau|bom dia|boa (tarde|noite)|tudo bem)[\s!.,?]*"
    r"(there|a lot|so much|muito|mesmo)?[\s!.,?]*$"
)


def choose_strategy(
    query: str,
    similarities: dict[str, float],
    registry: Registry = DEFAULT,
    calibration: Calibration = DEFAULT_CALIBRATION,
    asked_by_meaning: Sequence[str] = (),
) -> RouteDecision:
    """Return the strategy for `query`: small talk, then rules, then the closest example.

    Args:
        query: The user's latest message.
        similarities: Best cosine similarity of the query to each strategy's examples.
        registry: Which sources each strategy searches.
        calibration: What those similarities mean for the model that made them.
        asked_by_meaning: The user's attributes the attribute classifier is sure the query
            asks for ("what do I do for a paycheck?": job), where the word rules see none.

    Raises:
        ValueError: `similarities` names a strategy that does not exist.
    """
    unknown = set(similarities) - set(STRATEGIES)
    if unknown:
        raise ValueError(f"unknown strategies in similarities: {sorted(unknown)}")
    text = fold(query).strip()
    if not text or _SMALL_TALK.match(text):
        return decision("session_only", SMALL_TALK, similarities, registry)
    if not is_question(query) and extract_facts(query):
        return decision("session_only", STATEMENT, similarities, registry)
    about_user = _asks_about_user(query, asked_by_meaning)
    for strategy, pattern, reason in _RULES:
        if strategy == "cross_conversation" and about_user:
            # Before "do you remember…", after "what did I just say" and exact identifiers.
            reason = "asks about the user themselves: what they told before, and their facts"
            return decision("cross_conversation", f"rule: {reason}", similarities, registry)
        if pattern.search(text):
            return decision(strategy, f"rule: {reason}", similarities, registry)
    if about_user:
        reason = "asks about the user themselves: what they told before, and their facts"
        return decision("cross_conversation", f"rule: {reason}", similarities, registry)
    eligible = {
        strategy: sim
        for strategy, sim in similarities.items()
        if sim
        >= (calibration.route_strict if strategy in STRICT_STRATEGIES else calibration.route_min)
    }
    if eligible:
        best = max(eligible, key=lambda s: eligible[s])
        reason = f"closest examples are {best} (similarity {eligible[best]:.2f})"
        return decision(best, reason, similarities, registry)  # type: ignore[arg-type]
    return decision(
        "hybrid", "no rule or close example: search every source", similarities, registry
    )


def _asks_about_user(query: str, asked_by_meaning: Sequence[str] = ()) -> bool:
    asked = bool(asked_attributes(query)) or bool(asked_by_meaning)
    return is_question(query) and is_about_user(query) and asked


def for_a_new_thread(decided: RouteDecision, registry: Registry = DEFAULT) -> RouteDecision:
    """Look in the user's other threads when this one has nothing to recall yet.

    "What did I say my dog is called?" routes to this thread's recent messages, which a new
    thread does not have; the user means an earlier conversation. Greetings and statements
    stay as they are.
    """
    asks_back = decided["strategy"] == "recent_history" or (
        decided["strategy"] == "session_only" and decided["reason"] not in (SMALL_TALK, STATEMENT)
    )
    if not asks_back:
        return decided
    reason = f"{decided['reason']}; this thread has no earlier messages: the user's other threads"
    return decision("cross_conversation", reason, decided["similarities"], registry)


def decision(
    strategy: Strategy,
    reason: str,
    similarities: dict[str, float],
    registry: Registry = DEFAULT,
) -> RouteDecision:
    """Return the decision to use `strategy` (searching its sources) for `reason`."""
    return RouteDecision(
        strategy=strategy,
        sources=registry.sources(strategy),
        reason=reason,
        similarities={k: round(v, 4) for k, v in similarities.items()},
    )


def skip_empty_sources(
    decided: RouteDecision, version: str, registry: Registry = DEFAULT
) -> RouteDecision:
    """Drop sources with nothing stored yet (version 0): their searches cannot find anything.

    `version` is "<user memory>.<knowledge base>" from the thread claim; each part is 0 until
    the first indexed message or fact of the user, or the first ingest of the tenant.
    """
    memory, _, kb = version.partition(".")
    empty = registry.empty_sources(memory, kb)
    return without_sources(decided, empty, lambda names: f"nothing stored yet in {names}")


def without_sources(
    decided: RouteDecision, dropped: Collection[str], why: Callable[[str], str]
) -> RouteDecision:
    """Return `decided` without the `dropped` sources it had, its reason saying so.

    `why(names)` is appended to the reason, `names` listing the sources dropped; a decision
    that had none of them is returned as it is.
    """
    gone = [source for source in decided["sources"] if source in dropped]
    if not gone:
        return decided
    return {
        **decided,
        "sources": [source for source in decided["sources"] if source not in dropped],
        "reason": f"{decided['reason']}; {why(', '.join(gone))}",
    }


class SemanticRouter:
    """Similarity of a query to labelled example utterances (English and Portuguese)."""

    def __init__(self, examples: dict[str, np.ndarray], calibration: Calibration) -> None:
        """Keep each strategy's example vectors (rows, unit length) and what they mean."""
        self._examples = examples
        self.calibration = calibration

    @classmethod
    async def load(
        cls, embeddings: Embeddings, calibration: Calibration, path: Path = ROUTES_FILE
    ) -> SemanticRouter:
        """Embed the example utterances in `path` once, as questions are embedded."""
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        unknown = set(raw) - set(STRATEGIES)
        if unknown:
            raise ValueError(f"{path}: unknown strategies {sorted(unknown)}")
        examples = {}
        for strategy, utterances in raw.items():
            vectors = [await embeddings.aembed_query(str(u)) for u in utterances]
            examples[strategy] = np.asarray(vectors, dtype=np.float32)
        return cls(examples, calibration)

    def similarities(self, vector: list[float]) -> dict[str, float]:
        """Return the best cosine similarity of a question's unit `vector` to each strategy's.

        The router embeds the question itself, to learn whether a cache held its vector.
        """
        query = np.asarray(vector, dtype=np.float32)
        return {s: float(np.max(m @ query)) for s, m in self._examples.items()}
