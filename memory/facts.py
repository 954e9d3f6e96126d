"""Long-term facts per user, with history, in LangGraph's PostgresStore (pgvector index).

A fact is one attribute of the user ("home", "name", "preference"...) with a value and a
plain sentence that retrieval embeds. Facts come from the user's own messages (extracted by
the configured chat model, or offline from clear self-statements) and from the `remember`
tool. Each carries `valid_from`/`valid_to`: when a single-valued attribute gets a new value,
the old fact is closed (`valid_to`, `superseded_by`) and the new one names it in
`supersedes`. Retrieval sees current facts only; the history stays queryable.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from langgraph.store.base import Item, PutOp
from langgraph.store.postgres.aio import AsyncPostgresStore
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from memory import fact_statements, message_index
from memory.fact_endings import close_ended
from memory.fact_extraction import ExtractedFact
from memory.fact_extractors import Extractor
from memory.messages import message_uuid_of
from storage.identity import Identity
from storage.reindex import Reindexable
from storage.search import vector_literal
from storage.tenancy import tenant_connection, tenant_scope
from storage.versions import bump_user
from text.words import fold

logger = logging.getLogger(__name__)

# Facts are rows of LangGraph's store table; its `prefix` is the namespace joined by ".".
DELETE_NAMESPACE = "DELETE FROM store WHERE prefix = %s"
DELETE_STATED_IN_THREAD = "DELETE FROM store WHERE prefix = %s AND value->>'thread_id' = %s"
# A user's current facts nearest to a question's vector (the store's own search would embed the
# question as a stored text: wrong for models that embed questions differently).
NEAREST_CURRENT = """
    SELECT s.key, s.value, 1 - (v.embedding <=> %(vector)s::vector) AS score
    FROM store_vectors v JOIN store s ON s.prefix = v.prefix AND s.key = v.key
    WHERE v.prefix = %(prefix)s AND s.value->>'current' = 'true'
    ORDER BY v.embedding <=> %(vector)s::vector
    LIMIT %(limit)s
"""
# What `memoria reindex` re-embeds: each fact's sentence (the store's indexed field). The
# tenant is the namespace's second label, escaped as `facts_namespace` does.
REINDEX = Reindexable(
    table="store_vectors",
    key=("prefix", "key", "field_name"),
    text="(SELECT s.value->>'text' FROM store s"
    " WHERE s.prefix = store_vectors.prefix AND s.key = store_vectors.key)",
    tenant="replace(replace(split_part(prefix, '.', 2), '%%2E', '.'), '%%25', '%%')",
    index="store_vectors_embedding_idx",
)
DELETE_CLOSED_BEFORE = """
    DELETE FROM store WHERE prefix LIKE 'facts.%%'
      AND value->>'current' = 'false'
      AND (value->>'valid_to')::timestamptz < now() - make_interval(days => %s)
"""

_FACT_NAMESPACE = uuid.UUID("0b7f4a52-53c4-4a8e-9d3e-3f1f0c6a9e21")
# Current facts of one attribute looked at when a new value arrives (a handful in practice).
_SAME_ATTRIBUTE_LIMIT = 50


def facts_namespace(ident: Identity) -> tuple[str, ...]:
    """Return the store namespace of `ident`'s user's facts (shared by all their threads).

    PostgresStore joins namespace labels with "." and ids may contain ".", so "." is escaped:
    tenant "a.b" with user "c" and tenant "a" with user "b.c" must never share a namespace.
    """
    return ("facts", _label(ident.tenant_id), _label(ident.user_id))


def _label(value: str) -> str:
    return value.replace("%", "%25").replace(".", "%2E")


def _names(sentence: str, value: str) -> bool:
    """Return whether `sentence` holds `value` as whole words (accents and case folded)."""
    return bool(value) and re.search(rf"\b{re.escape(fold(value))}\b", fold(sentence)) is not None


def _rules_hold(fact: ExtractedFact, origin: str, current: Sequence[Item]) -> str | None:
    """Return the key of a current fact a statement fact of one value at a time must not end.

    The classifier's reading of a sentence ("A partir de setembro estou no Jardim Escola…"
    read as a move) is less sure than a rule's: a statement fact replaces only what another
    statement said, and waits while a fact the rules (or an LLM, or the user) recorded holds.
    """
    if origin != fact_statements.ORIGIN or not fact.single_valued:
        return None
    held = [item for item in current if item.value.get("origin") != fact_statements.ORIGIN]
    return held[0].key if held else None


class FactStore:
    """A user's facts: recorded with history, searched by meaning (current ones only)."""

    def __init__(self, store: AsyncPostgresStore, *, pool: AsyncConnectionPool) -> None:
        """Wrap an opened, set-up PostgresStore whose index embeds the `text` field.

        Args:
            store: The store.
            pool: Autocommit pool, to mark superseded messages and bump the memory version.
        """
        self.store = store
        self._pool = pool

    async def observe(
        self,
        ident: Identity,
        message: str,
        *,
        extractor: Extractor,
        message_id: str,
        observed_at: datetime,
        conn: AsyncConnection | None = None,
        stated: Sequence[ExtractedFact] = (),
    ) -> list[str]:
        """Record the facts a user message states; replaying the same message changes nothing.

        Args:
            ident: Whose message it is.
            message: The user's message.
            extractor: Finds the facts; each records its name.
            message_id: Its id (makes replays idempotent).
            observed_at: When the user said it.
            conn: The caller's open transaction, for the memory-version bump (the outbox
                worker's: a second connection would wait on the worker's own row lock).
            stated: Facts the attribute classifier is sure the message's sentences state
                (`memory.fact_statements`); kept for attributes the extractor found nothing of.

        Returns:
            Keys of the facts recorded or confirmed, and of the pets and partners it ends.
        """
        keys = []
        extracted = await extractor.extract(message)
        found = [(f, "message") for f in extracted]
        found += [(f, fact_statements.ORIGIN) for f in fact_statements.unread(stated, extracted)]
        for fact, origin in found:
            keys.append(
                await self.record(
                    ident,
                    fact,
                    source_id=message_id,
                    observed_at=observed_at,
                    origin=origin,
                    extractor=extractor.name,
                    conn=conn,
                )
            )
        with tenant_scope(ident.tenant_id):
            gone = await close_ended(self.store, facts_namespace(ident), message, observed_at)
        if gone:
            keys += gone
            if conn is not None:
                await bump_user(conn, ident.tenant_id, ident.user_id)
            else:
                async with tenant_connection(self._pool, ident.tenant_id) as own:
                    await bump_user(own, ident.tenant_id, ident.user_id)
        if keys:
            logger.info(
                "facts recorded",
                extra={**ident.as_dict(), "facts": len(keys), "extractor": extractor.name},
            )
        return keys

    async def remember(self, ident: Identity, text: str, *, extractor: Extractor) -> list[str]:
        """Record what the user asked to keep: as typed facts when recognisable, else a note."""
        text = text.strip()
        if not text:
            raise ValueError("a fact needs some text")
        facts = await extractor.extract(text) or [
            ExtractedFact(attribute="note", value=text, text=text, single_valued=False)
        ]
        now = datetime.now(UTC)
        return [
            await self.record(
                ident,
                fact,
                source_id=str(uuid.uuid4()),
                observed_at=now,
                origin="remember",
                extractor=extractor.name,
            )
            for fact in facts
        ]

    async def record(
        self,
        ident: Identity,
        fact: ExtractedFact,
        *,
        source_id: str,
        observed_at: datetime,
        origin: str,
        extractor: str,
        conn: AsyncConnection | None = None,
    ) -> str:
        """Store `fact`, closing the current value of a single-valued attribute it replaces.

        Latest wins by `observed_at`, whatever order facts arrive in: an observation older
        than the current value goes straight into history.

        Returns:
            The key of the fact now holding this value (an existing one if nothing changed).
        """
        # The store runs in this task, whose sessions may write this tenant's facts only.
        with tenant_scope(ident.tenant_id):
            ns = facts_namespace(ident)
            key = str(
                uuid.uuid5(
                    _FACT_NAMESPACE, f"{fact.attribute}\x1f{fact.value.casefold()}\x1f{source_id}"
                )
            )
            if await self.store.aget(ns, key) is not None:
                return key  # this observation was recorded before (a replayed job)
            current = await self.store.asearch(
                ns,
                filter={"attribute": fact.attribute, "current": True},
                limit=_SAME_ATTRIBUTE_LIMIT,
            )
            for item in current:
                held = item.value["value"].casefold()
                # A statement naming the current value again ("IT at Halden blocks
                # everything") confirms it; it does not replace it.
                if held == fact.value.casefold() or (
                    origin == fact_statements.ORIGIN and _names(fact.value, held)
                ):
                    return (
                        item.key
                    )  # already known; its valid_from stays the first time it was said
            if by_rules := _rules_hold(fact, origin, current):
                return by_rules  # the rules read this attribute: a guess does not replace them
            at = observed_at.astimezone(UTC).isoformat()
            value: dict[str, Any] = {
                "text": fact.text,
                "attribute": fact.attribute,
                "value": fact.value,
                "single_valued": fact.single_valued,
                "current": True,
                "valid_from": at,
                "valid_to": None,
                "supersedes": None,
                "superseded_by": None,
                "thread_id": ident.thread_id,
                "source_id": source_id,
                "origin": origin,
                "extractor": extractor,
            }
            ops = []
            if fact.single_valued and current:
                newest = max(current, key=lambda item: item.value["valid_from"])
                if newest.value["valid_from"] > at:
                    value.update(current=False, valid_to=newest.value["valid_from"])
                    value["superseded_by"] = newest.key
                else:
                    value["supersedes"] = newest.key
                    for old in current:
                        closed = {
                            **old.value,
                            "current": False,
                            "valid_to": at,
                            "superseded_by": key,
                        }
                        ops.append(PutOp(ns, old.key, closed))
            ops.append(PutOp(ns, key, value))
            await self.store.abatch(ops)
            stated_in = [
                message_uuid_of(old.value["source_id"])
                for old in current
                if value["supersedes"]
                and old.value.get("origin") == "message"
                and not await self._still_states(ns, old.value["source_id"], fact.attribute)
            ]
            if conn is not None:
                await self._after_change(conn, ident, stated_in, fact.text)
            else:
                async with tenant_connection(self._pool, ident.tenant_id) as own, own.transaction():
                    await self._after_change(own, ident, stated_in, fact.text)
            return key

    async def _still_states(self, ns: tuple[str, ...], source_id: str, replaced: str) -> bool:
        """Return whether a message is the source of a fact of another attribute that holds.

        "Hi, Porto here, and I'm allergic to penicillin" stays evidence of the allergy after
        the user moves: only a message whose other facts were all replaced ranks below
        current statements (the current fact of the attribute asked still goes first).
        """
        held = await self.store.asearch(
            ns, filter={"source_id": source_id, "current": True}, limit=_SAME_ATTRIBUTE_LIMIT
        )
        return any(item.value["attribute"] != replaced for item in held)

    async def _after_change(
        self, conn: AsyncConnection, ident: Identity, stated_in: list[str], replaced_by: str
    ) -> None:
        # The messages that stated the old value now rank below current statements.
        await message_index.mark_superseded(conn, ident, stated_in, replaced_by)
        # Cached retrievals of this user were made without this fact.
        await bump_user(conn, ident.tenant_id, ident.user_id)

    async def search(
        self, ident: Identity, vector: Sequence[float], *, limit: int
    ) -> list[dict[str, Any]]:
        """Return the user's current facts closest to a question's `vector`, best first.

        Each row has the fact's `key`, `value` and cosine `score`.
        """
        params = {
            "prefix": ".".join(facts_namespace(ident)),
            "vector": vector_literal(vector),
            "limit": limit,
        }
        async with tenant_connection(self._pool, ident.tenant_id) as conn:
            return await (await conn.execute(NEAREST_CURRENT, params)).fetchall()

    async def history(self, ident: Identity, *, attribute: str | None = None) -> list[Item]:
        """Return the user's facts, current and closed, oldest first (optionally one attribute)."""
        items: list[Item] = []
        offset = 0
        query_filter = {"attribute": attribute} if attribute else None
        # The store runs in this task, whose sessions see this tenant's facts only.
        with tenant_scope(ident.tenant_id):
            while batch := await self.store.asearch(
                facts_namespace(ident), filter=query_filter, limit=100, offset=offset
            ):
                items.extend(batch)
                offset += len(batch)
        return sorted(items, key=lambda item: item.value.get("valid_from", ""))


async def delete_user(conn: AsyncConnection, tenant_id: str, user_id: str) -> int:
    """Delete every fact of a user, current and closed; return how many went."""
    prefix = ".".join(facts_namespace(Identity(tenant_id, user_id, "-")))
    return (await conn.execute(DELETE_NAMESPACE, (prefix,))).rowcount


async def delete_stated_in_thread(conn: AsyncConnection, ident: Identity) -> int:
    """Delete the facts first stated in `ident`'s thread; return how many went."""
    prefix = ".".join(facts_namespace(ident))
    return (await conn.execute(DELETE_STATED_IN_THREAD, (prefix, ident.thread_id))).rowcount


async def delete_closed_before(conn: AsyncConnection, days: int) -> int:
    """Delete every tenant's fact history closed more than `days` days ago."""
    return (await conn.execute(DELETE_CLOSED_BEFORE, (days,))).rowcount
