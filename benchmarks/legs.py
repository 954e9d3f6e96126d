"""Each retrieval leg alone on a seeded benchmark tenant: where a read's time goes.

    python -m benchmarks.legs --tenant eval-bench-onem --queries 60
    python -m benchmarks.legs --tenant eval-bench-onem --queries 60 --pages

Questions of the synthetic corpus from random seeded users (`memoria bench seed`), each leg
run on its own with the product's `fetch_k`; prints p50/p95 per leg in milliseconds (with
`--pages`, the 8 kB pages the messages legs' statements touch: steady under load; the
messages BM25 leg also as it was before per-user postings, every row of the user tested).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import AsyncIterator

from psycopg import sql

from benchmarks.seed import user_id
from benchmarks.suite import unique_questions
from configs.settings import get_settings
from graph.resources import Resources
from memory import message_index
from retrievers.legs.base import Search
from storage.identity import Identity
from storage.schema import MESSAGES_TABLE
from storage.search import scoped_statement, vector_literal
from storage.tenancy import bind_tenant, bind_user, tenant_connection
from text.language import query_configs
from text.words import terms

EXPLAIN = sql.SQL("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ")
# The messages BM25 leg before per-user postings (main `ccd67b5`): every row of the user
# tested for the question's words; the same scores, for an A/B on the same database.
LEXICAL_EVERY_ROW = scoped_statement(
    "lexical", MESSAGES_TABLE, ["tenant_id", "user_id"], message_index.COLUMNS, any_of=["role"]
)


async def questions(
    res: Resources, tenant: str, queries: int, users: int, fetch_k: int, seed: int
) -> AsyncIterator[Search]:
    """Yield the benchmark's questions, each of a random seeded user, embedded."""
    rng = random.Random(seed)
    for question in unique_questions(queries, seed, 5000):
        ident = Identity(tenant, user_id(rng.randrange(users)), "bench-legs")
        bind_tenant(tenant)
        bind_user(tenant, ident.user_id)
        vector = await res.embeddings.aembed_query(question)
        yield Search(ident, question, vector, fetch_k, "en")


async def time_legs(
    tenant: str, queries: int, users: int, fetch_k: int, seed: int
) -> dict[str, list[float]]:
    """Return each leg's latencies (ms) over `queries` questions of random seeded users."""
    async with Resources(get_settings()) as res:
        legs = res.retriever.legs
        times: dict[str, list[float]] = {name: [] for name in legs}
        async for search in questions(res, tenant, queries, users, fetch_k, seed):
            for name, leg in legs.items():
                started = time.perf_counter()
                await leg.search(search)
                times[name].append((time.perf_counter() - started) * 1000)
    return times


async def message_pages(
    tenant: str, queries: int, users: int, fetch_k: int, seed: int
) -> dict[str, list[float]]:
    """Return the shared buffers (8 kB pages) each messages-leg statement touches per question.

    Counted by EXPLAIN (ANALYZE, BUFFERS): unlike milliseconds, it does not move with the
    machine's load.
    """
    pages: dict[str, list[float]] = {
        "messages_dense": [],
        "messages_lexical": [],
        "messages_lexical_every_row": [],
    }
    async with Resources(get_settings()) as res:
        async for q in questions(res, tenant, queries, users, fetch_k, seed):
            scope = {"tenant_id": tenant, "user_id": q.ident.user_id, "role": ["human"]}
            scope["limit"] = q.fetch_k
            dense = {"vector": vector_literal(q.vector), "exact_up_to": message_index.EXACT_UP_TO}
            words = {"query": " ".join(terms(q.text)), "configs": query_configs("en")}
            bm25 = {"k1": 1.2, "b": 0.75}
            runs = {
                "messages_dense": (message_index.DENSE, scope | dense),
                "messages_lexical": (message_index.LEXICAL, scope | words | bm25),
                "messages_lexical_every_row": (LEXICAL_EVERY_ROW, scope | words | bm25),
            }
            async with tenant_connection(res.pool, tenant) as conn:
                for name, (statement, params) in runs.items():
                    cur = await conn.execute(EXPLAIN + statement, params)
                    plan = next(iter((await cur.fetchone()).values()))[0]["Plan"]
                    pages[name].append(plan["Shared Hit Blocks"] + plan["Shared Read Blocks"])
    return pages


def question_arguments(doc: str | None) -> argparse.ArgumentParser:
    """Return a parser of the options that pick the questions (`questions`)."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--tenant", required=True, help="a tenant `memoria bench seed` filled")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--users", type=int, default=100, help="users the tenant was seeded with")
    parser.add_argument("--fetch-k", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    return parser


def main() -> None:
    """Print p50/p95 per leg."""
    parser = question_arguments(__doc__)
    parser.add_argument(
        "--pages", action="store_true", help="pages the messages legs' SQL touches, not times"
    )
    args = parser.parse_args()
    run = message_pages if args.pages else time_legs
    unit = "pages" if args.pages else "ms"
    times = asyncio.run(run(args.tenant, args.queries, args.users, args.fetch_k, args.seed))
    for name, values in times.items():
        values.sort()
        p95 = values[int(len(values) * 0.95)]
        line = f"{name:26s} p50 {statistics.median(values):7.1f} {unit}  p95 {p95:7.1f} {unit}"
        sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main()
