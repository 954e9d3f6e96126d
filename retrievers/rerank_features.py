"""What the learned reranker sees of each candidate: signals retrieval already computed (pure).

Every feature comes from the candidate's per-leg scores and ranks, its metadata and its text,
relative to the other candidates of the same question (a cosine of 0.4 means little alone;
the best cosine of the list means a lot). Nothing here touches a store or a model, so a
50-candidate list costs well under the reranker's 2 ms budget.

Changing, adding or reordering a feature changes `FEATURES`; a model file trained on another
list no longer loads (the reranker falls back to the hand-tuned order until `memoria eval
locomo --cv` writes a new one).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from retrievers.temporal import asks_when
from retrievers.types import Candidate
from text.acts import asking_share
from text.words import QueryTerms

FEATURES: tuple[str, ...] = (
    "vector",
    "vector_z",
    "has_vector",
    "lexical_share",
    "has_lexical",
    "log_rank_vector",
    "log_rank_lexical",
    "log_position",
    "fused_share",
    "neighbours_share",
    "neighbour_only",
    "author_named",
    "author_other",
    "asking",
    "in_window",
    "when_x_dated",
    "when_x_resolved",
    "coverage",
    "window_coverage",
    "log_words",
    "recency",
    "thread_share",
    "same_thread_as_top",
    "superseded",
    "asked_before",
)
"""The feature vector's layout; a model file must list exactly these, in this order."""

# Ranks of candidates a leg did not return count as one past the deepest fetch.
_MISSING_RANK = 51
_NAME = re.compile(r"\b[A-Z][a-z]{2,}\b")
# Words that date what a turn tells ("yesterday", "last Saturday", "in May", "2022").
_DATED_WORDS = frozenset(
    "yesterday today tonight tomorrow ago last next weekend monday tuesday wednesday thursday "
    "friday saturday sunday january february march april may june july august september "
    "october november december".split()
)
_DATED_PHRASE = re.compile(r"\b(?:19|20)\d\d\b|\bthis (?:week|month|year)\b", re.IGNORECASE)


def candidate_features(query: str, candidates: Sequence[Candidate]) -> np.ndarray:
    """Return one row of `FEATURES` per candidate, each relative to the whole list."""
    n = len(candidates)
    if not n:
        return np.zeros((0, len(FEATURES)), dtype=np.float64)
    scores = [c["scores"] for c in candidates]
    vectors = [s.get("vector") for s in scores]
    present = [v for v in vectors if v is not None]
    v_floor = min(present) if present else 0.0
    v_mean = sum(present) / len(present) if present else 0.0
    v_std = float(np.std(present)) if len(present) > 1 else 1.0
    lexical_top = max((s.get("lexical", 0.0) for s in scores), default=0.0) or 1.0
    fused = [s.get("fused", 0.0) for s in scores]
    f_low, f_range = min(fused), (max(fused) - min(fused)) or 1.0
    dates = [_created(c) for c in candidates]
    known = [d for d in dates if d is not None]
    d_low = min(known) if known else None
    d_range = (max(known) - d_low).total_seconds() if known and d_low else 0.0
    threads = Counter(c["metadata"].get("thread_id") for c in candidates)
    top_thread = candidates[0]["metadata"].get("thread_id")
    named = {w.lower() for w in _NAME.findall(query)}
    when = asks_when(query)
    wanted = QueryTerms(query)
    rows = []
    for i, (cand, s) in enumerate(zip(candidates, scores, strict=True)):
        meta, ranks, content = cand["metadata"], cand["ranks"], cand["content"]
        vector = v_floor if vectors[i] is None else vectors[i]
        speaker = str(meta.get("speaker") or "").lower()
        asking = s.get("question")
        thread = meta.get("thread_id")
        when_at = dates[i]
        coverage = wanted.match(content)[0]
        # One entry per name of FEATURES, in its order.
        rows.append(
            (
                vector,
                (vector - v_mean) / (v_std or 1.0),
                vectors[i] is not None,
                s.get("lexical", 0.0) / lexical_top,
                "lexical" in s,
                math.log(ranks.get("vector", _MISSING_RANK)),
                math.log(ranks.get("lexical", _MISSING_RANK)),
                math.log(i + 1),
                (fused[i] - f_low) / f_range,
                s.get("neighbours", 0.0) / f_range,
                vectors[i] is None and "lexical" not in s,
                bool(speaker) and speaker in named,
                bool(named) and bool(speaker) and speaker not in named,
                asking_share(content) if asking is None else asking,
                s.get("time", 0.0),
                when and _dated(content),
                when and bool(meta.get("time_refs")),
                coverage,
                s.get("window", coverage),
                math.log1p(len(content.split())),
                (when_at - d_low).total_seconds() / d_range
                if when_at is not None and d_low is not None and d_range
                else 0.0,
                threads[thread] / n,
                thread == top_thread,
                bool(meta.get("superseded_by")),
                s.get("asked_before", 0.0),
            )
        )
    return np.asarray(rows, dtype=np.float64)


def _dated(content: str) -> bool:
    """Return whether a turn names a time (cheaper than one regex over every candidate)."""
    words = {w.strip(".,!?;:'\"()").removesuffix("'s") for w in content.lower().split()}
    return not words.isdisjoint(_DATED_WORDS) or bool(_DATED_PHRASE.search(content))


def _created(cand: Candidate) -> datetime | None:
    created = cand["metadata"].get("created_at")
    try:
        return datetime.fromisoformat(created) if created else None
    except (TypeError, ValueError):
        return None
