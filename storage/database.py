"""The storage one process opens: Postgres (migrated, then pooled as the app role) and Redis.

`Storage` is the bottom of every process: the API server, the LangGraph server, workers and
admin commands all open one, and nothing in it loads a model. Its pools turn a Postgres outage
into quick errors and heal afterwards; its Redis client is wrapped in the speed layer, whose
failures cost speed, never a request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, AsyncExitStack, asynccontextmanager, nullcontext
from typing import Any, Self
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import sqlalchemy
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import CheckpointTuple
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.store.base import BaseStore
from langgraph.store.postgres.aio import AsyncPostgresStore
from psycopg import AsyncConnection, AsyncCursor, OperationalError
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from configs.settings import Settings
from storage import tenancy
from storage.identity import authenticated_scope
from storage.pool import FailFastPool, check_if_suspect, configure_connection
from storage.schema import setup
from storage.services import ServiceURLs, resolve_service_urls
from storage.speed import SpeedLayer, connect_redis

logger = logging.getLogger(__name__)

# A Postgres host that does not answer must not hold a connection attempt for minutes.
CONNECT_TIMEOUT_S = 5
# How long a pool keeps retrying one lost connection before it gives up (see `_open_pool`).
RECONNECT_TIMEOUT_S = 5.0
# pgvector settings for the dense searches, as libpq startup options. Without iterative scans,
# HNSW returns the `ef_search` nearest rows of the whole table and filters by tenant and user
# afterwards, so a user sharing a table with many others would get too few rows back.
FILTERED_HNSW_OPTIONS = "-c hnsw.ef_search=100 -c hnsw.iterative_scan=relaxed_order"


def sqlalchemy_url(database_url: str) -> str:
    """Return `database_url` with the psycopg driver SQLAlchemy needs."""
    scheme, _, rest = database_url.partition("://")
    if scheme not in ("postgres", "postgresql", "postgresql+psycopg"):
        raise ValueError(f"DATABASE_URL must be a postgresql:// URI, got scheme {scheme!r}")
    return f"postgresql+psycopg://{rest}"


def login_as(database_url: str, user: str) -> str:
    """Return `database_url` logging in as `user`, with no password (the server decides).

    The embedded Postgres trusts logins on its unix socket, which lives in its private data
    directory; other servers may ask a password, and `MEMORIA_APP_DATABASE_URL` gives one.
    """
    parts = urlsplit(database_url)
    host = parts.netloc.rpartition("@")[2]
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("user", "password")]
    return urlunsplit(
        parts._replace(netloc=f"{quote(user, safe='')}@{host}", query=urlencode(query, safe="/"))
    )


def _bind_tenant_on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """Set a SQLAlchemy connection's session to the calling task's tenant (storage/tenancy.py).

    PGVectorStore writes chunks through SQLAlchemy; this is FailFastPool's binding for it.
    """
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(tenancy.SET_SESSION_TENANT, (tenancy.current_scope(),))
    finally:
        cursor.close()
    dbapi_conn.commit()


class TenantSaver(AsyncPostgresSaver):
    """LangGraph's Postgres saver, each call bound to its run's tenant when the task has none.

    Checkpoints are under row-level security (storage/tenancy.py): a run started outside a
    request (a test, a script invoking the graph) is bound to the tenant its config names,
    as its nodes are. A task already bound (an HTTP request) keeps its own tenant.
    """

    def __init__(self, conn: Any, *, default_tenant: str) -> None:
        """Save through `conn` (a pool); `default_tenant` when a config names none."""
        super().__init__(conn)
        self.default_tenant = default_tenant

    @asynccontextmanager
    async def _cursor(self, *, pipeline: bool = False) -> AsyncIterator[AsyncCursor[DictRow]]:
        """Yield a cursor on a pooled connection of its own, without the saver's process lock.

        LangGraph's saver runs every operation under one asyncio lock, which a saver sharing
        one connection needs; from a pool each operation has its own connection, and the lock
        only made concurrent turns queue for each other's checkpoint round trips.
        """
        if not isinstance(self.conn, AsyncConnectionPool):
            async with super()._cursor(pipeline=pipeline) as cur:
                yield cur
            return
        async with self.conn.connection() as conn:
            if pipeline:
                async with conn.pipeline(), conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur
            else:
                async with conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur

    def _bound(self, config: RunnableConfig) -> AbstractContextManager[None]:
        if tenancy.current_scope():
            return nullcontext()
        scope = authenticated_scope(config)
        configured = (config.get("configurable") or {}).get("tenant_id")
        tenant = scope[0] if scope else configured or self.default_tenant
        return tenancy.tenant_scope(str(tenant))

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Return a checkpoint of the run's tenant."""
        with self._bound(config):
            return await super().aget_tuple(config)

    async def alist(  # type: ignore[override]
        self, config: RunnableConfig | None, **kwargs: Any
    ) -> AsyncIterator[CheckpointTuple]:
        """List checkpoints of the run's tenant."""
        with self._bound(config or {}):
            async for item in super().alist(config, **kwargs):
                yield item

    async def aput(self, config: RunnableConfig, *args: Any, **kwargs: Any) -> RunnableConfig:
        """Save a checkpoint as the run's tenant's."""
        with self._bound(config):
            return await super().aput(config, *args, **kwargs)

    async def aput_writes(self, config: RunnableConfig, *args: Any, **kwargs: Any) -> None:
        """Save pending writes as the run's tenant's."""
        with self._bound(config):
            await super().aput_writes(config, *args, **kwargs)


class TenantStore(AsyncPostgresStore):
    """LangGraph's Postgres store (facts), each operation run in its caller's task.

    The store batches operations in one background task, whose tenant is whoever opened it,
    and mixes callers' operations in a batch; under row-level security (storage/tenancy.py)
    each operation must run as its caller's tenant, so it runs in the caller's task.
    """

    aget = BaseStore.aget
    asearch = BaseStore.asearch
    aput = BaseStore.aput
    adelete = BaseStore.adelete
    alist_namespaces = BaseStore.alist_namespaces


class Storage:
    """Postgres pools, the LangGraph checkpointer and the Redis speed layer of one process.

    Open with `async with Storage(settings) as storage`. Opening starts the embedded servers
    when no URL is configured, and migrates every table as the connecting user.
    """

    def __init__(self, settings: Settings) -> None:
        """Record what to open; no I/O happens here."""
        self.settings = settings
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Self:
        """Open everything, or nothing if any part fails."""
        try:
            await self._open()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close everything opened, in reverse order."""
        await self._stack.aclose()

    async def _open(self) -> None:
        s = self.settings
        self.urls: ServiceURLs = await asyncio.to_thread(
            resolve_service_urls,
            s.database_url,
            s.redis_url,
            s.memoria_data_dir,
            s.memoria_redis_port,
        )
        self.redis: Redis = connect_redis(self.urls.redis_url)
        self._stack.push_async_callback(self.redis.aclose)
        self.speed = SpeedLayer(self.redis)
        self._stack.push_async_callback(self.speed.settle)  # Before the client closes.
        # Tables are created and migrated as the connecting user; the pools then act as a
        # role row-level security applies to, if that user would bypass it (storage/tenancy.py).
        self.app_url, session = await self._app_login(await self._migrate())
        self.pool = await self._open_pool(
            autocommit=True,
            prepare_threshold=0,
            row_factory=dict_row,
            options=f"{FILTERED_HNSW_OPTIONS} {session}",
        )
        # langchain-postgres's chat history reads rows by position and commits itself.
        self.history_pool = await self._open_pool(options=session)
        self.checkpointer = TenantSaver(self.pool, default_tenant=s.memoria_default_tenant)
        self.engine = self._sqlalchemy_engine(session)

    async def _migrate(self) -> str | None:
        """Create or migrate every table as the connecting user; return the role to act as."""
        dims = self.settings.memoria_embedding_dims
        # Migrations that move data work across tenants.
        async with self.owner_connection() as owner:
            await setup(owner, dims=dims)
            return await tenancy.app_role(owner)

    async def _app_login(self, role: str | None) -> tuple[str, str]:
        """Return the URL the pools connect with, and the session options they add.

        `role` None means the connecting user is subject to row-level security already.
        Otherwise the pools log in as `role`, so `RESET ROLE` cannot make a session the
        owner again; where the server refuses that login without a password (an external
        server) and no `MEMORIA_APP_DATABASE_URL` is set, they switch to it with `SET ROLE`.
        """
        if self.settings.memoria_app_database_url:
            return self.settings.memoria_app_database_url, ""
        if role is None:
            return self.urls.database_url, ""
        url = login_as(self.urls.database_url, role)
        try:
            conn = await AsyncConnection.connect(url, connect_timeout=CONNECT_TIMEOUT_S)
        except OperationalError as exc:
            logger.warning(
                "could not log in as %s (%s); the pools switch to it with SET ROLE, which a "
                "session can undo with RESET ROLE: set MEMORIA_APP_DATABASE_URL to a login "
                "of that role",
                role,
                str(exc).strip(),
            )
            return self.urls.database_url, f"-c role={role}"
        await conn.close()
        return url, ""

    async def _open_pool(self, **kwargs: Any) -> AsyncConnectionPool:
        """Open a pool that turns a Postgres outage into quick errors and heals after it."""
        s = self.settings
        pool = FailFastPool(
            self.app_url,
            min_size=1,
            max_size=s.pool_max_size,
            kwargs={**kwargs, "connect_timeout": CONNECT_TIMEOUT_S},
            # After a restart every pooled connection is dead: checking each one as it
            # leaves the pool replaces it instead of failing a request.
            check=check_if_suspect,
            configure=configure_connection,
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

    def _sqlalchemy_engine(self, session: str) -> AsyncEngine:
        """Return the engine langchain-postgres's vector store writes through (lazy connects)."""
        engine = create_async_engine(
            sqlalchemy_url(self.app_url),
            pool_pre_ping=True,
            pool_timeout=self.settings.pool_timeout_s,
            # pgvector settings for filtered HNSW scans, set once per connection rather
            # than by two SET LOCAL round trips before every search.
            connect_args={
                "options": f"{FILTERED_HNSW_OPTIONS} {session}",
                "connect_timeout": CONNECT_TIMEOUT_S,
            },
        )
        sqlalchemy.event.listen(engine.sync_engine, "checkout", _bind_tenant_on_checkout)
        self._stack.push_async_callback(engine.dispose)
        return engine

    @asynccontextmanager
    async def owner_connection(self) -> AsyncIterator[AsyncConnection]:
        """Yield a connection as the connecting user (who owns the tables), across tenants.

        For schema work outside migrations (`memoria reindex`); autocommit, dict rows.
        """
        async with await AsyncConnection.connect(
            self.urls.database_url,
            autocommit=True,
            row_factory=dict_row,
            connect_timeout=CONNECT_TIMEOUT_S,
        ) as owner:
            await owner.execute(tenancy.SET_SESSION_TENANT, (tenancy.ALL_TENANTS,))
            yield owner

    async def postgres_reachable(self, timeout_s: float = 2.0) -> bool:
        """Whether Postgres answers a query within `timeout_s`."""

        async def ping() -> None:
            async with self.pool.connection() as conn:
                await conn.execute("SELECT 1")

        return await _answers(ping, timeout_s)

    async def redis_reachable(self, timeout_s: float = 2.0) -> bool:
        """Whether Redis answers a ping within `timeout_s`."""
        return await _answers(self.redis.ping, timeout_s)


async def _answers(check: Any, timeout_s: float) -> bool:
    try:
        await asyncio.wait_for(check(), timeout_s)
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    return True
