"""`memoria eval locomo` on a tiny invented conversation set, via the real write and read path."""

from __future__ import annotations

import json
import time

import pytest

from configs.settings import REPO_ROOT
from evals.locomo import load_jsonl_benchmark, run_eval, tenant_row_counts

pytestmark = pytest.mark.integration

MINI = REPO_ROOT / "tests" / "data" / "mini_locomo"


async def test_eval_memoria_on_mini_locomo_ranks_evidence_and_cleans_up(resources, tmp_path):
    turns, queries = load_jsonl_benchmark(MINI / "turns.jsonl", MINI / "queries.jsonl")
    assert all(q.category != 5 for q in queries) and len(queries) == 9
    out = tmp_path / "results.jsonl"

    started = time.perf_counter()
    report = await run_eval(resources, turns, queries, out_path=out, method="memoria")
    assert time.perf_counter() - started < 20

    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["qid"] for r in lines] == [q.qid for q in queries]
    dia_ids = {c: {t.dia_id for t in turns if t.conv_id == c} for c in ("mini-a", "mini-b")}
    by_qid = {q.qid: q for q in queries}
    for r in lines:
        assert set(r) == {"qid", "ranked", "signals"}
        assert r["ranked"] and set(r["ranked"]) <= dia_ids[by_qid[r["qid"]].conv_id]
        assert len(r["ranked"]) == len(set(r["ranked"])) <= 50
        signals = r["signals"]
        assert signals["method"] == "memoria" and signals["strategy"] and signals["reason"]
        assert signals["latency_ms"] > 0
        assert signals["top"] and signals["top"][0]["dia_id"] == r["ranked"][0]
        assert {"scores", "ranks"} <= set(signals["top"][0])

    results = {r["qid"]: r["ranked"] for r in lines}
    # Wording that clearly matches the evidence turn.
    assert "D3:1" in results["mini-a_q1"][:5]  # the community hall recital
    assert "D2:5" in results["mini-a_q3"][:5]  # the greyhound's name
    assert "D2:1" in results["mini-b_q0"][:5]  # the half marathon time

    assert report.n_queries == 9 and report.counters["n_skipped_no_evidence"] == 1
    assert report.aggregate["overall"]["n"] == 8
    assert report.counters["n_foreign_or_unknown_ids_dropped"] == 0
    assert sum(report.strategies.values()) == 9 and len(report.latencies_ms) == 9
    assert report.n_turns == 31 and report.ingest_s > 0

    counts = await tenant_row_counts(resources, report.tenant_id)
    assert set(counts.values()) == {0}, counts  # index, threads, history, log, outbox, facts
    redis = resources.storage.redis
    assert not [k async for k in redis.scan_iter(match=f"memoria:{report.tenant_id}:*")]


async def test_eval_keep_leaves_the_tenant_for_inspection(resources, tmp_path):
    from evals.locomo import delete_tenant

    turns, queries = load_jsonl_benchmark(MINI / "turns.jsonl", MINI / "queries.jsonl")
    report = await run_eval(
        resources, turns, queries, out_path=tmp_path / "r.jsonl", method="bm25",
        limit_queries=2, keep=True,
    )  # fmt: skip
    try:
        counts = await tenant_row_counts(resources, report.tenant_id)
        assert counts["memory_messages"] == 17  # only mini-a, the conversation asked about
        assert counts["threads"] == 3 and counts["chat_history"] == 17
        ranked = json.loads((tmp_path / "r.jsonl").read_text().splitlines()[0])["ranked"]
        assert ranked[0] in {"D1:2", "D1:3", "D1:4", "D2:3", "D2:4"}  # mentions of the cello
    finally:
        await delete_tenant(resources, report.tenant_id)
    assert (await tenant_row_counts(resources, report.tenant_id))["memory_messages"] == 0
