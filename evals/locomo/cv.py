"""Leave-one-conversation-out cross-validation of the read path's constants and learned reranker.

Every constant and weight is chosen on the other conversations and scored on the one left
out; the held-out scores of all folds, pooled by question, are the cross-validated figure.
Two things are chosen that way:

- the hand-tuned constants (`retrievers.registry.Tuning` and the local scorer's coverage
  weight) over a small grid: each grid point re-ranks every question through the real
  retriever on the eval tenant's rows;
- the learned reranker (`retrievers.learned_rerank`): a logistic regression over
  `retrievers.rerank_features.FEATURES` of the top candidates, its regularisation chosen by
  an inner leave-one-out over the training conversations. Scored exactly as the product runs
  it (`LearnedReranker` over the local scorer's slots), on the candidates retrieved at the
  shipped constants, and, for comparison, at the point each fold chose. Fitted on every
  conversation at the shipped constants (`retrievers.rerank.served_constants`, recorded in
  the file, which the product loads only under the same), it is what `--model-out` writes.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from evals.locomo.data import DEPTH
from evals.locomo.metrics import aggregate
from evals.locomo.run import Asked
from evals.locomo.train import (
    Scored,
    Setup,
    cross_validate_reranker,
    held_out_rows,
    objective,
    score_all,
)
from graph.resources import Resources
from retrievers.learned_rerank import RerankModel
from retrievers.registry import Tuning
from retrievers.rerank import LocalReranker, served_constants
from retrievers.rerank_features import FEATURES
from retrievers.search import Retriever
from retrievers.types import Candidate
from storage.identity import Identity

logger = logging.getLogger(__name__)

# The hand-tuned constants' grid; the shipped values (`Tuning`, `COVERAGE_WEIGHT`) must be
# among the points (checked: the shipped model is trained at them).
GRID: Mapping[str, tuple[float, ...]] = {
    "question_penalty": (0.3, 0.6, 0.8),
    "author_bonus": (0.5, 0.8, 1.2),
    "neighbour_weight": (0.2, 0.3, 0.4),
}
COVERAGE_WEIGHTS = (0.0, 0.15, 0.3)
# Groups of reranker features, each left out in turn to measure what it adds under CV.
ABLATIONS: Mapping[str, frozenset[str]] = {
    "dates (when x dated turn, resolved time_refs, named period)": frozenset(
        {"when_x_dated", "when_x_resolved", "in_window"}
    ),
    "resolved time_refs alone": frozenset({"when_x_resolved"}),
    "speaker named": frozenset({"author_named", "author_other"}),
    "session (thread share, same thread as the top)": frozenset(
        {"thread_share", "same_thread_as_top"}
    ),
    "text (term coverage, length)": frozenset({"coverage", "log_words"}),
    "window (term coverage of the turn with the turns around it)": frozenset({"window_coverage"}),
    "asked before (the question's coverage by the turn before, when it asks)": frozenset(
        {"asked_before"}
    ),
}
CV_COLUMNS = ("R@1", "R@5", "R@10", "R@20", "MRR")


def loco(
    convs: Sequence[str], scored_by_choice: Mapping[Any, Scored]
) -> tuple[Scored, dict[str, Any]]:
    """Choose per held-out conversation the option best on the others; pool the held-out rows."""
    held: Scored = []
    chosen: dict[str, Any] = {}
    for conv in convs:
        best = max(
            scored_by_choice,
            key=lambda c: objective([r for r in scored_by_choice[c] if r[0] != conv]),
        )
        chosen[conv] = best
        held.extend(r for r in scored_by_choice[best] if r[0] == conv)
    return held, chosen


class ReplayRetriever(Retriever):
    """A retriever that runs each question's legs once and replays copies of what they found.

    The grid's constants act after the legs (fusion's lifts, neighbours, demotions), so every
    grid point can start from the same leg results; only the steps after them run again.
    """

    def __init__(self, *, found: dict[tuple, list[list[Candidate]]], **kwargs: Any) -> None:
        """Share `found` (leg results by question) between the grid's retrievers."""
        super().__init__(**kwargs)
        self._found = found

    async def _run_legs(
        self, ident: Identity, query: str, names: list[str], fetch_k: int, language: str | None
    ) -> list[list[Candidate]]:
        key = (ident.user_id, query, tuple(names), fetch_k, language)
        if key not in self._found:
            self._found[key] = await super()._run_legs(ident, query, names, fetch_k, language)
        return copy.deepcopy(self._found[key])


async def retrieve_at(
    res: Resources, asked: Sequence[Asked], point: tuple, found: dict
) -> list[list[Candidate]]:
    """Return every question's candidates with the retriever's constants at a grid `point`.

    `found` memoises the legs' results across points (see `ReplayRetriever`).
    """
    base = res.retriever
    tuning = replace(base.registry.tuning, **dict(zip(GRID, point, strict=False)))
    retriever = ReplayRetriever(
        found=found,
        stores=base.stores,
        embeddings=res.embeddings,
        registry=replace(base.registry, tuning=tuning),
    )
    return [
        await retriever.retrieve(
            a.ident,
            a.query.question,
            a.state["route"],
            fetch_k=DEPTH,
            language=a.state.get("language"),
        )  # fmt: skip
        for a in asked
    ]


def shipped_point() -> tuple[float, ...]:
    """Return the served constants as a grid point (GRID's order, then the coverage weight).

    Raises:
        ValueError: the point is not on the grid (the shipped model could not be trained).
    """
    served = served_constants()
    point = (*(served[k] for k in GRID), served["coverage_weight"])
    if any(v not in GRID[k] for k, v in zip(GRID, point, strict=False)) or (
        point[-1] not in COVERAGE_WEIGHTS
    ):
        raise ValueError(f"the served constants {served} are not a point of the cv grid")
    return point


def constants_at(point: tuple) -> dict[str, float]:
    """Return the read path's constants (`served_constants` layout) at a grid `point`."""
    tuning = replace(Tuning(), **dict(zip(GRID, point, strict=False)))
    return {**served_constants(tuning), "coverage_weight": point[-1]}


async def grid_scores(res: Resources, asked: Sequence[Asked], found: dict) -> dict[tuple, Scored]:
    """Re-rank every question at every grid point (and coverage weight); metrics by point."""
    out: dict[tuple, Scored] = {}
    for values in itertools.product(*GRID.values()):
        candidates = await retrieve_at(res, asked, values, found)
        for weight in COVERAGE_WEIGHTS:
            point = (*values, weight)
            out[point] = await score_all(asked, candidates, LocalReranker(coverage_weight=weight))
        logger.info("grid point %s done", dict(zip(GRID, values, strict=True)))
    return out


@dataclass
class CvReport:
    """The cross-validated figures beside the in-sample ones, and what each fold chose."""

    rows: OrderedDict[str, OrderedDict[str, dict]]
    hand_choices: dict[str, dict[str, float]]
    best_point: dict[str, float]
    shipped_point: dict[str, float]
    learned_choices: dict[str, float]
    model: RerankModel | None = None
    model_path: Path | None = None


async def cross_validate(
    res: Resources, asked: Sequence[Asked], *, model_out: Path | None = None
) -> CvReport:
    """Cross-validate the hand-tuned constants and the learned reranker by conversation.

    Args:
        res: The resources the eval ran with (their retriever reads the eval tenant).
        asked: Every question with its read-path state (route, language, candidates).
        model_out: Where to write the reranker fitted on every conversation (None: nowhere).
    """
    asked = [a for a in asked if a.state.get("route") and a.query.evidence]
    convs = sorted({a.query.conv_id for a in asked})
    if len(convs) < 3:
        raise ValueError("cross-validation needs at least three conversations")
    embedder = res.settings.memoria_embedding_model
    shipped = await score_all(asked, [a.state.get("candidates", []) for a in asked], res.reranker)

    default = shipped_point()
    found: dict = {}
    grid = await grid_scores(res, asked, found)
    hand_cv, hand_chosen = loco(convs, grid)
    best = _best(grid)
    setups: dict[tuple, Setup] = {}
    for point in {*hand_chosen.values(), default}:
        setups[point] = Setup(await retrieve_at(res, asked, point, found), constants_at(point))
    # The shipped model reorders what the served constants retrieve: every fold trains and is
    # scored there. For comparison, each fold at the constants it chose on the others.
    folds = dict.fromkeys(convs, setups[default])
    learned = await cross_validate_reranker(asked, folds, setups[default], embedder)
    chosen_folds = {conv: setups[hand_chosen[conv]] for conv in convs}
    learned_chosen = (await held_out_rows(asked, chosen_folds, embedder))[0]
    ablated = OrderedDict()
    for label, drop in ABLATIONS.items():
        ablated[f"learned reranker without {label}, LOCO-CV"] = (
            await held_out_rows(asked, folds, embedder, drop)
        )[0]
        logger.info("ablation %s done", label)
    if model_out is not None:
        model_out.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(learned.model.to_dict(), indent=1) + "\n"
        model_out.write_text(text, encoding="utf-8")

    def table(rows: Scored) -> OrderedDict[str, dict]:
        return aggregate([(cat, m) for _, cat, m in rows])

    names = [*GRID, "coverage_weight"]
    return CvReport(
        rows=OrderedDict(
            [
                (f"shipped read path ({res.reranker.name} reranker), in-sample", table(shipped)),
                ("hand-tuned constants as shipped, in-sample", table(grid[default])),
                ("hand-tuned constants, best grid point in-sample", table(grid[best])),
                ("hand-tuned constants, LOCO-CV", table(hand_cv)),
                ("learned reranker, in-sample (fitted on all)", table(learned.in_sample)),
                ("learned reranker, LOCO-CV", table(learned.held_out)),
                (
                    "learned reranker over each fold's chosen constants, LOCO-CV",
                    table(learned_chosen),
                ),
                *((name, table(rows)) for name, rows in ablated.items()),
            ]
        ),
        hand_choices={
            conv: dict(zip(names, point, strict=True)) for conv, point in hand_chosen.items()
        },
        best_point=dict(zip(names, best, strict=True)),
        shipped_point=dict(zip(names, default, strict=True)),
        learned_choices=learned.chosen_c,
        model=learned.model,
        model_path=model_out,
    )


def _best(by_choice: Mapping[Any, Scored]) -> Any:
    return max(by_choice, key=lambda c: objective(by_choice[c]))


def format_cv(report: CvReport) -> str:
    """Return the cross-validation table (overall and per category) and each fold's choices."""
    groups = list(next(iter(report.rows.values())))
    lines = ["", "Leave-one-conversation-out cross-validation (R@5 / MRR per group)"]
    lines.append("| method | " + " | ".join(groups) + " |")
    lines.append("|---|" + "---|" * len(groups))
    for name, agg in report.rows.items():
        cells = [f"{agg[g]['R@5']:.3f} / {agg[g]['MRR']:.3f}" if g in agg else "" for g in groups]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    lines.append("")
    lines.append("| method (overall) | " + " | ".join(CV_COLUMNS) + " |")
    lines.append("|---|" + "---|" * len(CV_COLUMNS))
    for name, agg in report.rows.items():
        overall = agg.get("overall", {})
        cells = [f"{overall.get(c, float('nan')):.3f}" for c in CV_COLUMNS]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    for conv, point in report.hand_choices.items():
        lines.append(f"fold {conv}: hand-tuned constants chosen on the others {point}")
    lines.append(f"constants best on every conversation: {report.best_point}")
    lines.append(f"constants served, which the reranker is trained at: {report.shipped_point}")
    if report.best_point != report.shipped_point:
        lines.append("(best differs from served: ship it only if the LOCO-CV rows favour it)")
    for conv, c_value in report.learned_choices.items():
        lines.append(f"fold {conv}: reranker C chosen on the others {c_value}")
    if report.model is not None:
        top = sorted(zip(FEATURES, report.model.coef, strict=True), key=lambda p: -abs(p[1]))
        lines.append(
            "reranker fitted on all (C {}): {}".format(
                report.model.trained.get("C"),
                ", ".join(f"{n} {w:+.2f}" for n, w in top[:8]),
            )
        )
    if report.model_path is not None:
        lines.append(f"reranker written to {report.model_path}")
    return "\n".join(lines)
