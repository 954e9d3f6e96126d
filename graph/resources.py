"""Every long-lived client the graph needs, opened once and closed in reverse order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import AbstractContextManager, AsyncExitStack
from functools import lru_cache
from pathlib import Path
from typing import Any, Self

import sqlalchemy
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langchain_postgres import PGEngine, PGVectorStore
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.store.postgres.aio import AsyncPostgresStore
from langsmith import Client as LangSmithClient
from langsmith.run_helpers import tracing_context
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.ext.asyncio import create_async_engine

from access.api_keys import ApiKeys, KeyGate
from access.ratelimit import RateLimiter, parse_limit
from configs.settings import Settings, get_settings
from knowledge.documents import DocumentLibrary
from memory.conversation import ConversationMemory
from memory.facts import FactStore, llm_extractor, offline_extractor
from memory.forget import Forgetter
from memory.outbox import OutboxWorker
from retrievers.cache import RetrievalCache
from retrievers.embeddings import CachedEmbeddings, load_embeddings
from retrievers.rerank import CohereReranker, LocalReranker, Reranker
from retrievers.search import FILTERED_HNSW_OPTIONS, Retriever
from storage import tenancy
from storage.identity import Identity, identity_from_config
from storage.pool import FailFastPool, check_if_suspect
from storage.schema import KB_TABLE, setup
from storage.services import ServiceURLs, resolve_service_urls
from storage.speed import SpeedLayer, connect_redis

logger = logging.getLogger(__name__)

# A Postgres host that does not answer must not hold a connection attempt for minutes.
CONNECT_TIMEOUT_S = 5
# How long a pool keeps retrying one lost connection before it gives up (see `_open_pool`).
RECONNECT_TIMEOUT_S = 5.0
# On shutdown, how long to wait for traces still queued for LangSmith before dropping them.
TRACE_FLUSH_TIMEOUT_S = 10.0

KB_METADATA_COLUMNS = ["tenant_id", "doc_id", "source", "title", "chunk_index"]


def sqlalchemy_url(database_url: str) -> str:
    """Return `database_url` with the psycopg driver SQLAlchemy needs."""
    scheme, _, rest = database_url.partition("://")
    if scheme not in ("postgres", "postgresql", "postgresql+psycopg"):
        raise ValueError(f"DATABASE_URL must be a postgresql:// URI, got scheme {scheme!r}")
    return f"postgresql+psycopg://{rest}"


def _bind_tenant_on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """Set a SQLAlchemy connection's session to the calling task's tenant (memory/tenancy.py).

    PGVectorStore writes chunks through SQLAlchemy; this is FailFastPool's binding for it.
    """
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(tenancy.SET_SESSION_TENANT, (tenancy.current_scope(),))
    finally:
        cursor.close()
    dbapi_conn.commit()


def build_chat_model(settings: Settings) -> BaseChatModel | None:
    """Return the configured OpenAI-compatible chat model, or None for the offline responder."""
    if not settings.chat_model_configured:
        return None
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.memoria_chat_model,
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key or "not-needed",
        timeout=settings.memoria_llm_timeout_s,
        max_retries=2,
    )


def build_langsmith_client(settings: Settings) -> LangSmithClient | None:
    """Return the LangSmith client turns are traced with, or None when tracing is off."""
    if settings.tracing_enabled:
        assert settings.langsmith_api_key is not None  # tracing_enabled checks it
        return LangSmithClient(
            api_url=settings.langsmith_endpoint,
            api_key=settings.langsmith_api_key.get_secret_value(),
        )
    if settings.langsmith_tracing:
        logger.warning("LANGSMITH_TRACING is true but LANGSMITH_API_KEY is unset: not tracing")
    return None


def build_reranker(settings: Settings) -> Reranker:
    """Return Cohere Rerank when a key is set, else the local scorer."""
    if settings.cohere_api_key:
        return CohereReranker(settings.cohere_api_key, settings.memoria_cohere_rerank_model)
    return LocalReranker()


class Resources:
    """Pools, stores and models shared by every node, tool and request of one process.

    Open with `async with Resources(settings) as res`, or lazily with `await res.open()`
    (what the module-level graph for LangGraph Studio does on its first run).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        chat_model: BaseChatModel | None = None,
        embeddings: Embeddings | None = None,
        use_default_chat_model: bool = True,
    ) -> None:
        """Record what to open; no I/O happens here.

        Args:
            settings: Process settings.
            chat_model: A chat model to use instead of the configured one (tests, embedding apps).
            embeddings: Embeddings to use instead of the bundled model.
            use_default_chat_model: When False and no `chat_model` is given, run offline even if
                an endpoint is configured.
        """
        self.settings = settings
        self._chat_model_override = chat_model
        self._use_default_chat_model = use_default_chat_model
        self._embeddings_override = embeddings
        self._stack = AsyncExitStack()
        self._lock = asyncio.Lock()
        self._opened = False
        self.langsmith: LangSmithClient | None = None

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
        self.langsmith = build_langsmith_client(s)
        if self.langsmith is not None:
            self._stack.push_async_callback(
                asyncio.to_thread, self.langsmith.close, timeout=TRACE_FLUSH_TIMEOUT_S
            )
        self.urls: ServiceURLs = await asyncio.to_thread(
            resolve_service_urls,
            s.database_url,
            s.redis_url,
            s.memoria_data_dir,
            s.memoria_redis_port,
        )
        self.redis = connect_redis(self.urls.redis_url)
        self._stack.push_async_callback(self.redis.aclose)
        self.speed = SpeedLayer(self.redis)
        self._stack.push_async_callback(self.speed.settle)  # Before the client closes.
        model = self._embeddings_override or await asyncio.to_thread(
            load_embeddings, s.memoria_embedding_model_path, s.memoria_embedding_quantize
        )
        model_path = s.memoria_embedding_model_path or "all-MiniLM-L6-v2"
        precision = (
            "" if s.memoria_embedding_quantize == "none" else f"-{s.memoria_embedding_quantize}"
        )
        self.embeddings = CachedEmbeddings(
            model,
            speed=self.speed,
            model_id=f"{Path(model_path).name}{precision}:{s.memoria_embedding_dims}",
        )
        embeddings = self.embeddings

        async def embed_for_store(texts: list[str]) -> list[list[float]]:
            # PostgresStore embeds search queries as documents; for a symmetric model like
            # all-MiniLM-L6-v2 the vectors are the same, and this way the turn's question
            # comes from the query cache instead of a second pass through the model.
            return [await embeddings.aembed_query(text) for text in texts]

        store_index = {
            "dims": s.memoria_embedding_dims,
            "embed": embed_for_store,
            "fields": ["text"],
        }
        # Tables are created and migrated as the connecting user; the pools then act as a
        # role row-level security applies to, if that user would bypass it (memory/tenancy.py).
        app_role = await self._migrate(store_index)
        session = f"-c role={app_role}" if app_role else ""
        self.pool = await self._open_pool(
            autocommit=True,
            prepare_threshold=0,
            row_factory=dict_row,
            options=f"{FILTERED_HNSW_OPTIONS} {session}",
        )
        # langchain-postgres's chat history reads rows by position and commits itself.
        self.history_pool = await self._open_pool(options=session)

        self.api_keys = ApiKeys(self.pool)
        self.key_gate = KeyGate(self.api_keys, s.memoria_auth)
        self.rate_limiter = RateLimiter(self.speed)
        self.key_limit = parse_limit(s.memoria_rate_limit_per_key)
        self.user_limit = parse_limit(s.memoria_rate_limit_per_user)
        self.checkpointer = AsyncPostgresSaver(self.pool)  # type: ignore[arg-type]
        self.store = AsyncPostgresStore(self.pool, index=store_index)  # type: ignore[arg-type]

        engine = create_async_engine(
            sqlalchemy_url(self.urls.database_url),
            pool_pre_ping=True,
            pool_timeout=s.pool_timeout_s,
            # pgvector settings for filtered HNSW scans, set once per connection rather
            # than by two SET LOCAL round trips before every search.
            connect_args={
                "options": f"{FILTERED_HNSW_OPTIONS} {session}",
                "connect_timeout": CONNECT_TIMEOUT_S,
            },
        )
        sqlalchemy.event.listen(engine.sync_engine, "checkout", _bind_tenant_on_checkout)
        self.engine = PGEngine.from_engine(engine)
        self._stack.push_async_callback(self.engine.close)
        self.kb = await self._vector_store(KB_TABLE, KB_METADATA_COLUMNS)
        self.documents = DocumentLibrary(pool=self.pool, kb=self.kb)
        await self.documents.abandon_stale_jobs()
        self._stack.push_async_callback(self.documents.aclose)

        self.conversation = ConversationMemory(
            pool=self.pool,
            history_pool=self.history_pool,
            speed=self.speed,
            hot_window=s.memoria_hot_window_messages,
            hot_window_ttl_s=s.memoria_hot_window_ttl_s,
        )
        self.chat_model = self._chat_model_override or (
            build_chat_model(s) if self._use_default_chat_model else None
        )
        self.facts = FactStore(
            self.store,
            pool=self.pool,
            extractor=llm_extractor(self.chat_model) if self.chat_model else offline_extractor,
        )
        self.retrieval_cache = RetrievalCache(self.speed, ttl_s=s.memoria_retrieval_cache_ttl_s)
        # Message views are embedded once, by the worker: straight to the model, so no
        # user's text lands in the shared embedding cache.
        self.worker = OutboxWorker(
            pool=self.pool,
            embeddings=model,
            facts=self.facts,
            listen_conninfo=self.urls.database_url,
        )
        self.retriever = Retriever(
            pool=self.pool,
            embeddings=self.embeddings,
            conversation=self.conversation,
            facts=self.facts,
            recent_window=s.memoria_hot_window_messages,
        )
        self.forgetter = Forgetter(
            pool=self.pool,
            conversation=self.conversation,
            retrieval_cache=self.retrieval_cache,
            embeddings=self.embeddings,
        )
        self.reranker = build_reranker(s)
        from graph.nodes.router import SemanticRouter

        self.router = await SemanticRouter.load(self.embeddings)
        if s.memoria_worker == "inprocess":
            self._start_worker()
        logger.info(
            "memoria resources ready: postgres=%s redis=%s chat_model=%s reranker=%s worker=%s "
            "tracing=%s",
            "external" if s.database_url else "embedded",
            "external" if s.redis_url else "embedded",
            type(self.chat_model).__name__ if self.chat_model else "offline extractive",
            self.reranker.name,
            s.memoria_worker,
            f"langsmith ({self.langsmith.api_url})" if self.langsmith else "off",
        )

    async def _migrate(self, store_index: Any) -> str | None:
        """Create or migrate every table as the connecting user; return the role to act as."""
        async with await AsyncConnection.connect(
            self.urls.database_url,
            autocommit=True,
            row_factory=dict_row,
            connect_timeout=CONNECT_TIMEOUT_S,
        ) as owner:
            # Migrations that move data work across tenants.
            await owner.execute(tenancy.SET_SESSION_TENANT, (tenancy.ALL_TENANTS,))
            await setup(owner, dims=self.settings.memoria_embedding_dims)
            await AsyncPostgresSaver(owner).setup()
            await AsyncPostgresStore(owner, index=store_index).setup()
            return await tenancy.app_role(owner)

    async def _open_pool(self, **kwargs: Any) -> AsyncConnectionPool:
        """Open a pool that turns a Postgres outage into quick errors and heals after it."""
        s = self.settings
        pool = FailFastPool(
            self.urls.database_url,
            min_size=1,
            max_size=s.pool_max_size,
            kwargs={**kwargs, "connect_timeout": CONNECT_TIMEOUT_S},
            # After a restart every pooled connection is dead: checking each one as it
            # leaves the pool replaces it instead of failing a request.
            check=check_if_suspect,
            # While Postgres is down the first request waits this long for a connection, the
            # next ones a moment (FailFastPool), then they get 503.
            timeout=s.pool_timeout_s,
            # psycopg_pool doubles the delay between reconnection attempts until it gives up;
            # giving up early (the next request starts afresh) keeps that delay, and so the
            # time from Postgres being back to requests succeeding, to a second or two.
            reconnect_timeout=RECONNECT_TIMEOUT_S,
            open=False,
        )
        await pool.open(wait=True, timeout=30)
        self._stack.push_async_callback(pool.close)
        return pool

    def _start_worker(self) -> None:
        task = asyncio.create_task(self.worker.run_forever(), name="memoria-outbox-worker")

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        # Stopped before the pools it uses close (the stack unwinds in reverse).
        self._stack.push_async_callback(stop)

    async def _vector_store(self, table: str, columns: list[str]) -> PGVectorStore:
        return await PGVectorStore.create(
            self.engine,
            self.embeddings,
            table,
            metadata_columns=columns,
        )

    def tracing(self) -> AbstractContextManager[None]:
        """Trace the runs started inside to LangSmith when configured, and never otherwise.

        Explicit both ways, so the settings decide rather than whatever LANGSMITH_* variables
        the process environment holds (a key in `.env` is not in the environment).
        """
        return tracing_context(
            enabled=self.langsmith is not None,
            client=self.langsmith,
            project_name=self.settings.langsmith_project if self.langsmith else None,
        )

    def identity(self, config: RunnableConfig) -> Identity:
        """Return the validated identity of a run (tenant, user, thread) from its config.

        On LangGraph's server with memoria's auth, tenant and user are the authenticated ones.
        The calling task (a node, a tool) is bound to that tenant from here on: its
        database sessions see that tenant's rows only (memory/tenancy.py).
        """
        ident = identity_from_config(
            config,
            default_tenant=self.settings.memoria_default_tenant,
            default_user=self.settings.memoria_dev_user,
        )
        tenancy.bind_tenant(ident.tenant_id)
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


@lru_cache
def server_resources() -> Resources:
    """Return the Resources of a LangGraph server process (`langgraph dev`, LangGraph Platform).

    The server loads langgraph.json's graph and auth files as separate modules; both take their
    pools from here, so a process opens one set. Nothing opens until the first request or run.
    """
    return Resources(get_settings())
