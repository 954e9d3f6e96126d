"""Row-level security: which tenant's rows a database session may touch.

Every query memoria writes filters by tenant (and user) itself. Postgres row-level security
is the second lock: the tables that hold tenant data admit only rows whose `tenant_id` is
the session's `memoria.tenant_id` setting, so a query that forgot its filter finds nothing
of another tenant (and can write nothing into one). The search tables and the transcript
(`READ_OPEN_TABLES`) lock writes only: a read policy would cost their indexes.

The tenant is bound per asyncio task with `tenant_scope` (the server binds the caller's
tenant, each graph node its run's, the outbox worker each job's); `FailFastPool` copies it
onto a connection as it leaves the pool. Code that works across tenants on purpose (the
worker claiming jobs, start-up housekeeping) asks for `ALL_TENANTS`. Nothing bound means no
tenant: those tables then look empty and refuse writes.

Superusers and roles with BYPASSRLS skip every policy, so when memoria connects as one (the
embedded Postgres's `postgres`, or a Docker image's default user) it runs migrations as that
owner and its pools log in as `APP_ROLE`: a login role with just the privileges the app
needs, no superuser and no membership in any role that has more, so a session that runs
`RESET ROLE` is still that role. Where that login is refused (a server that asks a password
of it), `MEMORIA_APP_DATABASE_URL` names the app's own login; without one the pools fall
back to `SET ROLE`, which a session could undo, and say so in the log.

The policies guard against our own bugs (a query that forgot its tenant filter), not
against SQL injection: a session could change the setting itself. What the setting does
not decide is locked by privileges: API keys are found by hash only through a function
that returns one key's tenant (`FIND_API_KEY`), never by reading the table across tenants.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

logger = logging.getLogger(__name__)

SETTING = "memoria.tenant_id"
# Set the session's tenant (until changed), or the transaction's (until it ends): (tenant,).
SET_SESSION_TENANT = f"SELECT set_config('{SETTING}', %s, false)"
SET_TRANSACTION_TENANT = f"SELECT set_config('{SETTING}', %s, true)"
# The user a session acts for within its tenant ("" : every user, e.g. the worker's).
USER_SETTING = "memoria.user_id"
# Set the session's tenant and user in one statement: (tenant, user).
SET_SESSION_SCOPE = (
    f"SELECT set_config('{SETTING}', %s, false), set_config('{USER_SETTING}', %s, false)"
)
# Not a valid tenant id (ids start with a letter or digit): every tenant's rows.
ALL_TENANTS = "*"
APP_ROLE = "memoria_app"
# The advisory lock migrations take (storage.schema): one process at a time changes roles.
LOCK = 0x6D656D6F

# Tables whose rows belong to one tenant, with a `tenant_id` column. Migrations 12 and 14
# are built from these lists: a table added later gets its policy (`table_policy_sql`) in
# its own migration and is listed in LATER_TENANT_TABLES.
TENANT_TABLES = (
    "threads",
    "kb_chunks",
    "kb_documents",
    "memory_messages",
    "strategy_log",
    "memory_outbox",
    "memory_versions",
    "memory_summaries",
    "ingest_jobs",
)

LATER_TENANT_TABLES = (
    "user_tokens",
    "memory_consent",
    "kb_terms",
    "kb_stats",
    "memory_statement_labels",
    "memory_message_terms",
    "memory_message_half_vectors",
)

_scope: ContextVar[str] = ContextVar("memoria_tenant_scope", default="")
# (tenant, user) a task acts for; it narrows sessions bound to that same tenant only.
_user: ContextVar[tuple[str, str]] = ContextVar("memoria_user_scope", default=("", ""))


def current_scope() -> str:
    """Return the tenant bound to this task ("" for none, `ALL_TENANTS` for all)."""
    return _scope.get()


def current_user() -> str:
    """Return the user this task's sessions act for ("": every user of the bound tenant).

    Only when the task's bound tenant is that user's: a task that switches to another
    tenant, or to `ALL_TENANTS`, acts for every user there.
    """
    tenant, user = _user.get()
    return user if tenant and tenant == _scope.get() else ""


def bind_user(tenant_id: str, user_id: str) -> None:
    """Bind this task (and tasks it starts from now on) to one user of `tenant_id`."""
    _user.set((tenant_id, user_id))


@contextmanager
def user_scope(tenant_id: str, user_id: str) -> Iterator[None]:
    """Bind the code in the block to one user of `tenant_id` (and to that tenant)."""
    token = _user.set((tenant_id, user_id))
    try:
        with tenant_scope(tenant_id):
            yield
    finally:
        _user.reset(token)


def bind_tenant(tenant_id: str) -> None:
    """Bind this task (and tasks it starts from now on) to `tenant_id` until it ends.

    It then acts for every user of the tenant until `bind_user` names one: a task running
    several users' turns one after another binds each in turn.
    """
    _scope.set(tenant_id)
    _user.set(("", ""))


@contextmanager
def tenant_scope(tenant_id: str) -> Iterator[None]:
    """Bind `tenant_id` (or `ALL_TENANTS`) to the code in the block."""
    token = _scope.set(tenant_id)
    try:
        yield
    finally:
        _scope.reset(token)


def policy_sql() -> sql.Composable:
    """Return the statements that put every tenant table under row-level security."""
    statements = [table_policy_sql(table) for table in TENANT_TABLES]
    # A transcript belongs to the thread whose session it is: visible only with that thread.
    statements.append(
        sql.SQL(
            "ALTER TABLE chat_history ENABLE ROW LEVEL SECURITY; "
            "ALTER TABLE chat_history FORCE ROW LEVEL SECURITY; "
            "CREATE POLICY tenant_isolation ON chat_history USING ({ok}) WITH CHECK ({ok})"
        ).format(ok=_in_a_visible_thread())
    )
    return sql.SQL("; ").join(statements)


def table_policy_sql(table: str) -> sql.Composable:
    """Return the statements that admit only the session tenant's rows of `table`."""
    return sql.SQL(
        "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; "
        "ALTER TABLE {t} FORCE ROW LEVEL SECURITY; "
        "CREATE POLICY tenant_isolation ON {t} USING ({ok}) WITH CHECK ({ok})"
    ).format(t=sql.Identifier(table), ok=allowed())


# Tables whose reads are left to the queries' own filters; writes stay under the policy.
# Under a read policy Postgres evaluates the policy before any qual whose function is not
# LEAKPROOF, so such quals cannot be index conditions: the full-text match (`@@`) stops
# using the GIN index (measured: a scan of 20k chunks instead), and the transcript's
# message-id check (jsonb `->>`) scans the whole thread (0.2 -> 0.7 ms per message).
READ_OPEN_TABLES = ("kb_chunks", "memory_messages", "chat_history")


def read_open_policy_sql() -> sql.Composable:
    """Return the statements that replace READ_OPEN_TABLES' policies by write-only ones."""
    statements = []
    for table in READ_OPEN_TABLES:
        name = sql.Identifier(table)
        ok = allowed() if table != "chat_history" else _in_a_visible_thread()
        statements.append(
            sql.SQL(
                "DROP POLICY tenant_isolation ON {t}; "
                "CREATE POLICY reads_filtered_by_queries ON {t} FOR SELECT USING (true); "
                "CREATE POLICY tenant_insert ON {t} FOR INSERT WITH CHECK ({ok}); "
                "CREATE POLICY tenant_update ON {t} FOR UPDATE USING ({ok}) WITH CHECK ({ok}); "
                "CREATE POLICY tenant_delete ON {t} FOR DELETE USING ({ok})"
            ).format(t=name, ok=ok)
        )
    return sql.SQL("; ").join(statements)


# LangGraph's checkpoint tables: their rows are keyed by thread alone, so each gets a
# `tenant_id` filled in from the writing session's tenant (a column default LangGraph's own
# INSERTs leave to Postgres), and the tenant policy.
CHECKPOINT_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
# LangGraph's store, where facts live: the tenant is its namespace's second label, escaped
# as memory/facts.py's `facts_namespace` escapes it.
STORE_TABLES = ("store", "store_vectors")
# Authentication finds a key before its tenant is known. Rather than a policy letting every
# session read every key, these functions (run as the tables' owner, across tenants for
# the call only) answer the two questions it asks: whose is this digest, is any key active.
FIND_API_KEY = "SELECT id, tenant_id FROM memoria_find_api_key(%s)"
ANY_API_KEY = "SELECT memoria_any_api_key() AS any"
KEY_FUNCTIONS = ("memoria_find_api_key(bytea)", "memoria_any_api_key()")


def force_with(table: str, ok: sql.Composable) -> sql.Composable:
    """Put `table` under row-level security (its owner too) with the policy `ok`."""
    return sql.SQL(
        "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; "
        "ALTER TABLE {t} FORCE ROW LEVEL SECURITY; "
        "CREATE POLICY tenant_isolation ON {t} USING ({ok}) WITH CHECK ({ok})"
    ).format(t=sql.Identifier(table), ok=ok)


def allowed() -> sql.Composable:
    """The tenant policy: the session's tenant's rows, or every row for ALL_TENANTS."""
    setting = sql.Literal(SETTING)
    return sql.SQL(
        "tenant_id = current_setting({s}, true) OR current_setting({s}, true) = {all}"
    ).format(s=setting, all=sql.Literal(ALL_TENANTS))


def _in_a_visible_thread() -> sql.Composable:
    return sql.SQL("EXISTS (SELECT 1 FROM threads t WHERE t.session_id = chat_history.session_id)")


# Tables of one user's content, each with a `user_id` column, kept to the session's user
# (`USER_SETTING`) when one is set: transcripts, their index and summaries, the strategy
# log, pending jobs and consent. Thread ownership (`threads`) stays visible tenant-wide, so a
# turn can tell a thread id is taken; it holds ids and times only.
USER_TABLES = (
    "memory_messages",
    "memory_summaries",
    "strategy_log",
    "memory_outbox",
    "memory_consent",
)


def user_policy_sql() -> sql.Composable:
    """Return the statements that keep a user-bound session to that user's rows.

    The policies are RESTRICTIVE: they narrow the tenant policies (a row must pass both).
    Their test compares text (`=` is LEAKPROOF), so the owner indexes still serve it; the
    transcript is matched through its thread's owner.
    """
    unbound = sql.SQL("coalesce(nullif(current_setting({u}, true), ''), {all}) = {all}").format(
        u=sql.Literal(USER_SETTING), all=sql.Literal(ALL_TENANTS)
    )
    user = sql.SQL("current_setting({u}, true)").format(u=sql.Literal(USER_SETTING))
    statements = [user_table_policy_sql(table) for table in USER_TABLES]
    label = sql.SQL("replace(replace({user}, '%', '%25'), '.', '%2E')").format(user=user)
    statements += [
        _restrict(
            table,
            sql.SQL("{unbound} OR split_part(prefix, '.', 3) = {label}").format(
                unbound=unbound, label=label
            ),
        )
        for table in STORE_TABLES
    ]
    owner = sql.SQL(
        "{unbound} OR EXISTS (SELECT 1 FROM threads t"
        " WHERE t.session_id = chat_history.session_id AND t.user_id = {user})"
    ).format(unbound=unbound, user=user)
    statements.append(_restrict("chat_history", owner))
    return sql.SQL("; ").join(statements)


# User tables created after `user_policy_sql`'s migration; each gets `user_table_policy_sql`
# in its own.
LATER_USER_TABLES = (
    "memory_statement_labels",
    "memory_message_terms",
    "memory_message_half_vectors",
)


def _own_rows() -> sql.Composable:
    # The tenant too: reads of the message index are left open by the tenant policy (above).
    unbound = sql.SQL("coalesce(nullif(current_setting({u}, true), ''), {all}) = {all}").format(
        u=sql.Literal(USER_SETTING), all=sql.Literal(ALL_TENANTS)
    )
    user = sql.SQL("current_setting({u}, true)").format(u=sql.Literal(USER_SETTING))
    own = sql.SQL("{unbound} OR (user_id = {user} AND tenant_id = current_setting({t}, true))")
    return own.format(unbound=unbound, user=user, t=sql.Literal(SETTING))


def user_table_policy_sql(table: str) -> sql.Composable:
    """Return the statement that keeps a user-bound session to its user's rows of `table`."""
    return _restrict(table, _own_rows())


def _restrict(table: str, ok: sql.Composable) -> sql.Composable:
    return sql.SQL(
        "CREATE POLICY user_isolation ON {t} AS RESTRICTIVE USING ({ok}) WITH CHECK ({ok})"
    ).format(t=sql.Identifier(table), ok=ok)


async def app_role(conn: AsyncConnection[dict]) -> str | None:
    """Give `APP_ROLE` the app's privileges and return it, if the pools must act as it.

    Call on an owner's connection (autocommit, dict rows) after every table exists. Returns
    None when the session's own role is already subject to the policies (neither superuser
    nor BYPASSRLS): the tables force row-level security on their owner too. The role may
    log in (the pools connect as it: `Storage._app_login`), but it is no superuser, cannot bypass
    row-level security, create roles or databases, and is granted no other role.
    """
    cur = await conn.execute(
        "SELECT rolsuper OR rolbypassrls AS bypasses, rolsuper OR rolcreaterole AS can_create,"
        " current_schema() AS schema,"
        " EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) AS role_exists"
        " FROM pg_roles WHERE rolname = current_user",
        (APP_ROLE,),
    )
    me = await cur.fetchone()
    assert me is not None
    if not me["bypasses"]:
        return None
    if not me["role_exists"] and not me["can_create"]:
        logger.warning(
            "row-level security is NOT enforced: this database user bypasses it and cannot "
            "create role %s; connect as a role without BYPASSRLS",
            APP_ROLE,
        )
        return None
    role = sql.Identifier(APP_ROLE)
    # Under the migrations' lock, as concurrent GRANTs on one object can fail. Tables created
    # since the last start (ours, LangGraph's, langchain-postgres's) are granted too.
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
        # Roles belong to the cluster, the lock to this database: tolerate another database's.
        # Earlier versions made the role NOLOGIN (the pools switched to it): it logs in now.
        await conn.execute(
            sql.SQL(
                "DO $$ BEGIN CREATE ROLE {r} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE"
                " NOCREATEDB NOREPLICATION;"
                " EXCEPTION WHEN duplicate_object THEN ALTER ROLE {r} LOGIN; END $$"
            ).format(r=role)
        )
        await conn.execute(
            sql.SQL(
                "GRANT {r} TO CURRENT_USER; GRANT USAGE ON SCHEMA {s} TO {r}; "
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}; "
                "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {s} TO {r}; "
                "GRANT EXECUTE ON FUNCTION {f} TO {r}"
            ).format(
                r=role,
                s=sql.Identifier(me["schema"]),
                f=sql.SQL(", ").join(sql.SQL(f) for f in KEY_FUNCTIONS),
            ),
            prepare=False,
        )
    return APP_ROLE


@asynccontextmanager
async def tenant_connection(
    pool: AsyncConnectionPool, tenant_id: str
) -> AsyncIterator[AsyncConnection[Any]]:
    """Yield a connection of `pool` whose session sees and writes `tenant_id`'s rows only.

    If the task acts for one user of that tenant (`bind_user`), that user's rows only.
    """
    with tenant_scope(tenant_id):
        async with pool.connection() as conn:
            yield conn


@asynccontextmanager
async def user_connection(
    pool: AsyncConnectionPool, tenant_id: str, user_id: str
) -> AsyncIterator[AsyncConnection[Any]]:
    """Yield a connection of `pool` whose session acts for one user of `tenant_id`."""
    with user_scope(tenant_id, user_id):
        async with pool.connection() as conn:
            yield conn
