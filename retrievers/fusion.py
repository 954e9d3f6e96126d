"""Fusion of ranked, scored lists into one ranking (pure)."""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping, Sequence

RRF_K = 60
# Fewer scores than this say too little about a list's spread to z-score it alone.
MIN_LIST = 3


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


def zscore_fusion(
    scored: Mapping[str, Mapping[str, float]],
    *,
    weights: Mapping[str, float] | None = None,
    reference: Mapping[str, Sequence[float]] | None = None,
    unseen: Mapping[str, Collection[str]] | None = None,
) -> dict[str, float]:
    """Fuse scored lists by summing each list's z-scores (weighted CombSUM over the union).

    Unlike rank fusion this keeps how far ahead a result is: a cosine of 0.53 against a
    field of 0.2 stands out, where RRF would only see rank 1 against rank 2. An id missing
    from a list counts as that list's lowest z-score.

    A list of fewer than `MIN_LIST` scores has no spread of its own to speak of (one fact
    found would score 0 and sink). With a `reference` for it, scores on the same scale from
    other lists (every cosine of one model, say), it is z-scored against those instead, and
    its missing ids count as the reference's lowest; without one, being in it counts as one
    standard deviation above being absent from it.

    A list cannot count against an id it could not read (`unseen`: a word search in one
    language against a passage written in another): such an id counts at least as the
    list's mean (z 0), more where it scored higher (a name or a cognate both share).

    Args:
        scored: Raw scores per list name (higher is better), keyed by id.
        weights: Weight per list name (default 1.0).
        reference: Per list name, scores on the same scale to place a short list with.
        unseen: Per list name, ids it could not read, never counted below its mean.

    Returns:
        Fused score per id over the union of all lists, highest first; equal scores in the
        order the lists first name their ids.
    """
    weights = weights or {}
    reference = reference or {}
    unseen = unseen or {}
    # In first-seen order, not a set's: equal scores stay in the legs' order, the same in
    # every process (a set's order follows the per-process string hash seed).
    union = list(dict.fromkeys(doc_id for values in scored.values() for doc_id in values))
    fused = dict.fromkeys(union, 0.0)
    for name, values in scored.items():
        if not values:
            continue
        z, missing = _standardised(values, reference.get(name, ()))
        weight = weights.get(name, 1.0)
        blind = unseen.get(name, ())
        for doc_id in union:
            own = z.get(doc_id, missing)
            fused[doc_id] += weight * (max(own, 0.0) if doc_id in blind else own)
    return dict(sorted(fused.items(), key=lambda item: item[1], reverse=True))


def _standardised(
    values: Mapping[str, float], reference: Sequence[float]
) -> tuple[dict[str, float], float]:
    """Return the z-scores of `values` and the z-score of an id missing from them."""
    basis = list(values.values())
    if len(basis) < MIN_LIST:
        if len(reference) < MIN_LIST:
            # Nothing to scale by: membership is the evidence, ties broken by score.
            ranked = sorted(values, key=values.__getitem__, reverse=True)
            return {doc_id: 1.0 - 0.01 * i for i, doc_id in enumerate(ranked)}, 0.0
        basis = list(reference)
    mean = statistics.fmean(basis)
    spread = pstdev(basis) or 1.0
    z = {doc_id: (v - mean) / spread for doc_id, v in values.items()}
    return z, (min(basis) - mean) / spread


def pstdev(values: Sequence[float]) -> float:
    """Return `statistics.pstdev(values)` to the last bit, in a fifth of its time.

    `statistics` sums in `Fraction`s (~75 us for 40 scores, several lists a turn); the floats
    are exact binary fractions, so scaled to one power of two they sum exactly as integers,
    and the stdlib's correctly rounded root of the exact variance is the same float.
    """
    n = len(values)
    if n < 1:
        raise statistics.StatisticsError("pstdev requires at least one data point")
    ratios = [float(x).as_integer_ratio() for x in values]
    shift = max(den for _, den in ratios).bit_length() - 1
    scaled = [num << (shift - den.bit_length() + 1) for num, den in ratios]
    total = sum(scaled)
    spread = n * sum(i * i for i in scaled) - total * total
    return statistics._float_sqrt_of_frac(spread, (n * n) << (2 * shift))


def propagate_to_neighbours(
    scores: Mapping[str, float],
    neighbours: Mapping[str, Sequence[tuple[str, int]]],
    *,
    weight: float,
) -> dict[str, float]:
    """Return what each id gains from the hits it sits next to (pure).

    In conversation the answer often comes a turn or two after the message that names the
    topic, so a hit lends `weight / offset` of its score to the turns after it, and half of
    that to the turns before it.

    Args:
        scores: Score of each hit.
        neighbours: For each hit id, `(neighbour_id, offset)` pairs, offset in turns (±1, ±2).
        weight: Share lent to an adjacent turn; 0 disables propagation.
    """
    gains: dict[str, float] = {}
    for hit, around in neighbours.items():
        base = scores.get(hit, 0.0)
        for neighbour_id, offset in around:
            if offset == 0:
                continue
            share = weight / offset if offset > 0 else weight / (2 * -offset)
            gains[neighbour_id] = gains.get(neighbour_id, 0.0) + share * base
    return gains
