"""The LoCoMo run: ingest through the write path, rank through the read path, score, clean up.

Each conversation becomes one user of a fresh `eval-xxxxxxxx` tenant, each session one thread and
each turn one human message, stored with `ConversationMemory.append` exactly as the graph's
persist node stores a turn. Each question then runs through `build_retrieval_graph` (router ->
retrieve -> rerank) and the dia_ids of what comes back are scored against the question's evidence
with the definitions of the benchmark's `score.py` (recall@k, hit@k, all@k, MRR). Two in-process
baselines over the same indexed texts, Okapi BM25 and the stored vectors' cosine, put the numbers
in context.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.messages import HumanMessage
from psycopg import sql

from evals.locomo.data import (
    DEPTH,
    EVAL_CONTEXT,
    METHODS,
    TENANT_PREFIX,
    TOP_SIGNALS,
    Method,
    Query,
    Turn,
    check_dataset,
    new_tenant_id,
    safe_id,
    session_threads,
)
from evals.locomo.metrics import (
    BM25,
    IndexedConversation,
    aggregate,
    bm25_tokens,
    percentile,
    score_query,
    top_by_score,
)
from evals.locomo.tenant import delete_tenant
from graph.builder import build_retrieval_graph
from graph.context import Context
from graph.resources import Resources
from memory.fact_extractors import offline_extractor
from storage.identity import Identity
from storage.schema import MESSAGES_TABLE
from storage.tenancy import tenant_connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Asked:
    """One question the read path answered: the query, whose memory it asked, the final state."""

    query: Query
    ident: Identity
    state: Mapping[str, Any]


Analysis = Callable[[Resources, Sequence[Asked]], Awaitable[Any]]
"""A step run after ranking, over the answered questions, before the tenant is deleted."""

# The indexed texts of one eval user, as the write path stored them (baselines rank these).
SELECT_INDEXED = sql.SQL("""
    SELECT langchain_metadata->>'dia_id' AS dia_id, content, embedding::text AS embedding
    FROM {messages}
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s
""").format(messages=sql.Identifier(MESSAGES_TABLE))


@dataclass
class EvalReport:
    """What one evaluation run measured."""

    method: str
    tenant_id: str
    out_path: Path
    n_conversations: int
    n_turns: int
    n_queries: int
    ingest_s: float
    aggregate: OrderedDict[str, dict]
    latencies_ms: list[float]
    strategies: Counter[str] = field(default_factory=Counter)
    counters: dict[str, int] = field(default_factory=dict)
    kept: bool = False
    analysis: Any = None
    """What the run's `analyse` step returned (e.g. the cross-validation report)."""
    fetch_k: int | None = None  # per leg, as the read path's `fetch_k` (None: a baseline)

    @property
    def p50_ms(self) -> float:
        """Median per-query latency."""
        return percentile(self.latencies_ms, 50)

    @property
    def p95_ms(self) -> float:
        """95th-percentile per-query latency."""
        return percentile(self.latencies_ms, 95)


def format_report(report: EvalReport) -> str:
    """Return the run's summary: the metric table, latency, ingest time and router choices."""
    cols = ["n", "R@1", "R@5", "R@10", "R@20", "hit@1", "hit@5", "hit@10", "hit@20", "MRR"]
    lines = [
        f"LoCoMo retrieval, method {report.method}, tenant {report.tenant_id} "
        f"(depth {DEPTH}, score.py definitions)",
        "| group | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for group, m in report.aggregate.items():
        cells = [str(m["n"])] + [f"{m[c]:.3f}" for c in cols[1:]]
        lines.append(f"| {group} | {' | '.join(cells)} |")
    lines.append(
        f"queries: {report.n_queries} answered, "
        f"{report.aggregate.get('overall', {}).get('n', 0)} scored "
        f"({report.counters.get('n_skipped_no_evidence', 0)} without evidence skipped)"
    )
    lines.append(
        f"latency per query: p50 {report.p50_ms:.1f} ms, p95 {report.p95_ms:.1f} ms "
        f"(mean {sum(report.latencies_ms) / max(len(report.latencies_ms), 1):.1f} ms)"
    )
    per_turn_ms = 1000 * report.ingest_s / max(report.n_turns, 1)
    lines.append(
        f"ingest: {report.n_turns} turns of {report.n_conversations} conversations "
        f"in {report.ingest_s:.1f} s ({per_turn_ms:.1f} ms/turn)"
    )
    if report.fetch_k not in (None, product := Context().fetch_k):
        lines.append(f"per leg {report.fetch_k} candidates; the product fetches {product}")
    if report.strategies:
        chosen = ", ".join(f"{s} {n}" for s, n in report.strategies.most_common())
        lines.append(f"router strategies: {chosen}")
    if report.counters.get("n_foreign_or_unknown_ids_dropped"):
        lines.append(
            f"WARNING: {report.counters['n_foreign_or_unknown_ids_dropped']} ranked ids were not "
            "turns of the query's conversation"
        )
    lines.append(f"results: {report.out_path}")
    lines.append(f"tenant rows: {'kept (--keep)' if report.kept else 'deleted'}")
    return "\n".join(lines)


async def ingest(
    res: Resources, tenant_id: str, user_ids: Mapping[str, str], turns: Sequence[Turn]
) -> float:
    """Store every session as persist does, then drain the outbox; return the seconds it took.

    The outbox worker indexes what `ConversationMemory.append` acknowledged; queries start
    once every job is done.
    """
    threads = session_threads(tenant_id, user_ids, turns)
    started = time.perf_counter()
    for n, (ident, messages) in enumerate(threads, start=1):
        await res.conversation.append(ident, messages)
        if n % 10 == 0 or n == len(threads):
            logger.info("ingested %d/%d sessions", n, len(threads))
    await res.outbox_worker(offline_extractor).drain()
    return time.perf_counter() - started


async def load_indexed(
    res: Resources, tenant_id: str, user_id: str, order: Mapping[str, int]
) -> IndexedConversation:
    """Read one eval user's indexed texts and vectors back from the message index.

    The vectors are those the write path stored (all-MiniLM-L6-v2 over the same texts), so the
    dense baseline needs no second embedding pass.
    """
    async with tenant_connection(res.pool, tenant_id) as conn:
        cur = await conn.execute(SELECT_INDEXED, {"tenant_id": tenant_id, "user_id": user_id})
        rows = await cur.fetchall()
    rows.sort(key=lambda r: order.get(r["dia_id"], len(order)))
    vectors = np.asarray([json.loads(r["embedding"]) for r in rows], dtype=np.float32)
    if len(rows):
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    texts = [r["content"] for r in rows]
    return IndexedConversation(
        dia_ids=[r["dia_id"] for r in rows],
        texts=texts,
        vectors=vectors.reshape(len(rows), -1),
        bm25=BM25([bm25_tokens(t) for t in texts]),
    )


async def rank_memoria(
    graph: Any,
    tenant_id: str,
    user_id: str,
    query: Query,
    n: int,
    context: Context | None = None,
    states: list[Asked] | None = None,
) -> tuple[list[str], dict[str, Any]]:
    """Answer one query with the read path; return ranked dia_ids and the run's signals.

    With `states`, the run's final graph state is appended to it (for an `Analysis`).
    """
    ident = Identity(tenant_id, user_id, f"{tenant_id}.{user_id}.q{n}")
    config = {"configurable": ident.as_dict()}
    started = time.perf_counter()
    state = await graph.ainvoke(
        {"messages": [HumanMessage(query.question)]},
        config,
        context=context or Context(**EVAL_CONTEXT),
    )
    latency_ms = (time.perf_counter() - started) * 1000
    if states is not None:
        states.append(
            Asked(query, Identity(tenant_id, user_id, config["configurable"]["thread_id"]), state)
        )
    route = state.get("route") or {}
    ranked: list[str] = []
    top: list[dict[str, Any]] = []
    for cand in [*state.get("context", []), *state.get("candidates", [])]:
        dia_id = (cand.get("metadata") or {}).get("dia_id")
        if dia_id is None or dia_id in ranked:
            continue
        ranked.append(dia_id)
        if len(top) < TOP_SIGNALS:
            top.append({"dia_id": dia_id, "scores": cand["scores"], "ranks": cand["ranks"]})
        if len(ranked) == DEPTH:
            break
    signals = {
        "method": "memoria",
        "strategy": route.get("strategy"),
        "reason": route.get("reason"),
        "latency_ms": round(latency_ms, 2),
        "timings": state.get("timings", {}),
        "top": top,
    }
    return ranked, signals


async def rank_baseline(
    res: Resources, method: Method, indexed: IndexedConversation, query: Query
) -> tuple[list[str], dict[str, Any]]:
    """Rank one conversation's indexed turns for a query with BM25 or MiniLM cosine."""
    started = time.perf_counter()
    if method == "bm25":
        scores = indexed.bm25.scores(bm25_tokens(query.question)) if indexed.bm25 else []
        reason = "Okapi BM25 (k1 1.5, b 0.75, English stop words) over the indexed turns"
    else:
        vector = np.asarray(await res.embeddings.aembed_query(query.question), dtype=np.float32)
        vector /= max(float(np.linalg.norm(vector)), 1e-12)
        scores = (indexed.vectors @ vector).tolist() if len(indexed.dia_ids) else []
        reason = "all-MiniLM-L6-v2 cosine over the indexed turns' vectors, as stored at ingest"
    ranked, top = top_by_score(indexed.dia_ids, scores, method, positive_only=method == "bm25")
    latency_ms = (time.perf_counter() - started) * 1000
    signals = {
        "method": method,
        "strategy": None,
        "reason": reason,
        "latency_ms": round(latency_ms, 2),
        "top": top,
    }
    return ranked, signals


async def run_eval(
    res: Resources,
    turns: Sequence[Turn],
    queries: Sequence[Query],
    *,
    out_path: Path,
    method: Method = "memoria",
    limit_queries: int | None = None,
    keep: bool = False,
    tenant_id: str | None = None,
    knobs: Mapping[str, Any] | None = None,
    analyse: Analysis | None = None,
) -> EvalReport:
    """Ingest the conversations into a fresh tenant, rank every query, score, clean up.

    Args:
        res: Opened (or lazily opening) resources.
        turns: Every turn of the conversations asked about.
        queries: The questions, categories 1-4.
        out_path: Where to write one JSON line per query.
        method: `memoria` (the read path), or the `bm25` / `dense` baselines.
        limit_queries: Only the first N queries (and only their conversations are ingested).
        keep: Leave the tenant's rows in place for inspection.
        tenant_id: An `eval-` tenant to use instead of a fresh one.
        knobs: Run knobs (graph Context fields) over the eval defaults, e.g. {"rerank": False}.
        analyse: Called with every memoria query's final state once all are ranked, while the
            tenant's rows still exist (cross-validation re-ranks them); its result is the
            report's `analysis`.

    Raises:
        ValueError: unknown method, or data `check_dataset` rejects.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    queries = list(queries)
    if limit_queries is not None:
        queries = queries[:limit_queries]
        wanted = {q.conv_id for q in queries}
        turns = [t for t in turns if t.conv_id in wanted]
    check_dataset(turns, queries)
    context = Context(**{**EVAL_CONTEXT, **(knobs or {})})
    await res.open()
    tenant_id = tenant_id or new_tenant_id()
    if not tenant_id.startswith(TENANT_PREFIX):
        raise ValueError(f"tenant_id must start with {TENANT_PREFIX!r}")
    conv_ids = sorted({t.conv_id for t in turns})
    user_ids = {c: safe_id(c) for c in conv_ids}
    if len(set(user_ids.values())) != len(user_ids):
        raise ValueError("two conversation ids map to the same user id")
    valid: dict[str, set[str]] = defaultdict(set)
    order: dict[str, dict[str, int]] = defaultdict(dict)
    for t in sorted(turns, key=lambda t: (t.conv_id, t.turn_idx)):
        valid[t.conv_id].add(t.dia_id)
        order[t.conv_id][t.dia_id] = len(order[t.conv_id])
    logger.info(
        "eval tenant %s: %d conversations, %d turns, %d queries, method %s",
        tenant_id, len(conv_ids), len(turns), len(queries), method,
    )  # fmt: skip
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        ingest_s = await ingest(res, tenant_id, user_ids, turns)
        logger.info("ingested %d turns in %.1f s", len(turns), ingest_s)
        graph = build_retrieval_graph(res) if method == "memoria" else None
        # Every question is new to the embedding caches, as a user's next question would be;
        # otherwise a second run would time cached vectors instead of the model.
        await res.embeddings.forget([q.question for q in queries], tenant_id=tenant_id)
        indexed: dict[str, IndexedConversation] = {}
        if method != "memoria":
            for c in conv_ids:
                indexed[c] = await load_indexed(res, tenant_id, user_ids[c], order[c])
        scored: list[tuple[int, dict[str, float]]] = []
        latencies: list[float] = []
        strategies: Counter[str] = Counter()
        counters = {"n_skipped_no_evidence": 0, "n_foreign_or_unknown_ids_dropped": 0}
        asked: list[Asked] | None = [] if analyse is not None and graph is not None else None
        with out_path.open("w", encoding="utf-8") as out:
            for n, query in enumerate(queries):
                user = user_ids[query.conv_id]
                if graph is not None:
                    ranked, signals = await rank_memoria(
                        graph, tenant_id, user, query, n, context, asked
                    )
                    strategies[str(signals["strategy"])] += 1
                else:
                    ranked, signals = await rank_baseline(
                        res, method, indexed[query.conv_id], query
                    )
                latencies.append(signals["latency_ms"])
                out.write(json.dumps({"qid": query.qid, "ranked": ranked, "signals": signals}))
                out.write("\n")
                metrics, dropped = score_query(
                    ranked, query.evidence, valid=valid[query.conv_id], depth=DEPTH
                )
                counters["n_foreign_or_unknown_ids_dropped"] += dropped
                if metrics is None:
                    counters["n_skipped_no_evidence"] += 1
                else:
                    scored.append((query.category, metrics))
                if (n + 1) % 50 == 0:
                    logger.info("ranked %d/%d queries", n + 1, len(queries))
        analysis = await analyse(res, asked) if analyse is not None and asked else None
    finally:
        if keep:
            logger.info("kept the rows of eval tenant %s", tenant_id)
        else:
            # Also after a failure or an interrupt: a half-run must not leave its tenant behind.
            await delete_tenant(res, tenant_id)
            # Its questions' vectors are the tenant's too (the embedding cache is per tenant).
            await res.embeddings.forget([q.question for q in queries], tenant_id=tenant_id)
            logger.info("deleted the rows of eval tenant %s", tenant_id)
    return EvalReport(
        method=method,
        tenant_id=tenant_id,
        out_path=out_path,
        n_conversations=len(conv_ids),
        n_turns=len(turns),
        n_queries=len(queries),
        ingest_s=ingest_s,
        aggregate=aggregate(scored),
        latencies_ms=latencies,
        strategies=strategies,
        counters=counters,
        kept=keep,
        analysis=analysis,
        fetch_k=context.fetch_k if method == "memoria" else None,
    )
