"""Prometheus metrics of the memory layer, exported by the server at `/metrics`."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Milliseconds from a few hundred microseconds (a warm write) to seconds (a stalled one).
_MS_BUCKETS = (0.5, 1, 2, 3, 5, 7.5, 10, 15, 25, 40, 60, 100, 250, 500, 1000, 2500, 5000)

STRATEGY_USE = Counter(
    "memoria_strategy_total", "Turns routed to each memory strategy.", ["strategy"]
)
CACHE_LOOKUPS = Counter(
    "memoria_cache_lookups_total",
    "Speed-layer cache lookups by cache and result (hit, miss, unavailable).",
    ["cache", "result"],
)
REDIS_FALLBACKS = Counter(
    "memoria_redis_fallbacks_total",
    "Redis operations skipped or failed and served without Redis, by operation.",
    ["operation"],
)
REDIS_UP = Gauge("memoria_redis_up", "1 while the speed layer reaches Redis, else 0.")
WRITE_ACK_MS = Histogram(
    "memoria_write_ack_ms",
    "Milliseconds to acknowledge a turn: one transaction with its messages and outbox row.",
    buckets=_MS_BUCKETS,
)
OUTBOX_LAG_MS = Histogram(
    "memoria_outbox_lag_ms",
    "Milliseconds from a turn's acknowledgement to the worker finishing its outbox job.",
    buckets=_MS_BUCKETS,
)
OUTBOX_JOBS = Counter(
    "memoria_outbox_jobs_total", "Outbox jobs by outcome (done, retry).", ["outcome"]
)
RETRIEVE_MS = Histogram(
    "memoria_retrieve_ms",
    "Milliseconds spent retrieving, by strategy and cache result.",
    ["strategy", "cache"],
    buckets=_MS_BUCKETS,
)
# Seconds-scale buckets too: generate with an LLM takes seconds; router or persist, milliseconds.
NODE_MS = Histogram(
    "memoria_node_ms",
    "Milliseconds each graph node took per turn, by node.",
    ["node"],
    buckets=(*_MS_BUCKETS, 10000, 30000),
)
NODE_ERRORS = Counter(
    "memoria_node_errors_total", "Graph node runs that raised, by node.", ["node"]
)
HTTP_RESPONSES = Counter(
    "memoria_http_responses_total", "HTTP responses by status class (2xx, 4xx, 5xx).", ["status"]
)
RETENTION_THREADS = Counter(
    "memoria_retention_threads_total",
    "Threads the scheduled retention expired, by action (delete, archive).",
    ["action"],
)
RETENTION_REMOVED = Counter(
    "memoria_retention_removed_total",
    "What the scheduled retention removed, by store (its receipts' counts).",
    ["store"],
)
RETENTION_LAST_RUN = Gauge(
    "memoria_retention_last_run_timestamp_seconds",
    "When the scheduled retention last applied every tenant's policy (Unix time).",
)
