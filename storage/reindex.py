"""Re-embed stored vectors for another model, resumably, never mixing two models' vectors.

Every table with vectors names what to re-embed (`Reindexable`, declared by the module that
owns the table). `memoria reindex` fills a shadow column, `embedding_next`, sized for the
new model, batch by batch and tenant by tenant: interrupted, it carries on where it stopped,
and the app keeps serving from `embedding` meanwhile. Once no row is left, one transaction
locks the tables, embeds what arrived meanwhile, swaps the columns, rebuilds the HNSW
indexes and records the new model (`embedding_model`), which `check_model` compares with
the configured one at every start: a process never queries one model's vectors with
another's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from psycopg import AsyncConnection, sql

from storage.search import vector_literal

Embed = Callable[[list[str]], Awaitable[list[list[float]]]]

RECORD_TABLE = "embedding_model"
READ_RECORD = f"SELECT model_id, dims FROM {RECORD_TABLE}"
WRITE_RECORD = f"""
    INSERT INTO {RECORD_TABLE} (only_row, model_id, dims) VALUES (true, %s, %s)
    ON CONFLICT (only_row) DO UPDATE
    SET model_id = EXCLUDED.model_id, dims = EXCLUDED.dims, recorded_at = now()
"""


class ModelMismatch(RuntimeError):
    """Stored vectors were made by another embedding model than the configured one."""


@dataclass(frozen=True)
class Reindexable:
    """A table whose rows carry a vector of some text.

    Attributes:
        table: The table.
        key: Its primary key columns.
        text: SQL expression of the text its vector embeds.
        tenant: SQL expression of the row's tenant.
        index: Name of its HNSW index on `embedding` (rebuilt after the swap).
        derived: A statement recomputing what other tables derive from the vectors, run
            after the swap (e.g. the message index's half vectors).
    """

    table: str
    key: tuple[str, ...]
    text: str
    tenant: str
    index: str
    derived: sql.Composable | None = None


async def recorded_model(conn: AsyncConnection) -> tuple[str, int] | None:
    """Return the (model id, dims) stored vectors were made by, None when none is recorded.

    `conn` returns dict rows, as every pool of memoria does.
    """
    row = await (await conn.execute(READ_RECORD)).fetchone()
    return None if row is None else (row["model_id"], row["dims"])


async def check_model(
    conn: AsyncConnection,
    model_id: str,
    dims: int,
    *,
    tables: Sequence[Reindexable],
    legacy: tuple[str, int],
) -> None:
    """Record the model on first use; refuse to go on if vectors of another model are stored.

    Args:
        conn: An autocommit connection (dict rows).
        model_id: The configured model's id.
        dims: Its vectors' size.
        tables: Every table with vectors.
        legacy: The model that made vectors stored before models were recorded.

    Raises:
        ModelMismatch: the stored vectors were made by another model; says what to run.
    """
    recorded = await recorded_model(conn)
    # Columns sized for other vectors belong to another model, even with no row stored yet
    # (a database first started with the old default): the configured model's vectors would
    # not fit, and `memoria reindex` resizes them.
    sized_otherwise = await columns_sized_otherwise(conn, tables, dims)
    if recorded is None:
        stored = sized_otherwise
        for table in tables:
            exists = sql.SQL("SELECT EXISTS (SELECT 1 FROM {}) AS e").format(
                sql.Identifier(table.table)
            )
            stored = stored or bool((await (await conn.execute(exists)).fetchone())["e"])
        recorded = legacy if stored else (model_id, dims)
        await conn.execute(WRITE_RECORD, recorded)
    if recorded[0] != model_id:
        raise ModelMismatch(
            f"the stored vectors were made by the embedding model {recorded[0]!r}, and "
            f"{model_id!r} is configured: vectors of two models cannot be compared. Run "
            "`memoria reindex` with the new model configured to re-embed what is stored "
            "(resumable, per tenant), or configure the old model again "
            "(MEMORIA_EMBEDDING_MODEL)"
        )
    if sized_otherwise:
        raise ModelMismatch(
            f"the vector columns hold vectors of another size than {model_id!r} makes "
            f"({dims}): run `memoria reindex` to resize them (and re-embed any stored row)"
        )


async def prepare(conn: AsyncConnection, table: Reindexable, dims: int) -> None:
    """Add the shadow column for `dims`-sized vectors (anew if it was sized otherwise)."""
    t = sql.Identifier(table.table)
    current = await _shadow_dims(conn, table.table)
    if current is not None and current != dims:
        await conn.execute(sql.SQL("ALTER TABLE {} DROP COLUMN embedding_next").format(t))
        current = None
    if current is None:
        await conn.execute(
            sql.SQL("ALTER TABLE {} ADD COLUMN embedding_next vector({})").format(
                t, sql.Literal(dims)
            )
        )


async def fill(
    conn: AsyncConnection,
    table: Reindexable,
    embed: Embed,
    *,
    tenant: str | None,
    batch: int,
) -> int:
    """Embed one batch of rows still without a shadow vector; return how many it did."""
    t = sql.Identifier(table.table)
    keys = sql.SQL(", ").join(map(sql.Identifier, table.key))
    where = sql.SQL("embedding_next IS NULL")
    params: list[object] = []
    if tenant is not None:
        where = sql.SQL("{} AND {} = %s").format(where, sql.SQL(table.tenant))
        params.append(tenant)
    select = sql.SQL("SELECT {keys}, {text} AS text FROM {t} WHERE {where} LIMIT %s").format(
        keys=keys, text=sql.SQL(table.text), t=t, where=where
    )
    rows = await (await conn.execute(select, [*params, batch])).fetchall()
    if not rows:
        return 0
    vectors = await embed([_get(row, "text") or "" for row in rows])
    match = sql.SQL(" AND ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in table.key)
    update = sql.SQL("UPDATE {t} SET embedding_next = %s::vector WHERE {match}").format(
        t=t, match=match
    )
    async with conn.cursor() as cur:
        await cur.executemany(
            update,
            [
                (vector_literal(v), *(_get(row, k) for k in table.key))
                for row, v in zip(rows, vectors, strict=True)
            ],
        )
    return len(rows)


async def remaining(conn: AsyncConnection, table: Reindexable, tenant: str | None) -> int:
    """Return how many rows (of `tenant`, or of all) still lack a shadow vector."""
    query = sql.SQL("SELECT count(*) AS n FROM {} WHERE embedding_next IS NULL").format(
        sql.Identifier(table.table)
    )
    params: list[object] = []
    if tenant is not None:
        query = sql.SQL("{} AND {} = %s").format(query, sql.SQL(table.tenant))
        params.append(tenant)
    return int(_get(await (await conn.execute(query, params)).fetchone(), "n"))


async def swap(conn: AsyncConnection, table: Reindexable) -> None:
    """Make the shadow column the vectors (in the caller's transaction; rows all filled)."""
    t = sql.Identifier(table.table)
    row = await (
        await conn.execute(
            "SELECT attnotnull FROM pg_attribute WHERE attrelid = %s::regclass"
            " AND attname = 'embedding'",
            (table.table,),
        )
    ).fetchone()
    await conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(table.index)))
    await conn.execute(sql.SQL("ALTER TABLE {} DROP COLUMN embedding").format(t))
    await conn.execute(
        sql.SQL("ALTER TABLE {} RENAME COLUMN embedding_next TO embedding").format(t)
    )
    if row["attnotnull"]:
        await conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN embedding SET NOT NULL").format(t))
    await conn.execute(
        sql.SQL("CREATE INDEX {} ON {} USING hnsw (embedding vector_cosine_ops)").format(
            sql.Identifier(table.index), t
        )
    )
    if table.derived is not None:
        await conn.execute(table.derived)


async def lock(conn: AsyncConnection, tables: Sequence[Reindexable]) -> None:
    """Hold writes to every vector table until the caller's transaction ends."""
    names = sql.SQL(", ").join(sql.Identifier(t.table) for t in tables)
    await conn.execute(sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(names))


async def record(conn: AsyncConnection, model_id: str, dims: int) -> None:
    """Record the model the stored vectors are now made by."""
    await conn.execute(WRITE_RECORD, (model_id, dims))


async def columns_sized_otherwise(
    conn: AsyncConnection, tables: Sequence[Reindexable], dims: int
) -> bool:
    """Whether any table's `embedding` column holds vectors of another size than `dims`."""
    sizes = [await _column_dims(conn, table.table, "embedding") for table in tables]
    return any(size is not None and size != dims for size in sizes)


async def _shadow_dims(conn: AsyncConnection, table: str) -> int | None:
    return await _column_dims(conn, table, "embedding_next")


async def _column_dims(conn: AsyncConnection, table: str, column: str) -> int | None:
    row = await (
        await conn.execute(
            "SELECT atttypmod FROM pg_attribute WHERE attrelid = %s::regclass"
            " AND attname = %s AND NOT attisdropped",
            (table, column),
        )
    ).fetchone()
    return None if row is None else int(_get(row, "atttypmod"))


def _get(row: dict, name: str) -> object:
    return row[name]
