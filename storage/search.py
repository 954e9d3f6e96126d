"""Search statements over a table laid out as langchain-postgres writes it (pure SQL builders).

A searchable table has `langchain_id`, `content`, `embedding` (pgvector) and a generated
`content_tsv`, plus the columns its scope is filtered by. The module that owns the table
builds its statements here and runs them; nothing here touches a connection.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Literal

from psycopg import sql

# Lexical leg: Okapi BM25 computed in SQL from the scope's own term statistics (document
# frequency and average length over the tenant's chunks, or the user's messages), on the
# stemmed generated tsvector. The GIN index narrows rows to those holding a query lexeme.
# The question's words are stemmed with each configuration in %(configs)s (its language's,
# and "simple" for names and codes), so they meet rows stemmed in either; the tsquery is
# built from those lexemes verbatim (no second stemming).
# The statistics CTEs and the tsquery are MATERIALIZED: inlined, the planner re-ran them once
# per row tested (the tsquery: ~20 us a row).
# Pieces of the BM25 statement a table's owner may build its own from (the knowledge base
# reads bounded candidates, `knowledge.chunks.LEXICAL`): the question's lexemes (`q`); a
# row's query lexemes with their term frequency and the row's length (`hits`, from `t`
# joined with `q` and ROW_LEXEMES); and the scores from `hits`, `df` (lexeme, df) and
# `scope` (n, avgdl).
QUERY_LEXEMES = """
    q AS (
        SELECT coalesce(array_agg(DISTINCT lexeme), ARRAY[]::text[]) AS lexemes
        FROM unnest(%(configs)s::regconfig[]) AS config,
             unnest(to_tsvector(config, %(query)s))
        -- The parser splits "E-4012" into e-4012, e and 4012; a lone letter matches every
        -- code in a table and means nothing on its own.
        WHERE length(lexeme) > 1
    )"""
HIT_COLUMNS = """
    t.langchain_id, u.lexeme, coalesce(array_length(u.positions, 1), 1)::float8 AS tf,
    length(t.content_tsv)::float8 AS dl"""
# Each matching row's tsvector is cut down to the query's lexemes before unnesting (marked
# with weight A, then filtered on it, in C): unnesting whole tsvectors cost ~100 rows per
# match and made the leg grow with the number of matching chunks.
ROW_LEXEMES = """
    unnest(ts_filter(setweight(t.content_tsv, 'A', q.lexemes), ARRAY['a']::"char"[])) AS u"""
SCORED = """
    scored AS (
        SELECT h.langchain_id,
               sum(ln(1 + (s.n - df.df + 0.5) / (df.df + 0.5))
                   * h.tf * (%(k1)s + 1)
                   / (h.tf + %(k1)s * (1 - %(b)s + %(b)s * h.dl / s.avgdl))) AS bm25
        FROM hits h JOIN df USING (lexeme), scope s
        GROUP BY h.langchain_id
        ORDER BY bm25 DESC, h.langchain_id
        LIMIT %(limit)s
    )"""
_BM25 = f"""
    WITH {QUERY_LEXEMES},
    tsq AS MATERIALIZED (
        SELECT string_agg(quote_literal(l), ' | ')::tsquery AS query FROM q, unnest(q.lexemes) l
    ),
    scope AS MATERIALIZED ({{stats}}),
    hits AS (
        SELECT {HIT_COLUMNS}
        FROM {{table}} t, q, tsq, {ROW_LEXEMES}
        WHERE {{scope_t}} AND t.content_tsv @@ tsq.query
    ),
    df AS MATERIALIZED (SELECT lexeme, count(*)::float8 AS df FROM hits GROUP BY lexeme),
    {SCORED}
    SELECT t.langchain_id::text AS id, t.content, {{columns}}, scored.bm25 AS lexical
    FROM scored JOIN {{table}} t USING (langchain_id)
    ORDER BY lexical DESC, t.langchain_id
"""


# Dense leg: cosine distance, nearest first, within the scope. The planner chooses by cost
# between the HNSW index (iterative scan, see FILTERED_HNSW_OPTIONS) and an exact sort of the
# scope's rows (one user's few hundred messages: a scan and a top-N sort). Read with the
# pool's psycopg connections rather than PGVectorStore's similarity search: the same query
# through SQLAlchemy cost ~10 ms per call against ~2 ms here.
_DENSE = """
    SELECT t.langchain_id::text AS id, t.content, {columns},
           t.embedding <=> %(vector)s::vector AS distance
    FROM {table} t
    WHERE {scope_t}
    ORDER BY t.embedding <=> %(vector)s::vector
    LIMIT %(limit)s
"""

# Dense leg for a scope that is a small part of a large table (one user's messages among
# everyone's). HNSW under a filter that keeps 1% of the rows walks ~100x the graph nodes it
# returns (74-155 ms at 1M messages, BENCHMARKS.md); the scope's own rows are exact and
# cheaper up to tens of thousands of rows, read from one contiguous range of a side table's
# covering btree (scope columns, INCLUDE row id and the vector as a `halfvec`: 16-bit floats,
# half the pages of the full vectors, the same ranking but for near-ties). Up to
# %(exact_up_to)s + 1 of the scope's rows are scored in one pass, which also counts them; one
# branch runs: ranking those, or, past %(exact_up_to)s, HNSW with the iterative scan (the
# other's one-time filter is false and Postgres skips it).
_DENSE_HALVES = """
    WITH scored AS MATERIALIZED (
        SELECT h.message_id, h.embedding <=> %(vector)s::halfvec AS distance
        FROM {halves} h
        WHERE {scope_h}
        LIMIT %(exact_up_to)s + 1
    ),
    n AS MATERIALIZED (SELECT count(*) AS rows FROM scored),
    nearest AS (
        (SELECT s.message_id AS langchain_id, s.distance
         FROM scored s
         WHERE (SELECT rows FROM n) <= %(exact_up_to)s
         ORDER BY s.distance, s.message_id LIMIT %(limit)s)
        UNION ALL
        (SELECT t.langchain_id, t.embedding <=> %(vector)s::vector AS distance
         FROM {table} t
         WHERE {scope_t} AND (SELECT rows FROM n) > %(exact_up_to)s
         ORDER BY t.embedding <=> %(vector)s::vector
         LIMIT %(limit)s)
    )
    SELECT t.langchain_id::text AS id, t.content, {columns}, nearest.distance
    FROM nearest JOIN {table} t USING (langchain_id)
    ORDER BY nearest.distance, t.langchain_id
"""
# The rows of a half-vector side table (`_DENSE_HALVES`) for the rows of a table.
HALF_VECTOR_ROWS = """
    SELECT t.langchain_id, {scope_columns}, t.role, t.embedding::halfvec
    FROM {table} t
    WHERE {where}
"""

_STATEMENTS = {"lexical": _BM25, "dense": _DENSE}

# BM25's scope statistics, row count and mean tsvector length, over the scope's rows (one
# user's messages: hundreds or thousands). A table whose scope is too large to count per
# query passes its own (the knowledge base sums per-document statistics).
ROW_STATS = """
    SELECT count(*)::float8 AS n, coalesce(avg(length(content_tsv)), 1)::float8 AS avgdl
    FROM {table} WHERE {scope}
"""


def scoped_statement(
    kind: Literal["lexical", "dense"],
    table: str,
    scope: list[str],
    columns: list[str],
    stats: str = ROW_STATS,
    any_of: Sequence[str] = (),
) -> sql.Composed:
    """Build a leg's query for `table`, scoped by equality on `scope` columns (bound).

    Rows found must also have each column of `any_of` in the array bound under its name
    (e.g. `role` in `%(role)s`); the statistics stay those of the whole scope.
    """
    where = " AND ".join(f"{col} = %({col})s" for col in scope)
    return sql.SQL(
        _STATEMENTS[kind].format(
            table="{table}",
            stats=stats.format(table="{table}", scope=where),
            scope=where,
            scope_t=_conditions("t", scope, any_of),
            columns=", ".join(f"t.{c}" for c in columns) + ", t.langchain_metadata AS extra",
        )
    ).format(table=sql.Identifier(table))


# Lexical leg over per-scope postings: one row per (row, lexeme) of the searched table, with
# the lexeme's term frequency and the row's length, under a btree led by the scope columns
# and the lexeme (storage/migrations.py, memory/message_terms.py). A question's words are
# equality lookups in the scope's range of that btree, which row-level security lets through
# an index (`=` is LEAKPROOF, `@@` is not): the leg reads the postings of the question's
# lexemes in the user's rows, not every row of the user (nor every row holding a common
# word, as a GIN shared by all scopes would). Each row also has one posting of lexeme
# DOCUMENT (the empty string, never a lexeme) from which the scope's statistics are counted.
# Same scores as `_BM25`: df over the found rows of the asked roles, n and avgdl over all
# the scope's rows.
DOCUMENT = ""
POSTINGS = """
    SELECT t.langchain_id, u.lexeme, {scope_columns}, t.role,
           coalesce(array_length(u.positions, 1), 1) AS tf, length(t.content_tsv) AS dl
    FROM {table} t CROSS JOIN LATERAL (
        SELECT lexeme, positions FROM unnest(t.content_tsv)
        UNION ALL SELECT '', NULL
    ) u
    WHERE {where}
"""
_BM25_POSTINGS = f"""
    WITH {QUERY_LEXEMES},
    scope AS MATERIALIZED (
        SELECT count(*)::float8 AS n, coalesce(avg(p.dl), 1)::float8 AS avgdl
        FROM {{postings}} p WHERE {{scope_p}} AND p.lexeme = ''
    ),
    hits AS MATERIALIZED (
        SELECT p.message_id AS langchain_id, p.lexeme, p.tf::float8 AS tf, p.dl::float8 AS dl
        FROM {{postings}} p
        WHERE {{scope_p}} AND p.lexeme = ANY((SELECT lexemes FROM q)::text[]) {{any_of_p}}
    ),
    df AS MATERIALIZED (SELECT lexeme, count(*)::float8 AS df FROM hits GROUP BY lexeme),
    {SCORED}
    SELECT t.langchain_id::text AS id, t.content, {{columns}}, scored.bm25 AS lexical
    FROM scored JOIN {{table}} t USING (langchain_id)
    ORDER BY lexical DESC, t.langchain_id
"""


def postings_rows(table: str, scope: Sequence[str], where: str) -> sql.Composed:
    """Return the SELECT of the postings of `table`'s rows matching `where` (over `t`).

    Columns: row id, lexeme, the `scope` columns, role, tf, dl (POSTINGS).
    """
    return _rows_of(POSTINGS, table, scope, where)


def postings_statement(
    table: str, postings: str, scope: list[str], columns: list[str], any_of: Sequence[str] = ()
) -> sql.Composed:
    """Build the BM25 leg over `postings` (POSTINGS of `table`) scoped as `scoped_statement`."""
    return sql.SQL(
        _BM25_POSTINGS.format(
            table="{table}",
            postings="{postings}",
            scope_p=" AND ".join(f"p.{col} = %({col})s" for col in scope),
            any_of_p="".join(f" AND p.{col} = ANY(%({col})s)" for col in any_of),
            columns=", ".join(f"t.{c}" for c in columns) + ", t.langchain_metadata AS extra",
        )
    ).format(table=sql.Identifier(table), postings=sql.Identifier(postings))


def half_vector_rows(table: str, scope: Sequence[str], where: str) -> sql.Composed:
    """Return the SELECT of the half-vector rows (HALF_VECTOR_ROWS) of `table`'s `where` rows.

    Columns: row id, the `scope` columns, role, the vector as a halfvec.
    """
    return _rows_of(HALF_VECTOR_ROWS, table, scope, where)


def _rows_of(template: str, table: str, scope: Sequence[str], where: str) -> sql.Composed:
    scope_columns = ", ".join(f"t.{c}" for c in scope)
    return sql.SQL(
        template.format(table="{table}", scope_columns=scope_columns, where=where)
    ).format(table=sql.Identifier(table))


def half_vector_statement(
    table: str, halves: str, scope: list[str], columns: list[str], any_of: Sequence[str] = ()
) -> sql.Composed:
    """Build the dense leg reading `halves` (HALF_VECTOR_ROWS of `table`), scoped as the others."""
    return sql.SQL(
        _DENSE_HALVES.format(
            table="{table}",
            halves="{halves}",
            scope_h=_conditions("h", scope, any_of),
            scope_t=_conditions("t", scope, any_of),
            columns=", ".join(f"t.{c}" for c in columns) + ", t.langchain_metadata AS extra",
        )
    ).format(table=sql.Identifier(table), halves=sql.Identifier(halves))


def _conditions(alias: str, scope: Sequence[str], any_of: Sequence[str]) -> str:
    """Return the conditions on `alias`'s `scope` columns (equal) and `any_of` ones (in)."""
    return " AND ".join(
        [f"{alias}.{col} = %({col})s" for col in scope]
        + [f"{alias}.{col} = ANY(%({col})s)" for col in any_of]
    )


_COMPILED: dict[int, tuple[sql.Composable, bytes]] = {}


def compiled(statement: sql.Composable) -> bytes:
    """Return a module-level statement as the bytes psycopg sends, composed once.

    psycopg composes a `sql.Composed` again on every execute (15-35 us for the legs' long
    statements, several a turn); bytes go straight to its parsed-query cache. Keyed by the
    object, which the cache keeps alive: for constants only, not statements built per call.
    """
    hit = _COMPILED.get(id(statement))
    if hit is None or hit[0] is not statement:
        hit = _COMPILED[id(statement)] = (statement, statement.as_bytes(None))
    return hit[1]


def vector_literal(vector: Sequence[float]) -> str:
    """Return pgvector's text form of `vector` (cast with ::vector), exact for float32.

    Remembered for the last few vectors: a turn's question vector goes to every dense leg
    and then, as the user's message, to the index; formatting 512 floats costs ~0.2 ms.
    """
    return _literal(tuple(vector))


@functools.lru_cache(maxsize=64)
def _literal(vector: tuple[float, ...]) -> str:
    return "[" + ",".join(f"{x:.9g}" for x in vector) + "]"
