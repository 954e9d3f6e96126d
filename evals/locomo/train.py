"""The learned reranker's training: features of the top candidates, a logistic regression.

Trained and scored per fold of the leave-one-conversation-out split (`evals.locomo.cv`): the
regularisation is chosen by an inner leave-one-out over the training conversations, and the
held-out conversation is ranked exactly as the product ranks (`LearnedReranker` over the local
scorer's slots).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from evals.locomo.data import DEPTH
from evals.locomo.metrics import score_query
from evals.locomo.run import Asked
from graph.nodes.rerank import RERANK_DEPTH
from retrievers.learned_rerank import LearnedReranker, RerankModel
from retrievers.rerank import LocalReranker, Reranker, select
from retrievers.rerank_features import FEATURES, candidate_features
from retrievers.types import Candidate

MODEL_NAME = "learned-v1"
# Inverse regularisation strengths the learned reranker chooses from.
C_VALUES = (0.01, 0.1, 1.0)


Scored = list[tuple[str, int, dict[str, float]]]
"""Per question: its conversation, its category and its metrics."""


def objective(rows: Scored) -> float:
    """Return what choices maximise: mean R@5 plus mean MRR."""
    if not rows:
        return float("-inf")
    return sum(m["R@5"] + m["MRR"] for _, _, m in rows) / len(rows)


@dataclass(frozen=True)
class Setup:
    """What a fold's reranker reorders: each question's candidates and the constants behind them.

    `constants` are the read path's (`retrievers.rerank.served_constants` layout) the
    candidates were retrieved and are scored under; a model fitted here records them.
    """

    candidates: Sequence[Sequence[Candidate]]
    constants: Mapping[str, float]

    @property
    def coverage_weight(self) -> float:
        """The local scorer's coverage weight the model's slots come from."""
        return self.constants["coverage_weight"]


@dataclass(frozen=True)
class LearnedCv:
    """The reranker's held-out rows, its per-fold choice of C, and the model fitted on all."""

    held_out: Scored
    chosen_c: dict[str, float]
    model: RerankModel
    in_sample: Scored


@dataclass
class Examples:
    """The learned reranker's training rows: features of each question's candidate turns."""

    conv: list[str] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)

    def add(self, item: Asked, candidates: Sequence[Candidate]) -> None:
        """Add a question's head of conversation turns (questions with no evidence there skip)."""
        turns = [c for c in candidates[:RERANK_DEPTH] if c["source"] == "conversation"]
        labels = np.asarray([c["metadata"].get("dia_id") in item.query.evidence for c in turns])
        if len(turns) < 2 or not labels.any():
            return
        self.conv.append(item.query.conv_id)
        self.rows.append(candidate_features(item.query.question, turns))
        self.labels.append(labels)

    def fit(
        self,
        convs: set[str],
        c_value: float,
        embedder: str,
        constants: Mapping[str, float],
        drop: frozenset[str] = frozenset(),
    ) -> RerankModel:
        """Fit the model on the questions of `convs`, features in `drop` held at 0.

        `constants` are those the examples' candidates were retrieved under (recorded).
        """
        from sklearn.linear_model import LogisticRegression

        picked = [i for i, conv in enumerate(self.conv) if conv in convs]
        x = np.vstack([self.rows[i] for i in picked])
        if drop:
            x[:, [FEATURES.index(name) for name in drop]] = 0.0
        y = np.concatenate([self.labels[i] for i in picked])
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        clf = LogisticRegression(C=c_value, max_iter=2000)
        clf.fit((x - mean) / scale, y)
        return RerankModel(
            name=MODEL_NAME,
            embedder=embedder,
            features=FEATURES,
            mean=mean,
            scale=scale,
            coef=clf.coef_[0],
            intercept=float(clf.intercept_[0]),
            trained={
                "conversations": sorted(convs),
                "questions": len(picked),
                "rows": int(len(y)),
                "C": c_value,
                "constants": dict(constants),
            },
        )


async def product_order(
    reranker: Reranker, question: str, candidates: Sequence[Candidate]
) -> list[str]:
    """Return dia_ids in the order the read path gives them (rerank node, then the tail)."""
    head = list(candidates[:RERANK_DEPTH])
    scores = await reranker.score(question, head) if head else []
    kept = select(head, scores, k=DEPTH, threshold=0.0, min_keep=DEPTH)
    ranked: list[str] = []
    for cand in [*kept, *candidates]:
        dia_id = cand["metadata"].get("dia_id")
        if dia_id is not None and dia_id not in ranked:
            ranked.append(dia_id)
    return ranked[:DEPTH]


async def score_all(
    asked: Sequence[Asked], candidates: Sequence[Sequence[Candidate]], reranker: Reranker
) -> Scored:
    """Order every question's candidates with `reranker`; return each one's metrics."""
    rows: Scored = []
    for item, cands in zip(asked, candidates, strict=True):
        ranked = await product_order(reranker, item.query.question, cands)
        metrics, _ = score_query(ranked, item.query.evidence, depth=DEPTH)
        if metrics is not None:
            rows.append((item.query.conv_id, item.query.category, metrics))
    return rows


def examples_of(asked: Sequence[Asked], setup: Setup) -> Examples:
    """Return the training rows of every question under `setup`."""
    ex = Examples()
    for item, cands in zip(asked, setup.candidates, strict=True):
        ex.add(item, cands)
    return ex


@dataclass
class Trainer:
    """Fits and scores the reranker for one setup, without the features in `drop`."""

    asked: Sequence[Asked]
    setup: Setup
    embedder: str
    drop: frozenset[str] = frozenset()
    examples: Examples = field(init=False)

    def __post_init__(self) -> None:
        """Build the examples once per setup."""
        self.examples = examples_of(self.asked, self.setup)

    def fit(self, train: set[str], c_value: float) -> RerankModel:
        """Fit on the questions of `train`."""
        return self.examples.fit(
            train, c_value, self.embedder, self.setup.constants, drop=self.drop
        )

    async def held_out(self, train: set[str], test: str, c_value: float) -> Scored:
        """Fit on `train`, return the metrics of the questions of `test`."""
        reranker = LearnedReranker(
            self.fit(train, c_value), LocalReranker(coverage_weight=self.setup.coverage_weight)
        )
        items = [
            (a, cands)
            for a, cands in zip(self.asked, self.setup.candidates, strict=True)
            if a.query.conv_id == test
        ]
        return await score_all([a for a, _ in items], [c for _, c in items], reranker)

    async def choose_c(self, train: set[str]) -> float:
        """Pick C by leave-one-out over the conversations of `train` alone."""
        by_c: dict[float, Scored] = {}
        for c_value in C_VALUES:
            by_c[c_value] = []
            for inner in sorted(train):
                by_c[c_value] += await self.held_out(train - {inner}, inner, c_value)
        return max(C_VALUES, key=lambda c: objective(by_c[c]))


async def held_out_rows(
    asked: Sequence[Asked],
    folds: Mapping[str, Setup],
    embedder: str,
    drop: frozenset[str] = frozenset(),
) -> tuple[Scored, dict[str, float]]:
    """Return every conversation's held-out metrics and the C each fold chose.

    Args:
        asked: Every question.
        folds: Per held-out conversation, what its fold reorders (chosen without it).
        embedder: The embedder whose similarities the features hold.
        drop: Features left out (an ablation).
    """
    convs = sorted(folds)
    rows: Scored = []
    chosen: dict[str, float] = {}
    for conv in convs:
        trainer = Trainer(asked, folds[conv], embedder, drop)
        train = set(convs) - {conv}
        chosen[conv] = await trainer.choose_c(train)
        rows += await trainer.held_out(train, conv, chosen[conv])
    return rows, chosen


async def cross_validate_reranker(
    asked: Sequence[Asked], folds: Mapping[str, Setup], final: Setup, embedder: str
) -> LearnedCv:
    """Score the reranker on each held-out conversation; fit the shipped one on all.

    `final` is what the model fitted on every conversation reorders.
    """
    rows, chosen = await held_out_rows(asked, folds, embedder)
    trainer = Trainer(asked, final, embedder)
    convs = set(folds)
    model = trainer.fit(convs, await trainer.choose_c(convs))
    local = LocalReranker(coverage_weight=final.coverage_weight)
    in_sample = await score_all(asked, final.candidates, LearnedReranker(model, local))
    return LearnedCv(rows, chosen, model, in_sample)
