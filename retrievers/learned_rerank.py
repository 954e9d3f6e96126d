"""A learned reranker: a logistic model over retrieval's own signals, shipped as plain numbers.

`memoria eval locomo --cv` trains it (scikit-learn, leave-one-conversation-out) and writes its
standardisation and coefficients as JSON (`retrievers/models/rerank-v1.json`); here it is a
dot product, no pickle and no scikit-learn at run time. It orders conversation turns only,
the one source it was trained on: they swap among the slots the hand-tuned scorer gave them,
so passages, facts and the scores' scale stay as the local scorer left them.

The hand-tuned order is the fallback: with a missing file, another feature list, a model
trained over another embedder's similarities or under other read-path constants than those
served (`Tuning`, the local scorer's coverage weight), `build_reranker` keeps `LocalReranker`
(logged once, at start).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from retrievers.rerank_features import FEATURES, candidate_features
from retrievers.types import Candidate

logger = logging.getLogger(__name__)

FORMAT = "memoria-rerank-logistic/1"
"""The file layout this module reads; a file of another format is not loaded."""


@dataclass(frozen=True)
class RerankModel:
    """A standardised linear model over `FEATURES`: score = ((x - mean) / scale) . coef + bias."""

    name: str
    embedder: str
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    trained: Mapping[str, Any]

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Return the model's score of each feature row."""
        return ((rows - self.mean) / self.scale) @ self.coef + self.intercept

    def to_dict(self) -> dict[str, Any]:
        """Return the model as the JSON file stores it."""
        return {
            "format": FORMAT,
            "name": self.name,
            "embedder": self.embedder,
            "features": list(self.features),
            "mean": [round(float(v), 8) for v in self.mean],
            "scale": [round(float(v), 8) for v in self.scale],
            "coef": [round(float(v), 8) for v in self.coef],
            "intercept": round(float(self.intercept), 8),
            "trained": dict(self.trained),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RerankModel:
        """Build a model from its JSON form.

        Raises:
            ValueError: another format, or vectors whose lengths do not match the features.
        """
        if data.get("format") != FORMAT:
            raise ValueError(f"rerank model format is {data.get('format')!r}, not {FORMAT!r}")
        features = tuple(data["features"])
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
        if any(a.shape != (len(features),) for a in arrays):
            raise ValueError("rerank model: mean, scale and coef need one value per feature")
        mean, scale, coef = arrays
        return cls(
            name=str(data["name"]),
            embedder=str(data["embedder"]),
            features=features,
            mean=mean,
            scale=np.where(scale > 0, scale, 1.0),
            coef=coef,
            intercept=float(data["intercept"]),
            trained=dict(data.get("trained") or {}),
        )


class Scorer(Protocol):
    """The hand-tuned scorer whose slots the model reorders (`retrievers.rerank.LocalReranker`)."""

    async def score(self, query: str, candidates: Sequence[Candidate]) -> list[float]:
        """Return one relevance score per candidate, in order."""
        ...


class LearnedReranker:
    """Orders conversation turns by a `RerankModel`, inside the local scorer's slots."""

    def __init__(self, model: RerankModel, fallback: Scorer) -> None:
        """Score with `model`; non-conversation candidates keep `fallback`'s scores."""
        if model.features != FEATURES:
            raise ValueError(f"rerank model {model.name} was trained on other features")
        self.model = model
        self.name = model.name
        self._fallback = fallback

    async def score(self, query: str, candidates: Sequence[Candidate]) -> list[float]:
        """Score candidates: the local scores, handed to conversation turns in model order."""
        base = await self._fallback.score(query, candidates)
        turns = [i for i, c in enumerate(candidates) if c["source"] == "conversation"]
        if len(turns) < 2:
            return base
        learned = self.model.scores(candidate_features(query, [candidates[i] for i in turns]))
        # The turns' slots, best first, go to the turns in the model's order (stable on ties).
        slots = sorted((base[i] for i in turns), reverse=True)
        order = sorted(range(len(turns)), key=lambda j: -learned[j])
        out = list(base)
        for slot, j in zip(slots, order, strict=True):
            out[turns[j]] = slot
        return out


def load_model(
    path: Path | None, embedder: str, constants: Mapping[str, float] | None = None
) -> RerankModel | None:
    """Return the rerank model in `path`, or None (logged) when it cannot be used.

    It cannot when there is no file, it is not a model of this format, it was trained on
    other features, on another embedder's similarities (its cosines mean other things), or,
    given the read path's `constants` (`retrievers.rerank.served_constants`), over
    candidates retrieved and scored under other ones (its fused scores, ranks and lent
    scores meant other things: the model file records `trained.constants`).
    """
    if path is None:
        return None
    try:
        model = RerankModel.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        if model.features != FEATURES:
            raise ValueError("trained on another feature list")
        if model.embedder != embedder:
            raise ValueError(f"trained with the {model.embedder!r} embedder, not {embedder!r}")
        if constants is not None and model.trained.get("constants") != dict(constants):
            raise ValueError(
                f"trained under the read path's constants {model.trained.get('constants')}, "
                f"not the served {dict(constants)}"
            )
        return model
    except FileNotFoundError:
        logger.warning("no rerank model at %s: using the hand-tuned order", path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("rerank model %s not used (%s): using the hand-tuned order", path, exc)
    return None
