"""Long-term facts per user, with history, in LangGraph's PostgresStore (pgvector index).

A fact is one attribute of the user ("home", "name", "preference"...) with a value and a
plain sentence that retrieval embeds. Facts come from the user's own messages (extracted by
the configured chat model, or offline from clear self-statements) and from the `remember`
tool. Each carries `valid_from`/`valid_to`: when a single-valued attribute gets a new value,
the old fact is closed (`valid_to`, `superseded_by`) and the new one names it in
`supersedes`. Retrieval sees current facts only; the history stays queryable.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.store.base import Item, PutOp, SearchItem
from langgraph.store.postgres.aio import AsyncPostgresStore
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from configs.prompts import FACTS_PROMPT
from memory.conversation import message_uuid_of
from memory.fact_extraction import ExtractedFact, extract_facts
from storage.identity import Identity
from storage.schema import BUMP_VERSION, MESSAGES_TABLE, user_scope
from storage.tenancy import tenant_connection

logger = logging.getLogger(__name__)

MARK_SUPERSEDED = f"""
    UPDATE {MESSAGES_TABLE}
    SET langchain_metadata = coalesce(langchain_metadata, '{{}}'::jsonb)
                             || jsonb_build_object('superseded_by', %(by)s::text)
    WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s
      AND langchain_id = ANY(%(ids)s::uuid[])
"""

Extractor = Callable[[str], Awaitable[list[ExtractedFact]]]

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


async def offline_extractor(message: str) -> list[ExtractedFact]:
    """Extract clear self-statements in English and Portuguese (no model needed)."""
    return extract_facts(message)


def llm_extractor(model: BaseChatModel) -> Extractor:
    """Return an extractor that asks `model`, falling back to the offline one on any failure."""

    async def extract(message: str) -> list[ExtractedFact]:
        try:
            reply = await model.ainvoke(FACTS_PROMPT.format(message=message))
            text = reply.text.strip().removeprefix("```json").removesuffix("```").strip()
            return [
                ExtractedFact(
                    attribute=str(item["attribute"]).strip().lower(),
                    value=str(item["value"]).strip(),
                    text=str(item["text"]).strip(),
                    single_valued=bool(item.get("single_valued", False)),
                )
                for item in json.loads(text)
                if str(item.get("value", "")).strip() and str(item.get("attribute", "")).strip()
            ]
        except Exception as exc:  # noqa: BLE001 - a bad reply must not lose the offline facts
            logger.warning("fact extraction by the chat model failed, using rules: %r", exc)
            return extract_facts(message)

    return extract


class FactStore:
    """A user's facts: recorded with history, searched by meaning (current ones only)."""

    def __init__(
        self,
        store: AsyncPostgresStore,
        *,
        pool: AsyncConnectionPool,
        extractor: Extractor = offline_extractor,
    ) -> None:
        """Wrap an opened, set-up PostgresStore whose index embeds the `text` field.

        Args:
            store: The store.
            pool: Autocommit pool, to mark superseded messages and bump the memory version.
            extractor: Finds facts in a user message.
        """
        self.store = store
        self._pool = pool
        self._extract = extractor

    async def observe(
        self,
        ident: Identity,
        message: str,
        *,
        message_id: str,
        observed_at: datetime,
        conn: AsyncConnection | None = None,
    ) -> list[str]:
        """Record the facts a user message states; replaying the same message changes nothing.

        Args:
            ident: Whose message it is.
            message: The user's message.
            message_id: Its id (makes replays idempotent).
            observed_at: When the user said it.
            conn: The caller's open transaction, for the memory-version bump (the outbox
                worker's: a second connection would wait on the worker's own row lock).

        Returns:
            Keys of the facts recorded or confirmed.
        """
        keys = []
        for fact in await self._extract(message):
            keys.append(
                await self.record(
                    ident,
                    fact,
                    source_id=message_id,
                    observed_at=observed_at,
                    origin="message",
                    conn=conn,
                )
            )
        return keys

    async def remember(self, ident: Identity, text: str) -> list[str]:
        """Record what the user asked to keep: as typed facts when recognisable, else a note."""
        text = text.strip()
        if not text:
            raise ValueError("a fact needs some text")
        facts = await self._extract(text) or [
            ExtractedFact(attribute="note", value=text, text=text, single_valued=False)
        ]
        now = datetime.now(UTC)
        return [
            await self.record(
                ident, fact, source_id=str(uuid.uuid4()), observed_at=now, origin="remember"
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
        conn: AsyncConnection | None = None,
    ) -> str:
        """Store `fact`, closing the current value of a single-valued attribute it replaces.

        Latest wins by `observed_at`, whatever order facts arrive in: an observation older
        than the current value goes straight into history.

        Returns:
            The key of the fact now holding this value (an existing one if nothing changed).
        """
        ns = facts_namespace(ident)
        key = str(
            uuid.uuid5(
                _FACT_NAMESPACE, f"{fact.attribute}\x1f{fact.value.casefold()}\x1f{source_id}"
            )
        )
        if await self.store.aget(ns, key) is not None:
            return key  # this observation was recorded before (a replayed job)
        current = await self.store.asearch(
            ns, filter={"attribute": fact.attribute, "current": True}, limit=_SAME_ATTRIBUTE_LIMIT
        )
        for item in current:
            if item.value["value"].casefold() == fact.value.casefold():
                return item.key  # already known; its valid_from stays the first time it was said
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
                    closed = {**old.value, "current": False, "valid_to": at, "superseded_by": key}
                    ops.append(PutOp(ns, old.key, closed))
        ops.append(PutOp(ns, key, value))
        await self.store.abatch(ops)
        stated_in = [
            message_uuid_of(old.value["source_id"])
            for old in current
            if value["supersedes"] and old.value.get("origin") == "message"
        ]
        if conn is not None:
            await self._after_change(conn, ident, stated_in, fact.text)
        else:
            async with tenant_connection(self._pool, ident.tenant_id) as own, own.transaction():
                await self._after_change(own, ident, stated_in, fact.text)
        return key

    async def _after_change(
        self, conn: AsyncConnection, ident: Identity, stated_in: list[str], replaced_by: str
    ) -> None:
        if stated_in:
            # The messages that stated the old value now rank below current statements.
            await conn.execute(
                MARK_SUPERSEDED,
                {
                    "tenant_id": ident.tenant_id,
                    "user_id": ident.user_id,
                    "ids": stated_in,
                    "by": replaced_by,
                },
            )
        # Cached retrievals of this user were made without this fact.
        await conn.execute(
            BUMP_VERSION, {"tenant_id": ident.tenant_id, "scope": user_scope(ident.user_id)}
        )

    async def search(self, ident: Identity, query: str, *, limit: int) -> list[SearchItem]:
        """Return the user's current facts closest to `query`, best first (with `score`)."""
        return await self.store.asearch(
            facts_namespace(ident), query=query, filter={"current": True}, limit=limit
        )

    async def history(self, ident: Identity, *, attribute: str | None = None) -> list[Item]:
        """Return the user's facts, current and closed, oldest first (optionally one attribute)."""
        items: list[Item] = []
        offset = 0
        query_filter = {"attribute": attribute} if attribute else None
        while batch := await self.store.asearch(
            facts_namespace(ident), filter=query_filter, limit=100, offset=offset
        ):
            items.extend(batch)
            offset += len(batch)
        return sorted(items, key=lambda item: item.value.get("valid_from", ""))
