"""Metrics with the definitions of the benchmark's score.py, and in-process baselines (pure)."""

from __future__ import annotations

import math
import re
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evals.locomo.data import CATEGORY_NAMES, DEPTH, KS, TOP_SIGNALS

# NLTK's English stop words: the usual list for BM25 baselines on LoCoMo.
BM25_STOPWORDS = frozenset(
    """
    i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself
    yourselves he him his himself she she's her hers herself it it's its itself they them their
    theirs themselves what which who whom this that that'll these those am is are was were be
    been being have has had having do does did doing a an the and but if or because as until
    while of at by for with about against between into through during before after above below
    to from up down in out on off over under again further then once here there when where why
    how all any both each few more most other some such no nor not only own same so than too
    very s t can will just don don't should should've now d ll m o re ve y ain aren aren't
    couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma
    mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't weren
    weren't won won't wouldn wouldn't
    """.split()
)
_BM25_WORD = re.compile(r"\w+")


# ---------------------------------------------------------------------------------------------
# Metrics (pure; the definitions of the benchmark's score.py)
# ---------------------------------------------------------------------------------------------


def score_query(
    ranked: Sequence[str],
    evidence: Iterable[str],
    *,
    valid: set[str] | None = None,
    depth: int = 100,
    ks: Sequence[int] = KS,
) -> tuple[dict[str, float] | None, int]:
    """Score one ranking against its evidence as score.py does.

    Duplicates keep their first position, ids outside `valid` are dropped (and counted), the list
    is cut at `depth`. recall@k = share of the evidence in the top k; hit@k = 1 if any evidence is
    in the top k; all@k = 1 if all of it is; MRR = 1/rank of the first evidence (0 if none).

    Returns:
        The metrics (None when there is no evidence: score.py skips such queries) and the number
        of ids dropped as not valid.
    """
    ev = set(evidence)
    seen: set[str] = set()
    kept: list[str] = []
    dropped = 0
    for d in ranked:
        if d in seen:
            continue
        if valid is not None and d not in valid:
            dropped += 1
            continue
        seen.add(d)
        kept.append(d)
        if len(kept) >= depth:
            break
    if not ev:
        return None, dropped
    m: dict[str, float] = {}
    for k in ks:
        got = len(ev.intersection(kept[:k]))
        m[f"R@{k}"] = got / len(ev)
        m[f"hit@{k}"] = 1.0 if got else 0.0
        m[f"all@{k}"] = 1.0 if got == len(ev) else 0.0
    m["MRR"] = next((1.0 / (i + 1) for i, d in enumerate(kept) if d in ev), 0.0)
    return m, dropped


def aggregate(scored: Sequence[tuple[int, Mapping[str, float]]]) -> OrderedDict[str, dict]:
    """Average per-query metrics overall (categories 1-4) and per category, with counts `n`."""
    groups: OrderedDict[str, list[Mapping[str, float]]] = OrderedDict()
    groups["overall"] = [m for _, m in scored]
    for c, name in sorted(CATEGORY_NAMES.items()):
        groups[f"{c} {name}"] = [m for cat, m in scored if cat == c]
    out: OrderedDict[str, dict] = OrderedDict()
    for group, rows in groups.items():
        if not rows:
            continue
        out[group] = {"n": len(rows)}
        for key in rows[0]:
            out[group][key] = sum(r[key] for r in rows) / len(rows)
    return out


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the `pct` percentile of `values` by linear interpolation (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# ---------------------------------------------------------------------------------------------
# Baselines (in-process, over the texts the write path indexed)
# ---------------------------------------------------------------------------------------------


def bm25_tokens(text: str) -> list[str]:
    """Return lowercase word tokens of `text` without English stop words."""
    return [w for w in _BM25_WORD.findall(text.lower()) if w not in BM25_STOPWORDS]


class BM25:
    """Okapi BM25 over a fixed corpus, with the non-negative (Lucene) idf."""

    def __init__(self, docs: Sequence[Sequence[str]], *, k1: float = 1.5, b: float = 0.75) -> None:
        """Index tokenised documents."""
        self.k1, self.b = k1, b
        self.tf = [Counter(d) for d in docs]
        self.lengths = [len(d) for d in docs]
        self.avg_len = (sum(self.lengths) / len(docs)) if docs else 0.0
        df = Counter(term for tf in self.tf for term in tf)
        n = len(docs)
        self.idf = {t: math.log((n - f + 0.5) / (f + 0.5) + 1.0) for t, f in df.items()}

    def scores(self, query: Sequence[str]) -> list[float]:
        """Return the score of every document for the tokenised query."""
        out = [0.0] * len(self.tf)
        avg = self.avg_len or 1.0
        for term in query:
            idf = self.idf.get(term)
            if idf is None:
                continue
            for i, tf in enumerate(self.tf):
                f = tf.get(term)
                if f:
                    norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / avg)
                    out[i] += idf * f * (self.k1 + 1) / (f + norm)
        return out


@dataclass
class IndexedConversation:
    """One eval user's indexed turns, in turn order, as the baselines see them."""

    dia_ids: list[str]
    texts: list[str]
    vectors: np.ndarray
    bm25: BM25 | None = None


def top_by_score(
    dia_ids: Sequence[str],
    scores: Sequence[float],
    signal: str,
    *,
    depth: int = DEPTH,
    positive_only: bool = True,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Return the `depth` best dia_ids (ties keep turn order) and the signals of the first ten.

    With `positive_only`, turns scoring 0 or less are not ranked (BM25: no query term in them).
    """
    kept = (i for i, s in enumerate(scores) if s > 0 or not positive_only)
    order = sorted(kept, key=lambda i: (-scores[i], i))[:depth]
    ranked = [dia_ids[i] for i in order]
    top = [
        {"dia_id": dia_ids[i], "scores": {signal: round(float(scores[i]), 6)}, "ranks": {signal: r}}
        for r, i in enumerate(order[:TOP_SIGNALS], start=1)
    ]
    return ranked, top
