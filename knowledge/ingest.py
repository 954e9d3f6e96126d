"""Ingestion: read files, chunk, embed and index them into a tenant's knowledge base.

A document is indexed all or nothing: its chunks are embedded first, then written with its
catalogue row in one transaction that replaces the previous version. A failure or a crash at
any point leaves the previous version as it was, and no chunk without its document.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from langchain_postgres import PGVectorStore
from psycopg_pool import AsyncConnectionPool
from tqdm import tqdm

from knowledge import catalog, chunks
from knowledge.loaders import iter_source_files
from knowledge.reading import CHUNK_OVERLAP, CHUNK_SIZE, Prepared, read_file
from knowledge.sandbox import Budget, Sandbox
from storage.identity import validate_id
from storage.search import vector_literal
from storage.tenancy import tenant_scope
from storage.versions import bump_kb

logger = logging.getLogger(__name__)


@dataclass
class IngestReport:
    """What an ingestion run did."""

    documents: int = 0
    chunks: int = 0
    unchanged: list[str] = field(default_factory=list)
    indexed: list[str] = field(default_factory=list)


def document_id(source: str) -> str:
    """Return the stable id of a document, derived from where it came from."""
    return hashlib.sha256(source.encode()).hexdigest()[:32]


async def ingest_paths(
    *,
    pool: AsyncConnectionPool,
    kb: PGVectorStore,
    tenant_id: str,
    paths: Iterable[Path],
    chunk_size: int = CHUNK_SIZE,
    chunk_overlap: int = CHUNK_OVERLAP,
    budget: Budget | None = None,
    progress: bool = False,
) -> IngestReport:
    """Index files into `tenant_id`'s knowledge base; unchanged files are skipped.

    A changed file replaces its old chunks, so re-running ingestion never duplicates. Each
    file is read in a child process within `budget` (default `Budget()`); one that cannot
    be read stops the run with a ValueError naming it, files before it staying indexed.
    With `progress`, stderr shows a bar of files and, under it, one of the current file's
    chunks as they are embedded: a big file would otherwise show nothing for minutes.
    """
    validate_id("tenant_id", tenant_id)
    files = iter_source_files(paths)
    report = IngestReport()
    sandbox = Sandbox(slots=1)
    for path in tqdm(files, desc="ingest", unit="file", disable=not progress):
        data = await asyncio.to_thread(path.read_bytes)
        prepared = await read_file(
            sandbox,
            budget or Budget(),
            str(path),
            data,
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
        )
        chunk_bar = _ChunkBar(path.name) if progress else None
        try:
            indexed = await index_document(
                pool=pool,
                kb=kb,
                tenant_id=tenant_id,
                prepared=prepared,
                source=str(path.resolve()),
                progress=chunk_bar,
            )
        finally:
            if chunk_bar:
                chunk_bar.close()
        if indexed is None:
            report.unchanged.append(str(path))
            continue
        report.documents += 1
        report.chunks += indexed
        report.indexed.append(str(path))
    return report


Progress = Callable[[int, int], Awaitable[None]]


class _ChunkBar:
    """A `Progress` drawing one document's chunks as a tqdm bar, from its first report on."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._bar: tqdm | None = None

    async def __call__(self, done: int, total: int) -> None:
        """Draw `done` of `total` chunks."""
        if self._bar is None:
            # Cleared when done: the files bar above already counts finished documents.
            self._bar = tqdm(desc=self._name, total=total, initial=done, unit="chunk", leave=False)
            return
        # Set, not update(): each call is one batch, so always worth drawing; the rate is then
        # the average since the bar appeared.
        self._bar.total, self._bar.n = total, done
        self._bar.refresh()

    def close(self) -> None:
        """Clear the bar from the screen."""
        if self._bar is not None:
            self._bar.close()


async def index_document(
    *,
    pool: AsyncConnectionPool,
    kb: PGVectorStore,
    tenant_id: str,
    prepared: Prepared,
    source: str,
    batch_size: int = 64,
    progress: Progress | None = None,
) -> int | None:
    """Embed and index one read document; return its chunk count, None if unchanged.

    The chunks are embedded batch by batch, then replace the document's previous chunks in
    one transaction with its catalogue row and the tenant's knowledge-base version. Until
    that commits searches see the previous version; if anything fails before, nothing of
    this one is stored.

    Args:
        pool: Autocommit pool (dict rows).
        kb: The knowledge-base vector store: its embeddings embed the chunks.
        tenant_id: Whose knowledge base.
        prepared: The document, read and chunked (`knowledge.reading.read_file`).
        source: Where the document came from; its id derives from it, so indexing the same
            source again replaces the old chunks instead of adding to them.
        batch_size: Chunks embedded per step.
        progress: Awaited with (0, chunks in all) once chunked, then with (chunks embedded,
            chunks in all) after each batch.
    """
    with tenant_scope(tenant_id):  # Its sessions see and write this tenant's rows only.
        doc_id = document_id(source)
        digest = prepared.digest
        async with pool.connection() as conn:
            if await catalog.content_hash(conn, tenant_id, doc_id) == digest:
                return None
        pieces = prepared.chunks
        if progress:
            # The total is known now; the first batch may take a while to embed.
            await progress(0, len(pieces))
        rows: list[chunks.ChunkRow] = []
        for start in range(0, len(pieces), batch_size):
            batch = pieces[start : start + batch_size]
            texts = [c.page_content for c in batch]
            vectors = await kb.embeddings.aembed_documents(texts)
            # ~0.5 ms of Python a chunk (language, folded text, the vector as text): a thread.
            stored = await asyncio.to_thread(_stored_forms, texts, vectors)
            for i, (chunk, (columns, embedding)) in enumerate(zip(batch, stored, strict=True)):
                # The tenant is part of a chunk's id: the same file indexed by two tenants is
                # two sets of rows, never one tenant's upsert taking over the other's.
                key = f"{tenant_id}\x1f{doc_id}:{digest}:{start + i}"
                metadata = {
                    **chunk.metadata,
                    **columns,
                    "tenant_id": tenant_id,
                    "doc_id": doc_id,
                    "source": prepared.metadata["source"],
                }
                row_id = str(uuid.uuid5(uuid.NAMESPACE_OID, key))
                rows.append(chunks.ChunkRow(row_id, chunk.page_content, embedding, metadata))
            if progress:
                await progress(len(rows), len(pieces))
        async with pool.connection() as conn, conn.transaction():
            await catalog.lock(conn, tenant_id, doc_id)
            await chunks.replace_document(conn, tenant_id, doc_id, rows)
            await catalog.record(
                conn,
                tenant_id=tenant_id,
                doc_id=doc_id,
                source=prepared.metadata["source"],
                title=prepared.metadata["title"],
                digest=digest,
            )
            # Cached retrievals of this tenant's users were made without this version.
            await bump_kb(conn, tenant_id)
        logger.info("indexed %s: %s chunks", prepared.metadata["source"], len(rows))
        return len(rows)


def _stored_forms(texts: list[str], vectors: list[list[float]]) -> list[tuple[dict[str, str], str]]:
    """Return each chunk's search columns and its vector's text form."""
    return [
        (chunks.search_columns(text), vector_literal(vector))
        for text, vector in zip(texts, vectors, strict=True)
    ]
