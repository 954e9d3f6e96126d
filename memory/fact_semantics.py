"""Which attribute of the user a question asks or a sentence states, by meaning (numpy only).

The word lists (`memory/fact_questions.py`, `memory/fact_rules.py`) generalise only as far as
their phrasings. This is their semantic complement: a multinomial logistic regression over
the configured embedding model's vectors, one for questions and one for statement sentences,
trained on the hand-labelled bank `memory/attribute_bank.yaml` (`python -m
evals.chat.attributes train`). Its weights are plain JSON per embedding model
(`memory/models/attributes-<model>.json`, with the thresholds calibrated on the chat eval);
a model without a file has no semantic layer and the rules act alone.

Classes are the fact attributes as the extractor records them, plus `health` (allergies and
conditions, asked together) and `none` (questions about the assistant or the product, small
talk, other people's facts).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

MODELS = Path(__file__).parent / "models"
NONE = "none"
# Questions whose probabilities are kept: a turn reads its question's up to four times
# (router, stated-facts leg, evidence, none), with other clients' turns in between.
RECENT_QUESTIONS = 64
# Attributes the classifier does not answer by meaning (a number, a thing named): only the
# word rules find them stated.
BY_WORDS_ONLY = frozenset({"age", "favourite"})
# A class -> the attributes a fact of it is stored under (prefixes, as `asked_attributes`).
ASKS: dict[str, tuple[str, ...]] = {"health": ("allergy", "health")}


@dataclass(frozen=True)
class Verdict:
    """The most likely attribute of one text, and how sure the model is."""

    attribute: str
    probability: float

    @property
    def asks(self) -> tuple[str, ...]:
        """The fact attributes this verdict stands for ("health": allergy and health)."""
        if self.attribute == NONE:
            return ()
        return ASKS.get(self.attribute, (self.attribute,))


@dataclass(frozen=True)
class Thresholds:
    """Probabilities that mean something for one model (calibrated, see BENCHMARKS.md).

    Attributes:
        question: A question is taken to ask for its attribute at least this sure.
        statement: A sentence counts as stating its attribute at least this sure.
        personal: A question whose chance of asking for none of the user's attributes is at
            most this asks about the user (the knowledge base cannot answer it).
        demote: A recalled message less likely than this to state the asked attribute is
            quoted after those more likely, whatever words it shares with the question.
        product: A question whose chance of asking for none of the user's attributes is at
            least this asks the manual, even in the first person (above 1: never).
        margin: A recalled sentence states the asked attribute by meaning alone only at
            least this share of its likeliest attribute's probability (0: any share).
    """

    question: float
    statement: float
    personal: float = 0.0
    demote: float = 0.0
    product: float = 1.1
    margin: float = 0.0


class _Softmax:
    def __init__(self, coef: list[list[float]], intercept: list[float]) -> None:
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)

    def probabilities(self, vectors: Sequence[Sequence[float]]) -> np.ndarray:
        logits = np.asarray(vectors, dtype=np.float32) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


class AttributeClassifier:
    """Attributes of questions and statement sentences from their embeddings."""

    def __init__(self, data: dict) -> None:
        """Build from the JSON a training run wrote (classes, weights per kind, thresholds)."""
        self.model_id: str = data["model_id"]
        self.classes: list[str] = data["classes"]
        self.thresholds = Thresholds(**data["thresholds"])
        self._questions = _Softmax(**data["question"])
        self._statements = _Softmax(**data["statement"])
        # id(vector) -> (vector, probabilities): the vector is held so its id is not reused.
        self._asked: dict[int, tuple[Sequence[float], np.ndarray]] = {}

    def _question_probabilities(self, vector: Sequence[float]) -> np.ndarray:
        """Return the question model's probabilities for `vector`, once per vector object."""
        held = self._asked.get(id(vector))
        if held is not None and held[0] is vector:
            return held[1]
        probs = self._questions.probabilities([vector])[0]
        if len(self._asked) >= RECENT_QUESTIONS:
            self._asked.clear()
        self._asked[id(vector)] = (vector, probs)
        return probs

    def _verdicts(self, model: _Softmax, vectors: Sequence[Sequence[float]]) -> list[Verdict]:
        if not len(vectors):
            return []
        probs = model.probabilities(vectors)
        best = probs.argmax(axis=1)
        return [
            Verdict(self.classes[int(i)], float(p[i])) for i, p in zip(best, probs, strict=True)
        ]

    def question(self, vector: Sequence[float]) -> Verdict:
        """Return what a question (embedded as a query) asks for."""
        probs = self._question_probabilities(vector)
        best = int(probs.argmax())
        return Verdict(self.classes[best], float(probs[best]))

    def none_probability(self, vector: Sequence[float]) -> float:
        """Return how likely a question asks for none of the user's attributes."""
        return float(self._question_probabilities(vector)[self.classes.index(NONE)])

    def statements(self, vectors: Sequence[Sequence[float]]) -> list[Verdict]:
        """Return what each sentence (embedded as a stored text) states."""
        return self._verdicts(self._statements, vectors)

    def asked(self, vector: Sequence[float]) -> tuple[str, ...]:
        """Return the attributes a question asks for when sure enough, else nothing."""
        verdict = self.question(vector)
        return verdict.asks if verdict.probability >= self.thresholds.question else ()

    def stated(self, vectors: Sequence[Sequence[float]]) -> dict[str, float]:
        """Return, per fact attribute, the highest probability any sentence states it with.

        Read per attribute, not by the most likely class: a sentence that mentions the
        user's workplace in passing while complaining about sync still states it a little.
        """
        if not len(vectors):
            return {}
        best = self._statements.probabilities(vectors).max(axis=0)
        out: dict[str, float] = {}
        for label, probability in zip(self.classes, best, strict=True):
            for attribute in Verdict(label, 0.0).asks:
                out[attribute] = float(probability)
        return out


def weights_path(model_name: str) -> Path:
    """Return where the weights for the embedding model `model_name` ("use", "e5") live."""
    return MODELS / f"attributes-{model_name}.json"


@cache
def load(model_name: str, model_id: str | None = None) -> AttributeClassifier | None:
    """Return the classifier trained for `model_name`'s vectors, or None when there is none.

    With `model_id`, weights trained on another version of the model are not used either
    (their coefficients would read different vectors).
    """
    path = weights_path(model_name)
    if not path.exists():
        return None
    classifier = AttributeClassifier(json.loads(path.read_text()))
    if model_id is not None and classifier.model_id != model_id:
        logger.warning(
            "attribute classifier %s was trained on %s, not %s: not used",
            path.name,
            classifier.model_id,
            model_id,
        )
        return None
    return classifier
