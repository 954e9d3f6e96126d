"""`memoria reindex`: re-embed every stored vector with the configured model, resumably."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import Any

from configs.settings import Settings, get_settings


def register(sub: Any) -> None:
    """Add `reindex`."""
    cmd = sub.add_parser(
        "reindex",
        help="re-embed stored messages, chunks and facts with the configured embedding model",
        description="After changing MEMORIA_EMBEDDING_MODEL: embed every stored vector again "
        "with the configured model into a shadow column, batch by batch (interrupted, it "
        "carries on where it stopped; --tenant does one tenant at a time), then swap the "
        "vectors in one transaction and record the new model. The app keeps serving with the "
        "old model until then, and refuses to start with a model the stored vectors were not "
        "made by.",
    )
    cmd.add_argument("--tenant", default=None, help="re-embed only this tenant's rows now")
    cmd.add_argument("--batch", type=int, default=64, help="rows embedded per step")
    cmd.set_defaults(run=lambda args: asyncio.run(reindex(args)))


async def reindex(args: argparse.Namespace) -> int:
    """Re-embed, then swap once no row of any tenant is left."""
    return await run_reindex(get_settings(), tenant=args.tenant, batch=args.batch)


async def run_reindex(settings: Settings, *, tenant: str | None, batch: int) -> int:
    """Re-embed with `settings`' model (`tenant`'s rows only, if named); switch when all done."""
    from tqdm import tqdm

    from retrievers.embeddings import VECTOR_TABLES, build_embedder, legacy_model
    from storage import reindex as shadow
    from storage.database import Storage

    model = build_embedder(settings)
    async with Storage(settings) as storage, storage.owner_connection() as conn:
        if await shadow.recorded_model(conn) is None:
            # First start (nothing stored: record this model), or vectors from before
            # models were recorded (MiniLM's).
            with contextlib.suppress(shadow.ModelMismatch):
                await shadow.check_model(
                    conn,
                    model.model_id,
                    model.dims,
                    tables=VECTOR_TABLES,
                    legacy=legacy_model(settings),
                )
        recorded = await shadow.recorded_model(conn)
        sized_otherwise = await shadow.columns_sized_otherwise(conn, VECTOR_TABLES, model.dims)
        if recorded is not None and recorded[0] == model.model_id and not sized_otherwise:
            sys.stdout.write(f"stored vectors are already {model.model_id}; nothing to do\n")
            return 0
        for table in VECTOR_TABLES:
            await shadow.prepare(conn, table, model.dims)
        todo = [await shadow.remaining(conn, t, tenant) for t in VECTOR_TABLES]
        with tqdm(total=sum(todo), desc=f"re-embedding with {model.model_id}", unit="row") as bar:
            for table in VECTOR_TABLES:
                while done := await shadow.fill(
                    conn, table, model.aembed_documents, tenant=tenant, batch=batch
                ):
                    bar.update(done)
        left = sum([await shadow.remaining(conn, t, None) for t in VECTOR_TABLES])
        if left:
            sys.stdout.write(
                f"tenant {tenant} re-embedded; {left} rows of other tenants are left: "
                "run `memoria reindex` again (without --tenant) to finish and switch\n"
            )
            return 0
        async with conn.transaction():
            # Writes wait from here: what arrived while re-embedding is embedded, then swapped.
            await shadow.lock(conn, VECTOR_TABLES)
            for table in VECTOR_TABLES:
                while await shadow.fill(
                    conn, table, model.aembed_documents, tenant=None, batch=batch
                ):
                    pass
                await shadow.swap(conn, table)
            await shadow.record(conn, model.model_id, model.dims)
    sys.stdout.write(f"stored vectors are now {model.model_id}; restart memoria with it\n")
    return 0
