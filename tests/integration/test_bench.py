"""`memoria bench suite` at a tiny size: it measures what it says and leaves nothing behind."""

from __future__ import annotations

import pytest

from benchmarks.suite import SuiteConfig, run_suite
from benchmarks.suite_report import format_suite_report
from evals.locomo import tenant_row_counts
from storage.tenancy import ALL_TENANTS, tenant_connection

pytestmark = pytest.mark.integration


async def test_bench_suite_reports_every_measure_and_deletes_its_tenant(resources):
    cfg = SuiteConfig(
        sizes=(60, 120),
        users=3,
        threads_per_user=2,
        read_queries=4,
        turns=3,
        clients=(1, 2),
        concurrency_seconds=2.0,
        concurrency_max_turns=6,
    )
    data = await run_suite(resources, cfg)

    assert [e["messages"] for e in data["sizes"]] == [60, 120]
    # Per-user filters at any size run with pgvector's iterative HNSW scans.
    assert data["vector_search"]["iterative_scan"] == "relaxed_order"
    for entry in data["sizes"]:
        assert entry["read"]["queries"] == cfg.read_queries
        assert entry["read"]["read_ms"]["p50"] > 0
        assert entry["turn"]["turns"] == cfg.turns and entry["turn"]["error_rate"] == 0
        assert [c["clients"] for c in entry["concurrency"]] == [1, 2]
        assert all(c["error_rate"] == 0 and c["turns"] > 0 for c in entry["concurrency"])
        assert entry["kb_chunks"] > 0
    # The same pages into a second tenant: embedded again, as the cache is per tenant (a
    # hit would tell that tenant another one holds the same pages).
    assert data["kb_repeat_ingest"]["embedding_cache_hit_rate"] == 0.0
    assert "| 120 |" in format_suite_report(data)

    leftovers = await tenant_row_counts(resources, data["tenant"])
    assert not any(leftovers.values()), leftovers
    async with tenant_connection(resources.pool, ALL_TENANTS) as conn:
        cur = await conn.execute(
            "SELECT count(*) AS n FROM kb_chunks WHERE tenant_id = ANY(%s)",
            ([data["tenant"], f"{data['tenant']}-repeat"],),
        )
        assert (await cur.fetchone())["n"] == 0
