"""LoCoMo retrieval evaluation: ingest through the write path, rank through the read path.

Each conversation becomes one user of a fresh `eval-xxxxxxxx` tenant, each session one thread and
each turn one human message, stored with `ConversationMemory.append` exactly as the graph's
persist node stores a turn. Each question then runs through `build_retrieval_graph` (router ->
retrieve -> rerank) and the dia_ids of what comes back are scored against the question's evidence
with the definitions of the benchmark's `score.py` (recall@k, hit@k, all@k, MRR). Two in-process
baselines over the same indexed texts, Okapi BM25 and MiniLM cosine, put the numbers in context.

Input is the benchmark's jsonl pair (turns, queries) or the official `locomo10.json`; adversarial
questions (category 5) are skipped in both.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
import uuid
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from langchain_core.messages import HumanMessage
from psycopg import sql

from graph.builder import build_retrieval_graph
from graph.context import Context
from graph.resources import Resources
from memory.facts import offline_extractor
from memory.message_index import EXTRA_METADATA_KEY
from memory.threads import users_of
from storage.identity import Identity
from storage.schema import CHAT_HISTORY_TABLE, MESSAGES_TABLE
from storage.tenancy import tenant_connection

logger = logging.getLogger(__name__)

Method = Literal["memoria", "bm25", "dense"]
METHODS: tuple[Method, ...] = ("memoria", "bm25", "dense")

KS = (1, 5, 10, 20)
DEPTH = 50
TOP_SIGNALS = 10
ADVERSARIAL = 5
CATEGORY_NAMES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
TENANT_PREFIX = "eval-"

# What the read path is asked for: everything it finds, in its own order, no threshold cut.
EVAL_CONTEXT = {"k": DEPTH, "fetch_k": DEPTH, "rerank_threshold": 0.0, "rerank_min_keep": DEPTH}

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._:@-]")
_USER_ID_MAX = 64  # leaves room for the tenant and a session suffix in thread ids (128 max)
_ID_NAMESPACE = uuid.UUID("3b0f6a52-1d4e-4c8e-9d0a-6c1f0e7b9a41")
_DIA_ID = re.compile(r"D(\d+):(\d+)")
_SESSION_KEY = re.compile(r"^session_(\d+)$")
_SESSION_DATE = re.compile(
    r"^\s*(\d{1,2}):(\d{2})\s*([ap])\.?m\.?\s+on\s+(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})\s*$",
    re.IGNORECASE,
)
_MONTH_NAMES = (
    "january february march april may june july august september october november december"
).split()
_MONTHS = {
    **{name: i for i, name in enumerate(_MONTH_NAMES, start=1)},
    **{name[:3]: i for i, name in enumerate(_MONTH_NAMES, start=1)},
    "sept": 9,
}

# The indexed texts of one eval user, as the write path stored them (baselines rank these).
SELECT_INDEXED = sql.SQL("""
    SELECT langchain_metadata->>'dia_id' AS dia_id, content, embedding::text AS embedding
    FROM {messages}
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s
""").format(messages=sql.Identifier(MESSAGES_TABLE))

# Cleanup of one eval tenant, in one transaction. Transcript rows are keyed by the session_id
# of their thread, so they go before the threads that name them.
COUNT_TENANT_ROWS = sql.SQL("""
    SELECT
      (SELECT count(*) FROM {messages} WHERE tenant_id = %(tenant_id)s) AS memory_messages,
      (SELECT count(*) FROM threads WHERE tenant_id = %(tenant_id)s) AS threads,
      (SELECT count(*) FROM {history} h JOIN threads t ON t.session_id = h.session_id
        WHERE t.tenant_id = %(tenant_id)s) AS chat_history,
      (SELECT count(*) FROM strategy_log WHERE tenant_id = %(tenant_id)s) AS strategy_log,
      (SELECT count(*) FROM memory_outbox WHERE tenant_id = %(tenant_id)s) AS memory_outbox,
      (SELECT count(*) FROM store WHERE prefix LIKE 'facts.' || %(tenant_id)s || '.%%') AS facts
""").format(messages=sql.Identifier(MESSAGES_TABLE), history=sql.Identifier(CHAT_HISTORY_TABLE))

# NLTK's English stop words: the usual list for BM25 baselines on LoCoMo.
BM25_STOPWORDS = frozenset(
    """
    i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself
    yourselves he him his himself she she's her hers herself it it's its itself they them their
    theirs themselves what which who whom this that that'll these those am is are was were be
    been being have has had having do does did doing a an the and but if or because as until
    while of at by for with about against between into through during before after above below
    to from up down in out on off over under again further then once here there when where why
    how all any both each few more most other some such no nor not only own same so than too
    very s t can will just don don't should should've now d ll m o re ve y ain aren aren't
    couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma
    mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't weren
    weren't won won't wouldn wouldn't
    """.split()
)
_BM25_WORD = re.compile(r"\w+")


# ---------------------------------------------------------------------------------------------
# Records and loading
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One turn of a conversation."""

    conv_id: str
    dia_id: str
    session: int
    session_date: str
    speaker: str
    text: str
    turn_idx: int
    blip_caption: str | None = None


@dataclass(frozen=True)
class Query:
    """One question about a conversation, with the dia_ids of the turns that answer it."""

    conv_id: str
    qid: str
    question: str
    answer: Any
    evidence: tuple[str, ...]
    category: int


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read one JSON object per non-blank line."""
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def parse_session_date(text: str) -> datetime:
    """Parse a LoCoMo session date such as '1:56 pm on 8 May, 2023' as a UTC datetime.

    Raises:
        ValueError: `text` is not in that format.
    """
    match = _SESSION_DATE.match(text or "")
    month = _MONTHS.get(match.group(5).lower()) if match else None
    if match is None or month is None:
        raise ValueError(f"session date {text!r} is not like '1:56 pm on 8 May, 2023'")
    hour, minute = int(match.group(1)), int(match.group(2))
    if not (1 <= hour <= 12 and minute < 60):
        raise ValueError(f"session date {text!r} has an invalid 12-hour time")
    hour = hour % 12 + (12 if match.group(3).lower() == "p" else 0)
    return datetime(int(match.group(6)), month, int(match.group(4)), hour, minute, tzinfo=UTC)


def normalise_evidence(raw: Iterable[Any]) -> tuple[str, ...]:
    """Return the dia_ids in raw evidence entries ('D8:6; D9:17' holds two), first seen first."""
    out: dict[str, None] = {}
    for entry in raw or ():
        for turn, line in _DIA_ID.findall(str(entry)):
            out[f"D{int(turn)}:{int(line)}"] = None
    return tuple(out)


def turns_from_records(records: Iterable[Mapping[str, Any]]) -> list[Turn]:
    """Build turns from benchmark jsonl records, checking each session date parses."""
    turns = []
    for i, r in enumerate(records):
        try:
            turn = Turn(
                conv_id=str(r["conv_id"]),
                dia_id=str(r["dia_id"]),
                session=int(r["session"]),
                session_date=str(r["session_date"]),
                speaker=str(r["speaker"]),
                text=str(r["text"]),
                turn_idx=int(r.get("turn_idx", i)),
                blip_caption=r.get("blip_caption") or None,
            )
        except KeyError as exc:
            raise ValueError(f"turn record {i} lacks {exc.args[0]!r}") from None
        parse_session_date(turn.session_date)
        turns.append(turn)
    return turns


def queries_from_records(records: Iterable[Mapping[str, Any]]) -> list[Query]:
    """Build queries from benchmark jsonl records, skipping adversarial ones (category 5)."""
    queries = []
    for i, r in enumerate(records):
        try:
            category = int(r["category"])
            if category == ADVERSARIAL:
                continue
            queries.append(
                Query(
                    conv_id=str(r["conv_id"]),
                    qid=str(r["qid"]),
                    question=str(r["question"]),
                    answer=r.get("answer"),
                    evidence=normalise_evidence(r.get("evidence", [])),
                    category=category,
                )
            )
        except KeyError as exc:
            raise ValueError(f"query record {i} lacks {exc.args[0]!r}") from None
    return queries


def load_jsonl_benchmark(turns_path: Path, queries_path: Path) -> tuple[list[Turn], list[Query]]:
    """Load the benchmark's turns.jsonl and queries.jsonl."""
    return (
        turns_from_records(read_jsonl(turns_path)),
        queries_from_records(read_jsonl(queries_path)),
    )


def convert_locomo10(samples: Sequence[Mapping[str, Any]]) -> tuple[list[Turn], list[Query]]:
    """Convert the official locomo10.json layout to turns and queries.

    Sessions are taken in numeric order; query ids are `<sample_id>_q<n>`, numbering the
    non-adversarial questions of each sample from 0 (as the benchmark's jsonl does).

    Raises:
        ValueError: a sample lacks its id or conversation, or a session lacks its date.
    """
    turns: list[Turn] = []
    queries: list[Query] = []
    for s, sample in enumerate(samples):
        conv_id = sample.get("sample_id")
        conversation = sample.get("conversation")
        if not conv_id or not isinstance(conversation, Mapping):
            raise ValueError(f"sample {s} lacks 'sample_id' or 'conversation'")
        conv_id = str(conv_id)
        sessions = sorted(int(m.group(1)) for key in conversation if (m := _SESSION_KEY.match(key)))
        turn_idx = 0
        for n in sessions:
            session_turns = conversation.get(f"session_{n}") or []
            if not session_turns:
                continue
            date = conversation.get(f"session_{n}_date_time")
            if not date:
                raise ValueError(f"{conv_id}: session_{n} has turns but no session_{n}_date_time")
            parse_session_date(date)
            for t in session_turns:
                turns.append(
                    Turn(
                        conv_id=conv_id,
                        dia_id=str(t["dia_id"]),
                        session=n,
                        session_date=str(date),
                        speaker=str(t["speaker"]),
                        text=str(t.get("text", "")),
                        turn_idx=turn_idx,
                        blip_caption=t.get("blip_caption") or None,
                    )
                )
                turn_idx += 1
        n_query = 0
        for qa in sample.get("qa", []):
            category = int(qa["category"])
            if category == ADVERSARIAL:
                continue
            queries.append(
                Query(
                    conv_id=conv_id,
                    qid=f"{conv_id}_q{n_query}",
                    question=str(qa["question"]),
                    answer=qa.get("answer"),
                    evidence=normalise_evidence(qa.get("evidence", [])),
                    category=category,
                )
            )
            n_query += 1
    return turns, queries


def load_locomo10(path: Path) -> tuple[list[Turn], list[Query]]:
    """Load and convert an official locomo10.json file."""
    samples = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(samples, list):
        raise ValueError(f"{path}: expected a list of samples")
    return convert_locomo10(samples)


def check_dataset(turns: Sequence[Turn], queries: Sequence[Query]) -> None:
    """Reject data that cannot be evaluated: orphan turns or queries, duplicate ids.

    Raises:
        ValueError: saying which conversations or ids are at fault.
    """
    turn_convs = {t.conv_id for t in turns}
    query_convs = {q.conv_id for q in queries}
    if not queries:
        raise ValueError("no queries to evaluate (after skipping category 5)")
    if missing := sorted(query_convs - turn_convs):
        raise ValueError(f"queries name conversations with no turns: {', '.join(missing)}")
    if unasked := sorted(turn_convs - query_convs):
        raise ValueError(f"turns of conversations no query asks about: {', '.join(unasked)}")
    seen_turns = Counter((t.conv_id, t.dia_id) for t in turns)
    if dupes := sorted(f"{c}/{d}" for (c, d), n in seen_turns.items() if n > 1):
        raise ValueError(f"duplicate dia_ids within a conversation: {', '.join(dupes[:10])}")
    seen_qids = Counter(q.qid for q in queries)
    if dupes := sorted(qid for qid, n in seen_qids.items() if n > 1):
        raise ValueError(f"duplicate qids: {', '.join(dupes[:10])}")
    known = {(t.conv_id, t.dia_id) for t in turns}
    unknown = sum(1 for q in queries for e in q.evidence if (q.conv_id, e) not in known)
    if unknown:
        logger.warning("%d evidence ids name no turn of their conversation", unknown)


# ---------------------------------------------------------------------------------------------
# Turning turns into messages
# ---------------------------------------------------------------------------------------------


def safe_id(value: str) -> str:
    """Return `value` as a valid memoria id; altered ids get a hash suffix to stay distinct."""
    if _ID_PATTERN.match(value) and len(value) <= _USER_ID_MAX:
        return value
    cleaned = _ID_UNSAFE.sub("-", value).lstrip("._:@-")[: _USER_ID_MAX - 9] or "conv"
    digest = hashlib.sha1(value.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned}-{digest}"


def new_tenant_id() -> str:
    """Return a fresh eval tenant id, `eval-` and 8 hex characters."""
    return f"{TENANT_PREFIX}{uuid.uuid4().hex[:8]}"


def turn_content(turn: Turn) -> str:
    """Return the indexed text of a turn: speaker, text and any shared photo's caption."""
    content = f"{turn.speaker}: {turn.text}"
    if turn.blip_caption:
        content += f" [shares a photo: {turn.blip_caption}]"
    return content


def turn_message(tenant_id: str, turn: Turn) -> HumanMessage:
    """Return the human message for a turn, with a deterministic id and its provenance."""
    key = f"{tenant_id}\x1f{turn.conv_id}\x1f{turn.dia_id}"
    return HumanMessage(
        id=str(uuid.uuid5(_ID_NAMESPACE, key)),
        content=turn_content(turn),
        additional_kwargs={
            "created_at": parse_session_date(turn.session_date).isoformat(),
            EXTRA_METADATA_KEY: {
                "dia_id": turn.dia_id,
                "speaker": turn.speaker,
                "session": turn.session,
            },
        },
    )


def session_threads(
    tenant_id: str, user_ids: Mapping[str, str], turns: Sequence[Turn]
) -> list[tuple[Identity, list[HumanMessage]]]:
    """Group turns by conversation and session into (thread identity, messages) in turn order."""
    grouped: dict[tuple[str, int], list[Turn]] = defaultdict(list)
    for turn in sorted(turns, key=lambda t: (t.conv_id, t.session, t.turn_idx)):
        grouped[(turn.conv_id, turn.session)].append(turn)
    out = []
    for (conv_id, session), session_turns in grouped.items():
        user = user_ids[conv_id]
        ident = Identity(tenant_id, user, f"{tenant_id}.{user}.s{session}")
        out.append((ident, [turn_message(tenant_id, t) for t in session_turns]))
    return out


# ---------------------------------------------------------------------------------------------
# Metrics (pure; the definitions of the benchmark's score.py)
# ---------------------------------------------------------------------------------------------


def score_query(
    ranked: Sequence[str],
    evidence: Iterable[str],
    *,
    valid: set[str] | None = None,
    depth: int = 100,
    ks: Sequence[int] = KS,
) -> tuple[dict[str, float] | None, int]:
    """Score one ranking against its evidence as score.py does.

    Duplicates keep their first position, ids outside `valid` are dropped (and counted), the list
    is cut at `depth`. recall@k = share of the evidence in the top k; hit@k = 1 if any evidence is
    in the top k; all@k = 1 if all of it is; MRR = 1/rank of the first evidence (0 if none).

    Returns:
        The metrics (None when there is no evidence: score.py skips such queries) and the number
        of ids dropped as not valid.
    """
    ev = set(evidence)
    seen: set[str] = set()
    kept: list[str] = []
    dropped = 0
    for d in ranked:
        if d in seen:
            continue
        if valid is not None and d not in valid:
            dropped += 1
            continue
        seen.add(d)
        kept.append(d)
        if len(kept) >= depth:
            break
    if not ev:
        return None, dropped
    m: dict[str, float] = {}
    for k in ks:
        got = len(ev.intersection(kept[:k]))
        m[f"R@{k}"] = got / len(ev)
        m[f"hit@{k}"] = 1.0 if got else 0.0
        m[f"all@{k}"] = 1.0 if got == len(ev) else 0.0
    m["MRR"] = next((1.0 / (i + 1) for i, d in enumerate(kept) if d in ev), 0.0)
    return m, dropped


def aggregate(scored: Sequence[tuple[int, Mapping[str, float]]]) -> OrderedDict[str, dict]:
    """Average per-query metrics overall (categories 1-4) and per category, with counts `n`."""
    groups: OrderedDict[str, list[Mapping[str, float]]] = OrderedDict()
    groups["overall"] = [m for _, m in scored]
    for c, name in sorted(CATEGORY_NAMES.items()):
        groups[f"{c} {name}"] = [m for cat, m in scored if cat == c]
    out: OrderedDict[str, dict] = OrderedDict()
    for group, rows in groups.items():
        if not rows:
            continue
        out[group] = {"n": len(rows)}
        for key in rows[0]:
            out[group][key] = sum(r[key] for r in rows) / len(rows)
    return out


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the `pct` percentile of `values` by linear interpolation (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# ---------------------------------------------------------------------------------------------
# Baselines (in-process, over the texts the write path indexed)
# ---------------------------------------------------------------------------------------------


def bm25_tokens(text: str) -> list[str]:
    """Return lowercase word tokens of `text` without English stop words."""
    return [w for w in _BM25_WORD.findall(text.lower()) if w not in BM25_STOPWORDS]


class BM25:
    """Okapi BM25 over a fixed corpus, with the non-negative (Lucene) idf."""

    def __init__(self, docs: Sequence[Sequence[str]], *, k1: float = 1.5, b: float = 0.75) -> None:
        """Index tokenised documents."""
        self.k1, self.b = k1, b
        self.tf = [Counter(d) for d in docs]
        self.lengths = [len(d) for d in docs]
        self.avg_len = (sum(self.lengths) / len(docs)) if docs else 0.0
        df = Counter(term for tf in self.tf for term in tf)
        n = len(docs)
        self.idf = {t: math.log((n - f + 0.5) / (f + 0.5) + 1.0) for t, f in df.items()}

    def scores(self, query: Sequence[str]) -> list[float]:
        """Return the score of every document for the tokenised query."""
        out = [0.0] * len(self.tf)
        avg = self.avg_len or 1.0
        for term in query:
            idf = self.idf.get(term)
            if idf is None:
                continue
            for i, tf in enumerate(self.tf):
                f = tf.get(term)
                if f:
                    norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / avg)
                    out[i] += idf * f * (self.k1 + 1) / (f + norm)
        return out


@dataclass
class IndexedConversation:
    """One eval user's indexed turns, in turn order, as the baselines see them."""

    dia_ids: list[str]
    texts: list[str]
    vectors: np.ndarray
    bm25: BM25 | None = None


def top_by_score(
    dia_ids: Sequence[str],
    scores: Sequence[float],
    signal: str,
    *,
    depth: int = DEPTH,
    positive_only: bool = True,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Return the `depth` best dia_ids (ties keep turn order) and the signals of the first ten.

    With `positive_only`, turns scoring 0 or less are not ranked (BM25: no query term in them).
    """
    kept = (i for i, s in enumerate(scores) if s > 0 or not positive_only)
    order = sorted(kept, key=lambda i: (-scores[i], i))[:depth]
    ranked = [dia_ids[i] for i in order]
    top = [
        {"dia_id": dia_ids[i], "scores": {signal: round(float(scores[i]), 6)}, "ranks": {signal: r}}
        for r, i in enumerate(order[:TOP_SIGNALS], start=1)
    ]
    return ranked, top


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


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
    graph: Any, tenant_id: str, user_id: str, query: Query, n: int, context: Context | None = None
) -> tuple[list[str], dict[str, Any]]:
    """Answer one query with the read path; return ranked dia_ids and the run's signals."""
    config = {
        "configurable": {
            "tenant_id": tenant_id,
            "user_id": user_id,
            "thread_id": f"{tenant_id}.{user_id}.q{n}",
        }
    }
    started = time.perf_counter()
    state = await graph.ainvoke(
        {"messages": [HumanMessage(query.question)]},
        config,
        context=context or Context(**EVAL_CONTEXT),
    )
    latency_ms = (time.perf_counter() - started) * 1000
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


async def delete_tenant(res: Resources, tenant_id: str) -> None:
    """Forget every user of an eval tenant, in every store (only `eval-` tenants)."""
    if not tenant_id.startswith(TENANT_PREFIX):
        raise ValueError(f"refusing to delete tenant {tenant_id!r}: not an eval tenant")
    async with tenant_connection(res.pool, tenant_id) as conn:
        users = await users_of(conn, tenant_id)
    for user_id in users:
        await res.forgetter.forget_user(tenant_id, user_id)
    async with tenant_connection(res.pool, tenant_id) as conn:
        await conn.execute("DELETE FROM memory_versions WHERE tenant_id = %s", (tenant_id,))


async def tenant_row_counts(res: Resources, tenant_id: str) -> dict[str, int]:
    """Return how many rows of each table the tenant still has."""
    async with tenant_connection(res.pool, tenant_id) as conn:
        cur = await conn.execute(COUNT_TENANT_ROWS, {"tenant_id": tenant_id})
        row = await cur.fetchone()
    return dict(row or {})


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
        with out_path.open("w", encoding="utf-8") as out:
            for n, query in enumerate(queries):
                user = user_ids[query.conv_id]
                if graph is not None:
                    ranked, signals = await rank_memoria(graph, tenant_id, user, query, n, context)
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
    )
