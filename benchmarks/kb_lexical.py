"""The knowledge base's lexical leg alone: bounded candidates against reading every match.

Times `knowledge.chunks.LEXICAL` (statistics kept at ingestion, candidates bounded by
`per_term`) and the statement it replaced (every chunk holding a query word read and
scored, document frequencies counted from them) on one tenant's chunks, one after the
other, and reports how often their top results agree.

    python -m benchmarks.kb_lexical --tenant eval-bench-seed --queries 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from typing import Any

from benchmarks.corpus import question_text
from benchmarks.write import machine, summarise
from configs.settings import get_settings
from graph.resources import Resources
from knowledge import chunks
from retrievers.registry import KB_BM25
from storage.schema import KB_TABLE
from storage.search import scoped_statement
from storage.tenancy import tenant_connection
from text.language import query_configs
from text.words import terms

# Before issue 17: BM25 over every chunk holding a query lexeme.
EVERY_MATCH = scoped_statement("lexical", KB_TABLE, ["tenant_id"], chunks.COLUMNS, chunks.KB_STATS)
# A help-desk question about a page's product, and the corpus's own questions.
PRODUCT_QUESTION = "How do I check code E-{code} on {product}?"


async def _run(res: Resources, statement: Any, params: dict[str, Any]) -> tuple[float, list[str]]:
    started = time.perf_counter()
    async with tenant_connection(res.pool, params["tenant_id"]) as conn:
        rows = await (await conn.execute(statement, params)).fetchall()
    return (time.perf_counter() - started) * 1000, [r["id"] for r in rows]


async def measure(res: Resources, tenant: str, queries: int, seed: int) -> dict[str, Any]:
    """Time both statements on `queries` questions; return percentiles and agreement."""
    rng = random.Random(seed)
    questions = [
        question_text(i, seed)
        if i % 2
        else PRODUCT_QUESTION.format(code=rng.randint(1000, 9999), product=rng.choice(
            ["Camera Lisbon", "Kayak Porto", "Guitar Berlin", "Drone Kyoto"]))
        for i in range(queries + 10)
    ]  # fmt: skip
    params = [
        {
            "tenant_id": tenant,
            "query": " ".join(terms(question)),
            "configs": query_configs("en"),
            "limit": 20,
            **KB_BM25,
        }
        for question in questions
    ]
    # One statement over every question, then the other: reading every match evicts the
    # shared buffers the bounded one would find warm if they alternated.
    times: dict[str, list[float]] = {"bounded": [], "every_match": []}
    found: dict[str, list[list[str]]] = {"bounded": [], "every_match": []}
    for name, statement in (("bounded", chunks.LEXICAL), ("every_match", EVERY_MATCH)):
        for n, p in enumerate(params):
            ms, ids = await _run(res, statement, p)
            if n >= 10:  # warm-up: connections, plans, caches
                times[name].append(ms)
                found[name].append(ids)
    pairs = list(zip(found["bounded"], found["every_match"], strict=True))
    same_top = sum(bool(b and e and b[0] == e[0]) for b, e in pairs)
    overlap = sum(len(set(b[:10]) & set(e[:10])) / max(len(e[:10]), 1) for b, e in pairs)
    async with tenant_connection(res.pool, tenant) as conn:
        cur = await conn.execute(
            "SELECT count(*) AS n FROM kb_chunks WHERE tenant_id = %s", (tenant,)
        )
        held = (await cur.fetchone())["n"]
    return {
        "tenant": tenant,
        "kb_chunks": held,
        "queries": queries,
        "per_term": KB_BM25["per_term"],
        "bounded_ms": summarise(times["bounded"]),
        "every_match_ms": summarise(times["every_match"]),
        "same_top_result": round(same_top / queries, 3),
        "top10_overlap": round(overlap / queries, 3),
        "machine": machine(),
    }


async def main(argv: list[str] | None = None) -> int:
    """Run from the command line; print the result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    async with Resources(get_settings()) as res:
        result = await measure(res, args.tenant, args.queries, args.seed)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
