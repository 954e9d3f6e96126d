"""What the graph's nodes and tools use, opened once per process and closed in reverse order.

`Resources` holds storage, the embedding model, retrieval and memory: no chat model (each
graph is built with its own, `graph.builder.build_graph`), no API keys or uploads (the HTTP
API opens those beside it). Admin commands open `storage.database.Storage` alone and never
load a model.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractContextManager, AsyncExitStack
from typing import Self

from langchain_core.runnables import RunnableConfig
from langchain_postgres import PGVectorStore
from psycopg_pool import AsyncConnectionPool

from configs.settings import Settings
from graph.routing import SemanticRouter
from graph.tracing import Tracing
from knowledge import chunks
from memory import consent, fact_semantics, retention
from memory.conversation import ConversationMemory
from memory.fact_extractors import Extractor
from memory.facts import FactStore
from memory.forget import Forgetter
from memory.memories import Memories
from memory.outbox import OutboxWorker, running
from retrievers.cache import RetrievalCache
from retrievers.embedders import Embedder
from retrievers.embeddings import (
    VECTOR_TABLES,
    CachedEmbeddings,
    StoredTextEmbeddings,
    build_embedder,
    legacy_model,
)
from retrievers.legs.base import Stores
from retrievers.rerank import Reranker, build_reranker
from retrievers.search import Retriever
from storage import reindex, tenancy
from storage.database import Storage, TenantStore
from storage.identity import Identity, identity_from_config
from storage.schema import store_index
from storage.tenancy import tenant_connection
from text import language

logger = logging.getLogger(__name__)


class Resources:
    """Storage, models and memory shared by every node, tool and request of one process.

    Open with `async with Resources(settings) as res`, or lazily with `await res.open()`
    (what the graph on LangGraph's server does on its first run).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        embeddings: Embedder | None = None,
        worker: Extractor | None = None,
    ) -> None:
        """Record what to open; no I/O happens here.

        Args:
            settings: Process settings.
            embeddings: A model to use instead of the configured one (e.g. one another
                Resources already loaded).
            worker: Run the outbox worker in this process with this fact extractor, if the
                settings say so (`MEMORIA_WORKER=inprocess`); None never runs one.
        """
        self.settings = settings
        self._embeddings_override = embeddings
        self._worker_extractor = worker
        self._stack = AsyncExitStack()
        self._lock = asyncio.Lock()
        self._opened = False
        self._kb: PGVectorStore | None = None
        # Whether this process's own worker indexes the turns it stores (set by `open`).
        self.indexes_own_turns = False

    async def open(self) -> Self:
        """Open everything once; later calls return at once."""
        if self._opened:
            return self
        async with self._lock:
            if not self._opened:
                try:
                    await self._open()
                except BaseException:
                    await self._stack.aclose()
                    raise
                self._opened = True
        return self

    async def _open(self) -> None:
        s = self.settings
        # First in, last out: runs still ending while the rest closes get flushed too.
        self.tracer = Tracing.from_settings(s)
        self._stack.push_async_callback(self.tracer.aclose)
        self.storage = await self._stack.enter_async_context(Storage(s))
        model = self._embeddings_override or build_embedder(s)
        async with tenant_connection(self.pool, tenancy.ALL_TENANTS) as conn:
            await reindex.check_model(
                conn, model.model_id, model.dims, tables=VECTOR_TABLES, legacy=legacy_model(s)
            )
        # Every turn embeds and tells its language: load both now, not on the first request.
        await model.aload()
        await asyncio.to_thread(language.load)
        self.embeddings = CachedEmbeddings(model, speed=self.storage.speed, model_id=model.model_id)
        self.calibration = model.calibration
        # What questions ask and sentences state, by meaning (None: the word rules alone).
        self.attributes = fact_semantics.load(model.name, model.model_id)
        self.conversation = ConversationMemory.from_storage(self.storage, s)
        # The store embeds the facts it stores (as stored texts); questions search them
        # with the turn's own vector (memory/facts.py).
        self.store = TenantStore(
            self.pool,  # type: ignore[arg-type]
            index=store_index(model.dims, model.aembed_documents),
        )
        self.facts = FactStore(self.store, pool=self.pool)
        self.memories = Memories(self.facts, pool=self.pool)
        self.retrieval_cache = RetrievalCache(
            self.storage.speed, ttl_s=s.memoria_retrieval_cache_ttl_s
        )
        stores = Stores(
            self.pool,
            self.conversation,
            self.facts,
            s.memoria_hot_window_messages,
            attributes=self.attributes,
        )
        self.retriever = Retriever(stores=stores, embeddings=self.embeddings)
        self.forgetter = Forgetter(
            pool=self.pool,
            conversation=self.conversation,
            caches=[self.retrieval_cache, self.embeddings],
        )
        self.retention = retention.Retention(
            pool=self.pool, forgetter=self.forgetter, policy=s.privacy
        )
        self.reranker: Reranker = build_reranker(s)
        self.router = await SemanticRouter.load(self.embeddings, model.calibration)
        worker = "off"
        if self._worker_extractor is not None and s.memoria_worker == "inprocess":
            worker_ = self.outbox_worker(self._worker_extractor)
            await self._stack.enter_async_context(running(worker_))
            await self._stack.enter_async_context(
                retention.running(self.retention, s.memoria_retention_interval_s)
            )
            worker = f"in-process ({self._worker_extractor.name} facts)"
            self.indexes_own_turns = True
        logger.info(
            "memoria resources ready: postgres=%s redis=%s reranker=%s worker=%s tracing=%s",
            "external" if s.database_url else "embedded",
            "external" if s.redis_url else "embedded",
            self.reranker.name,
            worker,
            self.tracer.describe(),
        )

    async def knowledge_base(self) -> PGVectorStore:
        """Return the vector store knowledge-base chunks are written through (built once)."""
        if self._kb is None:
            self._kb = await chunks.vector_store(self.storage.engine, self.embeddings)
        return self._kb

    @property
    def pool(self) -> AsyncConnectionPool:
        """The autocommit pool (dict rows) every store queries through."""
        return self.storage.pool

    def outbox_worker(self, extractor: Extractor) -> OutboxWorker:
        """Return a worker that drains the outbox with `extractor` finding facts."""
        # Message views are embedded by the model, so no user's text lands in the shared
        # embedding cache; a user message's vector its turn already made is reused.
        return OutboxWorker(
            pool=self.pool,
            embeddings=StoredTextEmbeddings(self.embeddings),
            facts=self.facts,
            extractor=extractor,
            listen_conninfo=self.storage.app_url,
            attributes=self.attributes,
        )

    def tracing(self) -> AbstractContextManager[None]:
        """Trace the runs started inside to LangSmith when configured, and never otherwise."""
        return self.tracer.context()

    async def consent(self, ident: Identity) -> consent.Consent:
        """Return the user's consent in force: their own choice, else their tenant's default."""
        default = self.settings.privacy(ident.tenant_id).memory
        return await consent.in_force(self.pool, ident.tenant_id, ident.user_id, default)

    def identity(self, config: RunnableConfig) -> Identity:
        """Return the validated identity of a run (tenant, user, thread) from its config.

        On LangGraph's server with memoria's auth, tenant and user are the authenticated ones.
        The calling task (a node, a tool) is bound to that tenant and user from here on: its
        database sessions see that tenant's rows, and that user's content, only
        (storage/tenancy.py).
        """
        ident = identity_from_config(
            config,
            default_tenant=self.settings.memoria_default_tenant,
            default_user=self.settings.memoria_dev_user,
        )
        tenancy.bind_tenant(ident.tenant_id)
        tenancy.bind_user(ident.tenant_id, ident.user_id)
        return ident

    async def aclose(self) -> None:
        """Close everything opened, in reverse order."""
        await self._stack.aclose()
        self._opened = False

    async def __aenter__(self) -> Self:
        """Open and return self."""
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        """Close everything."""
        await self.aclose()
