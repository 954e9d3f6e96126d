"""An outbox job's format: what a turn enqueues and what a worker reads back.

A turn's transaction inserts one `memory_outbox` row (`ENQUEUE`, with `job_payload` and
`enqueue_params`) beside its messages; the worker (`memory.outbox`) cuts the same index entries
from the payload again (`job_entries`).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from langchain_core.messages import messages_from_dict
from psycopg.types.json import Jsonb

from memory.message_index import IndexEntry, index_entries
from storage.identity import Identity
from storage.schema import OUTBOX_CHANNEL

# The notification is delivered at commit (never for a rolled-back turn) and wakes workers.
ENQUEUE = f"""
    WITH job AS (
        INSERT INTO memory_outbox (tenant_id, user_id, thread_id, payload, extractor)
        VALUES (%(tenant_id)s, %(user_id)s, %(thread_id)s, %(payload)s, %(extractor)s)
        RETURNING id
    )
    SELECT pg_notify('{OUTBOX_CHANNEL}', '') FROM job
"""


def job_payload(messages: list[dict[str, Any]], acked_at: datetime) -> dict[str, Any]:
    """Return the payload of a turn's job: its messages (as dicts), where they sit, when acked."""
    return {
        "messages": messages,
        # Microseconds: increasing within a thread across turns.
        "base_seq": time.time_ns() // 1000,
        "acked_at": acked_at.isoformat(),
    }


def enqueue_params(ident: Identity, payload: dict[str, Any], extractor: str) -> dict[str, Any]:
    """Return the parameters of `ENQUEUE` for a job of `ident`'s thread."""
    return {**ident.as_dict(), "payload": Jsonb(payload), "extractor": extractor}


def job_entries(job: dict[str, Any]) -> list[IndexEntry]:
    """Return the index entries of a claimed job's messages, as its turn would have cut them."""
    payload = job["payload"]
    messages = messages_from_dict(payload["messages"])
    acked_at = datetime.fromisoformat(payload["acked_at"])
    return index_entries(messages, base_seq=int(payload["base_seq"]), acked_at=acked_at)
