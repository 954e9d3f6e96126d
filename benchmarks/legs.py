"""Each retrieval leg alone on a seeded benchmark tenant: where a read's time goes.

    python -m benchmarks.legs --tenant eval-bench-onem --queries 60

Questions of the synthetic corpus from random seeded users (`memoria bench seed`), each leg
run on its own with the product's `fetch_k`; prints p50/p95 per leg in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time

from benchmarks.seed import user_id
from benchmarks.suite import unique_questions
from configs.settings import get_settings
from graph.resources import Resources
from retrievers.legs.base import Search
from storage.identity import Identity
from storage.tenancy import bind_tenant, bind_user


async def time_legs(
    tenant: str, queries: int, users: int, fetch_k: int, seed: int
) -> dict[str, list[float]]:
    """Return each leg's latencies (ms) over `queries` questions of random seeded users."""
    rng = random.Random(seed)
    async with Resources(get_settings()) as res:
        legs = res.retriever.legs
        times: dict[str, list[float]] = {name: [] for name in legs}
        for question in unique_questions(queries, seed, 5000):
            ident = Identity(tenant, user_id(rng.randrange(users)), "bench-legs")
            bind_tenant(tenant)
            bind_user(tenant, ident.user_id)
            vector = await res.embeddings.aembed_query(question)
            search = Search(ident, question, vector, fetch_k, "en")
            for name, leg in legs.items():
                started = time.perf_counter()
                await leg.search(search)
                times[name].append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    """Print p50/p95 per leg."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant", required=True, help="a tenant `memoria bench seed` filled")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--users", type=int, default=100, help="users the tenant was seeded with")
    parser.add_argument("--fetch-k", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    times = asyncio.run(time_legs(args.tenant, args.queries, args.users, args.fetch_k, args.seed))
    for name, values in times.items():
        values.sort()
        p95 = values[int(len(values) * 0.95)]
        sys.stdout.write(f"{name:18s} p50 {statistics.median(values):7.1f} ms  p95 {p95:7.1f} ms\n")


if __name__ == "__main__":
    main()
