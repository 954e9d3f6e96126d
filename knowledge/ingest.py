"""Ingestion: load files, chunk, embed and index them into a tenant's knowledge base."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.documents import Document
from langchain_postgres import PGVectorStore
from psycopg_pool import AsyncConnectionPool
from tqdm import tqdm

from knowledge import catalog, chunks
from knowledge.chunking import chunk_document
from knowledge.loaders import iter_source_files, load_document
from storage.identity import validate_id
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
    chunk_size: int = 800,
    chunk_overlap: int = 120,
    progress: bool = False,
) -> IngestReport:
    """Index files into `tenant_id`'s knowledge base; unchanged files are skipped.

    A changed file replaces its old chunks, so re-running ingestion never duplicates.
    With `progress`, stderr shows a bar of files and, under it, one of the current file's
    chunks as they are embedded and indexed: a big file would otherwise show nothing for minutes.
    """
    validate_id("tenant_id", tenant_id)
    files = iter_source_files(paths)
    report = IngestReport()
    for path in tqdm(files, desc="ingest", unit="file", disable=not progress):
        doc = load_document(path)
        chunk_bar = _ChunkBar(path.name) if progress else None
        try:
            indexed = await index_document(
                pool=pool,
                kb=kb,
                tenant_id=tenant_id,
                doc=doc,
                source=str(path.resolve()),
                chunk_size=chunk_size,
                chunk_overlap=chunk_overlap,
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
    doc: Document,
    source: str,
    chunk_size: int = 800,
    chunk_overlap: int = 120,
    batch_size: int = 64,
    progress: Progress | None = None,
) -> int | None:
    """Chunk, embed and index one document; return its chunk count, None if unchanged.

    Args:
        pool: Autocommit pool (dict rows).
        kb: The knowledge-base vector store.
        tenant_id: Whose knowledge base.
        doc: The loaded document (metadata `source` and `title`).
        source: Where the document came from; its id derives from it, so indexing the same
            source again replaces the old chunks instead of adding to them.
        chunk_size: Target characters per chunk.
        chunk_overlap: Characters shared by consecutive chunks.
        batch_size: Chunks embedded and written per step.
        progress: Awaited with (0, chunks in all) once chunked, then with (chunks indexed,
            chunks in all) after each batch.
    """
    with tenant_scope(tenant_id):  # Its sessions see and write this tenant's rows only.
        doc_id = document_id(source)
        digest = hashlib.sha256(doc.page_content.encode()).hexdigest()
        async with pool.connection() as conn:
            if await catalog.content_hash(conn, tenant_id, doc_id) == digest:
                return None
        pieces = chunk_document(doc, chunk_size=chunk_size, chunk_overlap=chunk_overlap)
        docs = [
            Document(
                page_content=c.page_content,
                metadata={
                    **c.metadata,
                    **chunks.search_columns(c.page_content),
                    "tenant_id": tenant_id,
                    "doc_id": doc_id,
                    "source": doc.metadata["source"],
                },
            )
            for c in pieces
        ]
        # The tenant is part of a chunk's id: the same file indexed by two tenants is two sets
        # of rows, never one tenant's upsert taking over the other's.
        ids = [
            str(uuid.uuid5(uuid.NAMESPACE_OID, f"{tenant_id}\x1f{doc_id}:{digest}:{i}"))
            for i in range(len(docs))
        ]
        async with pool.connection() as conn:
            await chunks.delete_document(conn, tenant_id, doc_id)
        if progress:
            # The total is known now; the first batch may take a while to embed.
            await progress(0, len(docs))
        for start in range(0, len(docs), batch_size):
            end = start + batch_size
            await kb.aadd_documents(docs[start:end], ids=ids[start:end])
            if progress:
                await progress(min(end, len(docs)), len(docs))
        async with pool.connection() as conn, conn.transaction():
            await catalog.record(
                conn,
                tenant_id=tenant_id,
                doc_id=doc_id,
                source=doc.metadata["source"],
                title=doc.metadata["title"],
                digest=digest,
            )
            # Cached retrievals of this tenant's users were made without this document.
            await bump_kb(conn, tenant_id)
        logger.info("indexed %s: %s chunks", doc.metadata["source"], len(docs))
        return len(docs)
