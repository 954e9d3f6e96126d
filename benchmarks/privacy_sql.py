"""What consent checks and user-level policies cost, statement by statement (issue 18).

`python -m benchmarks.privacy_sql [--users 100] [--messages 100] [--runs 300]` seeds one
tenant straight in SQL (random vectors, words from a small vocabulary: the plans, not the
relevance, are measured) on the configured database (the embedded one by default; use a
scratch `MEMORIA_DATA_DIR`), then times, as the app role and interleaved run by run:

- the messages' lexical (BM25) and dense legs for one user: the session acting for that user
  (policies narrow it) against acting for the tenant (policies short-circuit), and then
  with the user policies dropped (the statement alone, as before them);
- the query that opens a turn, with and without its consent column;
- a checkout that changes the session's user against one that keeps it (the statements
  above are timed from a connection already scoped).

The benchmark tenant is deleted after, and the dropped policies are put back.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

from configs.settings import get_settings
from memory import message_index, threads
from memory.consent import READ_CONSENT
from storage.database import Storage
from storage.search import vector_literal
from storage.tenancy import (
    USER_TABLES,
    tenant_connection,
    user_connection,
    user_policy_sql,
)

WORDS = "porto lisbon bike nurse pilot garden coffee refund invoice train doctor music".split()
SEED = """
    INSERT INTO memory_messages
        (langchain_id, content, embedding, tenant_id, user_id, thread_id, role, created_at, seq)
    SELECT gen_random_uuid(),
           (SELECT string_agg((%(words)s::text[])[1 + floor(random() * %(n_words)s)::int], ' ')
            FROM generate_series(1, 12 + g %% 2)),
           (SELECT array_agg(random() - 0.5) FROM generate_series(1, %(dims)s + g %% 1))::vector,
           %(tenant)s, 'u' || (g %% %(users)s), 't' || (g %% (%(users)s * 10)),
           CASE WHEN g %% 2 = 0 THEN 'human' ELSE 'ai' END, now(), g
    FROM generate_series(1, %(rows)s) g
"""
OPEN_WITHOUT_CONSENT = threads.AVAILABLE_AND_VERSIONS.replace(f",\n           {READ_CONSENT}", "")


def pct(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) of `values`."""
    return sorted(values)[min(len(values) - 1, int(len(values) * q / 100))]


async def timed(fn: Callable[[], Awaitable[float | None]]) -> float:
    """Return the milliseconds `fn` says it took, or else the time it takes."""
    started = time.perf_counter()
    took = await fn()
    return took if took is not None else (time.perf_counter() - started) * 1000


async def main(users: int, messages: int, runs: int) -> None:
    """Seed, measure, print a markdown table, clean up."""
    settings = get_settings()
    tenant = f"bench-privacy-{uuid.uuid4().hex[:6]}"
    async with Storage(settings) as storage:
        pool = storage.pool
        async with storage.owner_connection() as owner:
            await owner.execute(
                SEED,
                {
                    "words": WORDS,
                    "n_words": len(WORDS),
                    "dims": settings.memoria_embedding_dims,
                    "tenant": tenant,
                    "users": users,
                    "rows": users * messages,
                },
            )
            await owner.execute("ANALYZE memory_messages")
        vector = vector_literal([0.01] * settings.memoria_embedding_dims)
        scope = {"tenant_id": tenant, "user_id": "u7", "limit": 20, "role": ["human", "ai"]}
        lexical = {**scope, "query": "porto bike refund", "configs": ["english", "simple"]}
        lexical.update(k1=1.2, b=0.75)
        dense = {**scope, "vector": vector}
        turn = {"tenant_id": tenant, "user_id": "u7", "thread_id": "t7"}

        def statement(query, params, *, as_user: bool):  # noqa: ANN001, ANN202
            # Timed from a connection already scoped: changing the scope is timed apart.
            async def run() -> float:
                opened = (
                    user_connection(pool, tenant, "u7")
                    if as_user
                    else tenant_connection(pool, tenant)
                )
                async with opened as conn:
                    started = time.perf_counter()
                    await (await conn.execute(query, params)).fetchall()
                    return (time.perf_counter() - started) * 1000

            return run

        cases = {
            "lexical leg, acting for the user": statement(
                message_index.LEXICAL, lexical, as_user=True
            ),
            "lexical leg, acting for the tenant": statement(
                message_index.LEXICAL, lexical, as_user=False
            ),
            "dense leg, acting for the user": statement(message_index.DENSE, dense, as_user=True),
            "dense leg, acting for the tenant": statement(
                message_index.DENSE, dense, as_user=False
            ),
            "open a turn, with consent": statement(
                threads.AVAILABLE_AND_VERSIONS, turn, as_user=True
            ),
            "open a turn, without consent": statement(OPEN_WITHOUT_CONSENT, turn, as_user=True),
        }
        users_seen = iter(range(10**9))

        async def switching() -> None:
            async with user_connection(pool, tenant, f"u{next(users_seen) % users}") as conn:
                await conn.execute("SELECT 1")

        async def same() -> None:
            async with user_connection(pool, tenant, "u7") as conn:
                await conn.execute("SELECT 1")

        cases["checkout + SELECT 1, another user each time"] = switching
        cases["checkout + SELECT 1, the same user"] = same
        results: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, fn in cases.items():
                results[name].append(await timed(fn))

        # The same legs with the user policies dropped: the statements alone.
        async with storage.owner_connection() as owner:
            drop = "; ".join(
                f"DROP POLICY user_isolation ON {t}"
                for t in (*USER_TABLES, "store", "store_vectors", "chat_history")
            )
            await owner.execute(drop, prepare=False)
        try:
            before = {
                "lexical leg, no user policies": statement(
                    message_index.LEXICAL, lexical, as_user=True
                ),
                "dense leg, no user policies": statement(message_index.DENSE, dense, as_user=True),
            }
            for name in before:
                results[name] = []
            for _ in range(runs):
                for name, fn in before.items():
                    results[name].append(await timed(fn))
        finally:
            async with storage.owner_connection() as owner:
                await owner.execute(user_policy_sql(), prepare=False)
                await owner.execute("DELETE FROM memory_messages WHERE tenant_id = %s", (tenant,))

    print(f"{users} users x {messages} messages, {runs} runs each, interleaved")  # noqa: T201
    print("| statement | p50 ms | p95 ms |\n|---|---|---|")  # noqa: T201
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):.2f} | {pct(values, 95):.2f} |")  # noqa: T201


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.users, args.messages, args.runs))
