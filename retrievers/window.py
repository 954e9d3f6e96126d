"""How much of the question a turn and the turns around it say: its window's term coverage (pure).

In conversation an answer is often split over turns: "Took a short trip last week to clear my
mind." - "Where to?" - "Rome!". The turn that holds the answer shares few words with "Which
city did Jon visit?", its neighbours share the rest. A turn's own term coverage misses that;
the coverage of the turn together with the turns up to `WINDOW_TURNS` either side of it in
its thread does not. The learned reranker reads it as a feature (LoCoMo dev, leave one
conversation out, session 9: R@10 and MRR up ~.01, in BENCHMARKS.md).

A reply is also found by the question put to it: "What did you think of the museum?" -
"Honestly, it left me speechless." The same spans give each turn the question's coverage by
the turn just before it when that turn asks something (`asked_before`), a second feature
(LoCoMo dev, leave one conversation out, session 11: MRR +.008, R@10 +.004, in BENCHMARKS.md).

The neighbour rows come from the query the retriever already runs for score propagation
(`memory.message_index.neighbours`, ±2 turns of each hit), asked for the top `WINDOW_HITS`
hits instead of the lending ones only: one statement, a few more rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from retrievers.types import Candidate
from text.acts import is_question
from text.words import QueryTerms

WINDOW_TURNS = 2
"""Turns either side of a turn that count as its window (the neighbours query's reach)."""

WINDOW_HITS = 20
"""Conversation hits whose windows are fetched (the rest of the reranker's 40 fall back to their
own coverage): the top 20 scored as the top 40 under LOCO-CV (R@5 .756 / .755-.762, R@10 .825)
for about half the neighbours statement's extra rows."""


def window_coverage(
    query: str, hits: Sequence[Candidate], rows: Sequence[Mapping[str, Any]]
) -> dict[str, float]:
    """Return, per candidate id, the question's term coverage by its turn and known neighbours.

    The `window` of `window_scores`, alone.
    """
    return {cand_id: s["window"] for cand_id, s in window_scores(query, hits, rows).items()}


def window_scores(
    query: str, hits: Sequence[Candidate], rows: Sequence[Mapping[str, Any]]
) -> dict[str, dict[str, float]]:
    """Return, per candidate id, its `window` and `asked_before` scores.

    `window` is the question's term coverage by the turn and its known neighbours;
    `asked_before` the coverage by the turn just before it in its thread when that turn asks
    something (0 when it states, or when no fetched span shows it).

    Args:
        query: The question.
        hits: The conversation hits whose neighbours were fetched.
        rows: The neighbours query's rows: `hit` (a hit's row id), `id`, `content`,
            `offset_turns` from the hit (±1, ±2).

    A turn's window is what the fetched spans show of it: a hit sees its whole ±2 span, a
    neighbour the part of its hit's span within `WINDOW_TURNS` of it (every span holding it,
    joined).
    """
    text: dict[str, str] = {}
    spans: dict[str, list[tuple[int, str]]] = {}
    for hit in hits:
        text[hit["id"]] = hit["content"]
        spans[hit["id"].removeprefix("msg:")] = [(0, hit["id"])]
    for row in rows:
        cand_id = f"msg:{row['id']}"
        text.setdefault(cand_id, row["content"])
        if (span := spans.get(str(row["hit"]))) is not None:
            span.append((int(row["offset_turns"]), cand_id))
    # Each turn's matched terms once (cached by text), as bits; a window's terms are the OR of
    # its turns' bits, gathered per offset: sets joined per pair of turns cost ~1 ms a turn.
    terms = QueryTerms(query)
    bit = {term: 1 << i for i, term in enumerate(terms.weights)}
    found = {
        cand_id: sum(bit[term] for term in terms.found(content))
        for cand_id, content in text.items()
    }
    windows: dict[str, int] = {}
    asked: dict[str, int] = {}
    for span in spans.values():
        at: dict[int, int] = {}
        ids: dict[int, str] = {}
        for offset, cand_id in span:
            at[offset] = at.get(offset, 0) | found[cand_id]
            ids[offset] = cand_id
        for offset, cand_id in span:
            seen = windows.get(cand_id, found[cand_id])
            for near in range(offset - WINDOW_TURNS, offset + WINDOW_TURNS + 1):
                seen |= at.get(near, 0)
            windows[cand_id] = seen
            before = ids.get(offset - 1)
            if before is not None and found[before] and is_question(text[before]):
                asked[cand_id] = found[before]
    shares: dict[int, float] = {0: 0.0}
    for mask in {*windows.values(), *asked.values()}:
        shares[mask] = terms.share(frozenset(t for t, b in bit.items() if mask & b))
    return {
        cand_id: {"window": shares[mask], "asked_before": shares[asked.get(cand_id, 0)]}
        for cand_id, mask in windows.items()
    }
