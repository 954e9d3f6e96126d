"""The messages dense leg against an exact ranking of full vectors: recall@k.

    python -m benchmarks.dense_recall --tenant eval-bench-seed --queries 60

Questions of the synthetic corpus from random seeded users (`memoria bench seed`). For each,
the user's nearest messages by an exact sort of every full vector of theirs (no index), and
the leg's (`memory.message_index.DENSE`); prints the mean recall@5/10/fetch_k of the leg's
list against the exact one, and the leg's p50/p95 in milliseconds.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from benchmarks.legs import question_arguments, questions
from configs.settings import get_settings
from graph.resources import Resources
from memory import message_index
from storage.schema import MESSAGES_TABLE
from storage.search import scoped_statement, vector_literal
from storage.tenancy import tenant_connection

# Every full vector of the user's rows of the asked roles, sorted: the exact answer.
EXACT = scoped_statement(
    "dense", MESSAGES_TABLE, ["tenant_id", "user_id"], message_index.COLUMNS, any_of=["role"]
)


async def compare(
    tenant: str, queries: int, users: int, fetch_k: int, seed: int
) -> dict[str, list[float]]:
    """Return each question's recall@5/10/fetch_k of the leg and the leg's milliseconds."""
    out: dict[str, list[float]] = {"r@5": [], "r@10": [], f"r@{fetch_k}": [], "ms": []}
    async with Resources(get_settings()) as res:
        async for q in questions(res, tenant, queries, users, fetch_k, seed):
            params = {
                "tenant_id": tenant,
                "user_id": q.ident.user_id,
                "role": list(message_index.USER_ROLES),
                "vector": vector_literal(q.vector),
                "limit": fetch_k,
            }
            async with tenant_connection(res.pool, tenant) as conn, conn.transaction():
                # No index: HNSW would be approximate, and the exact answer is the point.
                await conn.execute("SET LOCAL enable_indexscan = off")
                exact = [r["id"] for r in await (await conn.execute(EXACT, params)).fetchall()]
            started = time.perf_counter()
            found = await message_index.dense(res.pool, q.ident, q.vector, fetch_k)
            out["ms"].append((time.perf_counter() - started) * 1000)
            ids = [r["id"] for r in found]
            for k in (5, 10, fetch_k):
                out[f"r@{k}"].append(len(set(ids[:k]) & set(exact[:k])) / k)
    return out


def main() -> None:
    """Print the recall and the time."""
    args = question_arguments(__doc__).parse_args()
    values = asyncio.run(compare(args.tenant, args.queries, args.users, args.fetch_k, args.seed))
    ms = sorted(values.pop("ms"))
    recall = "  ".join(f"{name} {statistics.mean(v):.3f}" for name, v in values.items())
    p95 = ms[int(len(ms) * 0.95)]
    sys.stdout.write(f"{recall}  p50 {statistics.median(ms):.1f} ms  p95 {p95:.1f} ms\n")


if __name__ == "__main__":
    main()
