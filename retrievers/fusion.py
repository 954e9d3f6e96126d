"""Reciprocal rank fusion over ranked lists of ids (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

RRF_K = 60


def reciprocal_rank_fusion(
    ranked: Mapping[str, Sequence[str]],
    *,
    weights: Mapping[str, float] | None = None,
    k: int = RRF_K,
) -> dict[str, float]:
    """Fuse ranked lists into one score per id: sum of weight / (k + rank) over the lists.

    Args:
        ranked: Ranked ids per signal name, best first; an id may appear in several lists.
        weights: Weight per signal name (default 1.0).
        k: Damping constant; larger values flatten the advantage of top ranks.

    Returns:
        Fused score per id over the union of all lists, highest first.
    """
    weights = weights or {}
    scores: dict[str, float] = {}
    for signal, ids in ranked.items():
        weight = weights.get(signal, 1.0)
        for rank, doc_id in enumerate(ids, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + weight / (k + rank)
    return dict(sorted(scores.items(), key=lambda item: item[1], reverse=True))
