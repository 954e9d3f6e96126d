"""Row-level security for the tables LangGraph owns, and the API-key lookups.

Checkpoints, the store and API keys get the tenant policy of `storage.tenancy`; the
statements run after `storage.schema.setup` has let LangGraph create its tables.
"""

from __future__ import annotations

from psycopg import sql

from storage.tenancy import (
    ALL_TENANTS,
    CHECKPOINT_TABLES,
    KEY_FUNCTIONS,
    SETTING,
    STORE_TABLES,
    allowed,
    force_with,
)


def langgraph_policy_sql() -> sql.Composable:
    """Return the statements that put API keys, the store and checkpoints under the policies.

    The tables LangGraph owns must exist by then: `storage.schema.setup` makes them first.
    """
    statements = [force_with("api_keys", allowed())]
    label = sql.SQL("replace(replace(current_setting({s}, true), '%', '%25'), '.', '%2E')").format(
        s=sql.Literal(SETTING)
    )
    in_namespace = sql.SQL(
        "(split_part(prefix, '.', 1) = 'facts' AND split_part(prefix, '.', 2) = {label})"
        " OR current_setting({s}, true) = {all}"
    ).format(label=label, s=sql.Literal(SETTING), all=sql.Literal(ALL_TENANTS))
    statements += [force_with(table, in_namespace) for table in STORE_TABLES]
    bound = sql.SQL("nullif(current_setting({s}, true), '')").format(s=sql.Literal(SETTING))
    for table in CHECKPOINT_TABLES:
        # Rows written before belong to the thread whose session id keys them (HTTP runs);
        # others stay visible to ALL_TENANTS only.
        statements.append(
            sql.SQL(
                "ALTER TABLE {t} ADD COLUMN tenant_id text; "
                "UPDATE {t} c SET tenant_id = th.tenant_id FROM threads th"
                " WHERE c.thread_id = th.session_id::text; "
                "ALTER TABLE {t} ALTER COLUMN tenant_id SET DEFAULT {bound}"
            ).format(t=sql.Identifier(table), bound=bound)
        )
        statements.append(force_with(table, allowed()))
    statements.append(
        sql.SQL("""
        DO $$ BEGIN
            EXECUTE format($f$
                CREATE FUNCTION memoria_find_api_key(digest bytea)
                RETURNS TABLE (id text, tenant_id text)
                LANGUAGE sql STABLE SECURITY DEFINER
                SET search_path = pg_catalog, pg_temp SET {setting} = {all}
                AS 'SELECT k.id, k.tenant_id FROM %1$I.api_keys k
                    WHERE k.key_hash = digest AND k.revoked_at IS NULL';
                CREATE FUNCTION memoria_any_api_key() RETURNS boolean
                LANGUAGE sql STABLE SECURITY DEFINER
                SET search_path = pg_catalog, pg_temp SET {setting} = {all}
                AS 'SELECT EXISTS (SELECT 1 FROM %1$I.api_keys WHERE revoked_at IS NULL)'
            $f$, current_schema());
        END $$;
        REVOKE EXECUTE ON FUNCTION {functions} FROM PUBLIC
        """).format(
            setting=sql.SQL(SETTING),
            all=sql.Literal(ALL_TENANTS),
            functions=sql.SQL(", ").join(sql.SQL(f) for f in KEY_FUNCTIONS),
        )
    )
    return sql.SQL("; ").join(statements)
