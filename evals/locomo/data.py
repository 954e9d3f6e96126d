"""LoCoMo records: turns and questions, loading and checking them, and turning turns into messages.

Input is the benchmark's jsonl pair (turns, queries) or the official `locomo10.json`; adversarial
questions (category 5) are skipped in both.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from langchain_core.messages import HumanMessage

from memory.message_index import EXTRA_METADATA_KEY
from storage.identity import Identity

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


def turn_id(tenant_id: str, turn: Turn) -> str:
    """Return a turn's message id: unique per tenant, ordered the same in every tenant.

    The read path breaks score ties by row id (the lexical leg's cut, equal texts): with ids
    hashed from the tenant as well, every run's fresh tenant broke them differently, and one
    build's figures moved from run to run (R@1 by up to .02). The first eight bytes come from
    the turn alone and order the ids; the last eight from the tenant keep them apart.
    """
    own = uuid.uuid5(_ID_NAMESPACE, f"{turn.conv_id}\x1f{turn.dia_id}").bytes
    tenant = uuid.uuid5(_ID_NAMESPACE, tenant_id).bytes
    return str(uuid.UUID(bytes=own[:8] + tenant[8:]))


def turn_message(tenant_id: str, turn: Turn) -> HumanMessage:
    """Return the human message for a turn, with a deterministic id and its provenance."""
    return HumanMessage(
        id=turn_id(tenant_id, turn),
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
