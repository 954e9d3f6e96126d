"""SQL of the migrations too long to sit inline in `storage.migrations`' list."""

from __future__ import annotations

from psycopg import sql

from storage import search, tenancy


def language_aware_tsv(table: str) -> sql.Composable:
    """Return the statements that give `table` a tsvector stemmed in each row's language."""
    text = sql.SQL("coalesce(search_text, content)")
    return sql.SQL("""
        ALTER TABLE {t} ADD COLUMN lang text, ADD COLUMN search_text text;
        ALTER TABLE {t} DROP COLUMN content_tsv;
        ALTER TABLE {t} ADD COLUMN content_tsv tsvector GENERATED ALWAYS AS (
            CASE lang
                WHEN 'pt' THEN to_tsvector('portuguese', {text})
                WHEN 'en' THEN to_tsvector('english', {text})
                WHEN 'simple' THEN to_tsvector('simple', {text})
                ELSE to_tsvector('english', content)
            END) STORED;
        CREATE INDEX {index} ON {t} USING gin (content_tsv)
    """).format(t=sql.Identifier(table), text=text, index=sql.Identifier(f"{table}_tsv_idx"))


def message_terms() -> sql.Composable:
    """Return the statements that create, back-fill and index `memory_message_terms`."""
    create = sql.SQL("""
        CREATE TABLE memory_message_terms (
            message_id uuid NOT NULL
                REFERENCES memory_messages (langchain_id) ON DELETE CASCADE,
            lexeme     text NOT NULL,
            tenant_id  text NOT NULL,
            user_id    text NOT NULL,
            role       text NOT NULL,
            tf         integer NOT NULL,
            dl         integer NOT NULL,
            PRIMARY KEY (message_id, lexeme)
        );
        INSERT INTO memory_message_terms (message_id, lexeme, tenant_id, user_id, role, tf, dl)
    """)
    index = sql.SQL("""
        ORDER BY 1, 2;
        CREATE INDEX memory_message_terms_user_idx ON memory_message_terms
            (tenant_id, user_id, lexeme, role) INCLUDE (message_id, tf, dl)
    """)
    rows = search.postings_rows("memory_messages", ["tenant_id", "user_id"], "true")
    return _user_table("memory_message_terms", create, rows, index)


def message_half_vectors() -> sql.Composable:
    """Return the statements that create, back-fill and index `memory_message_half_vectors`.

    The covering index of every message's full vector goes: the dense leg reads the
    half-size copies instead.
    """
    create = sql.SQL("""
        CREATE TABLE memory_message_half_vectors (
            message_id uuid PRIMARY KEY
                REFERENCES memory_messages (langchain_id) ON DELETE CASCADE,
            tenant_id  text NOT NULL,
            user_id    text NOT NULL,
            role       text NOT NULL,
            embedding  halfvec NOT NULL
        );
        INSERT INTO memory_message_half_vectors (message_id, tenant_id, user_id, role, embedding)
    """)
    index = sql.SQL("""
        ORDER BY 2, 3, 4;
        CREATE INDEX memory_message_half_vectors_user_idx ON memory_message_half_vectors
            (tenant_id, user_id, role) INCLUDE (message_id, embedding);
        DROP INDEX memory_messages_user_vectors_idx
    """)
    rows = search.half_vector_rows("memory_messages", ["tenant_id", "user_id"], "true")
    return _user_table("memory_message_half_vectors", create, rows, index)


def _user_table(
    table: str, create: sql.Composable, rows: sql.Composable, index: sql.Composable
) -> sql.Composable:
    """Return `create` back-filled from `rows` then `index`ed, under tenant and user policies."""
    return sql.SQL("; ").join(
        [
            sql.SQL(" ").join([create, rows, index]),
            tenancy.table_policy_sql(table),
            tenancy.user_table_policy_sql(table),
        ]
    )


def summary_bounds() -> sql.Composable:
    """Return the statements that let a summary row say what it covers in bounded space.

    Long threads (issue 17): a row listed every message id its summary covered (`covers`), so
    a thread's rows grew O(n^2). A row now records how many messages it covers (`covered`)
    and the last one (`covered_through`): the `covered` messages of the thread's transcript
    that end with it. `covers` stays for the rows written before, back-filled into the two
    columns here; both stay nullable so a process not yet upgraded can still write a row.
    """
    return sql.SQL("""
        ALTER TABLE memory_summaries ALTER COLUMN covers DROP NOT NULL,
            ADD COLUMN covered integer, ADD COLUMN covered_through text;
        SELECT set_config({setting}, {all}, true);
        UPDATE memory_summaries SET covered = cardinality(covers),
            covered_through = covers[cardinality(covers)]
    """).format(setting=sql.Literal(tenancy.SETTING), all=sql.Literal(tenancy.ALL_TENANTS))
