"""Statement labels (`memory_statement_labels`): which attribute of the user a message states.

The word rules find "my dog Simba" but not "Biscuit couldn't care less, he's a tortoise"; the
attribute classifier (`memory.fact_semantics`) reads both by meaning. The outbox worker
classifies each user message's statement sentences ONCE, as it indexes the message, and
stores per message how likely its sentences state each attribute (the highest over its
sentences, from `FLOOR` up). Two readers:

- retrieval (`retrievers.legs.stated`) puts the user's latest statements of the attribute a
  question asks for among the candidates, newest first (a move or a new job wins);
- the answer gate (`graph.semantic_evidence`) reads the stored probabilities of the recalled
  messages (`stated`) instead of embedding their sentences again.

A message that also speaks of a relative or of a wish ("my sister has a cat called Pebble, I
have a dog called Rusty") states of the user no more than its own clauses do
(`text.said_of_user`): the worker classifies those clauses too, in the same model call, and
stores in `own` how likely they state each attribute the whole message states, so the gate
caps the message's labels without embedding anything on the read path. `own` is NULL for
the other messages, and for those labelled before the column existed (session 10): the gate
embeds their own clauses when it reads them, as it did for every such message before.

A classified message stating none of the attributes keeps one `NONE` row, so readers tell it
from a message indexed before labels existed (which the gate still reads by embedding).
Rows go with their message (the foreign key cascades): deleting a thread, archiving it or
forgetting the user takes the labels along. Every statement on the table lives here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from memory.fact_semantics import AttributeClassifier
from memory.message_index import IndexEntry
from storage import batch
from storage.identity import Identity
from storage.search import vector_literal
from storage.tenancy import tenant_connection
from text.acts import statement_sentences
from text.said_of_user import mentions_others, said_of_user

TABLE = "memory_statement_labels"
# Probabilities below this are not stored (the gate reads them as 0: below its demote line).
FLOOR = 0.05
# The one row of a classified message that states no attribute.
NONE = "none"

INSERT = f"""
    INSERT INTO {TABLE} (message_id, attribute, probability, own, tenant_id, user_id, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (message_id, attribute) DO NOTHING
"""
STATED = f"""
    SELECT message_id::text AS id, attribute, probability, own FROM {TABLE}
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s
      AND message_id = ANY(%(ids)s::uuid[])
"""
# The user's newest messages stating one of some attributes, with their cosine similarity to
# the question (so they rank beside the other legs' candidates on one scale).
LATEST = f"""
    SELECT m.langchain_id::text AS id, m.content, m.thread_id, m.role, m.created_at,
           m.langchain_metadata AS extra, l.attribute, l.probability,
           1 - (m.embedding <=> %(vector)s::vector) AS similarity
    FROM {TABLE} l JOIN memory_messages m ON m.langchain_id = l.message_id
    WHERE l.tenant_id = %(tenant_id)s AND l.user_id = %(user_id)s
      AND l.attribute = ANY(%(attributes)s) AND l.probability >= %(floor)s
      AND m.tenant_id = %(tenant_id)s AND m.user_id = %(user_id)s
    ORDER BY l.created_at DESC, l.probability DESC
    LIMIT %(limit)s
"""


@dataclass(frozen=True)
class Stored:
    """The labels stored for some recalled messages, by message row id.

    Attributes:
        held: Per labelled message, how likely it states each attribute (from FLOOR); a
            message stating none maps to an empty dict.
        own: Per labelled message that also speaks of someone else or of a wish, how likely
            its own clauses state each attribute of `held`; absent when not stored (a
            message labelled before `own` existed).
    """

    held: dict[str, dict[str, float]] = field(default_factory=dict)
    own: dict[str, dict[str, float]] = field(default_factory=dict)


def sentences(entries: Sequence[IndexEntry]) -> list[tuple[str, str]]:
    """Return (message row id, sentence) for every statement sentence of the user's messages."""
    return [
        (entry.id, sentence)
        for entry in entries
        if entry.role == "human"
        for sentence in statement_sentences(entry.content)
    ]


def own_sentences(entries: Sequence[IndexEntry]) -> dict[str, list[str]]:
    """Return, per user message that also speaks of someone else, its own clauses' sentences.

    Maybe none ("My pal Jim is a plumber." says nothing of the user): then no attribute of
    the message is the user's.
    """
    return {
        entry.id: statement_sentences(said_of_user(entry.content))
        for entry in entries
        if entry.role == "human" and mentions_others(entry.content)
    }


def classify(
    classifier: AttributeClassifier,
    entries: Sequence[IndexEntry],
    owned: Sequence[tuple[str, str]],
    vectors: Sequence[Sequence[float]],
) -> dict[str, dict[str, float]]:
    """Return, per user message of `entries`, the attributes its sentences state (from FLOOR).

    Args:
        classifier: The attribute classifier of the model that embedded `vectors`.
        entries: A turn's index entries; every user message gets an entry (maybe empty).
        owned: `sentences(entries)`, the (message row id, sentence) pairs `vectors` embed.
        vectors: One vector per pair of `owned`, embedded as stored texts.
    """
    labels: dict[str, dict[str, float]] = {e.id: {} for e in entries if e.role == "human"}
    for message_id in labels:
        mine = [v for (owner, _), v in zip(owned, vectors, strict=True) if owner == message_id]
        stated = classifier.stated(mine)
        labels[message_id] = {a: round(p, 4) for a, p in stated.items() if p >= FLOOR}
    return labels


def classify_own(
    classifier: AttributeClassifier,
    labels: Mapping[str, Mapping[str, float]],
    owned: Mapping[str, Sequence[str]],
    vectors: Sequence[Sequence[float]],
) -> dict[str, dict[str, float]]:
    """Return, per message of `owned`, how likely its own clauses state each of its labels.

    Args:
        classifier: The attribute classifier of the model that embedded `vectors`.
        labels: `classify`'s labels of the same messages.
        owned: `own_sentences(entries)`.
        vectors: One vector per sentence of `owned`, in its order, embedded as stored texts.
    """
    out: dict[str, dict[str, float]] = {}
    at = 0
    for message_id, said in owned.items():
        stated = classifier.stated(vectors[at : at + len(said)])
        at += len(said)
        out[message_id] = {a: round(stated.get(a, 0.0), 4) for a in labels.get(message_id, {})}
    return out


async def insert(
    conn: AsyncConnection,
    ident: Identity,
    entries: Sequence[IndexEntry],
    labels: Mapping[str, Mapping[str, float]],
    own: Mapping[str, Mapping[str, float]],
) -> None:
    """Store `labels` of `entries` (after their message rows), in the caller's transaction.

    `own`: `classify_own`'s probabilities, for the messages that also speak of others.
    """
    when = {e.id: e.created_at for e in entries}
    rows = [
        (
            message_id,
            attribute,
            probability,
            None if message_id not in own else own[message_id].get(attribute, 0.0),
            ident.tenant_id,
            ident.user_id,
            when[message_id],
        )
        for message_id, stated in labels.items()
        for attribute, probability in (stated or {NONE: 1.0}).items()
    ]
    if rows:
        async with conn.cursor() as cur:
            await cur.executemany(INSERT, rows)


async def stated(pool: AsyncConnectionPool, ident: Identity, message_ids: Sequence[str]) -> Stored:
    """Return the stored labels of some of `ident`'s messages, by message row id.

    A message without labels (indexed before they existed, or not the user's) is absent.
    """
    out = Stored()
    if not message_ids:
        return out
    params = {"tenant_id": ident.tenant_id, "user_id": ident.user_id, "ids": list(message_ids)}
    async with tenant_connection(pool, ident.tenant_id) as conn:
        rows = await (await conn.execute(STATED, params)).fetchall()
    for row in rows:
        held = out.held.setdefault(row["id"], {})
        own = None if row["own"] is None else out.own.setdefault(row["id"], {})
        if row["attribute"] != NONE:
            held[row["attribute"]] = float(row["probability"])
            if own is not None:
                own[row["attribute"]] = float(row["own"])
    return out


async def latest_stating(
    pool: AsyncConnectionPool,
    ident: Identity,
    attributes: Sequence[str],
    vector: Sequence[float],
    *,
    floor: float,
    limit: int,
) -> list[dict[str, Any]]:
    """Return `ident`'s newest messages stating one of `attributes` at least `floor` sure.

    Newest first; each row has the message's columns plus `attribute`, `probability` and
    `similarity` (cosine, to `vector`).
    """
    if not attributes:
        return []
    params = {
        "tenant_id": ident.tenant_id,
        "user_id": ident.user_id,
        "attributes": list(attributes),
        "floor": floor,
        "limit": limit,
        "vector": vector_literal(vector),
    }
    return await batch.rows(pool, ident.tenant_id, LATEST, params)
