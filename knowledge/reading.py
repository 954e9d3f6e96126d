"""Read a file into chunks ready to embed: parsed and split in a budgeted child process.

`prepare` is the pure work (parse, hash, chunk); `read_file` runs it in a `Sandbox` so that
a hostile file costs its own upload some seconds at most, and the server nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document

from knowledge.chunking import chunk_document
from knowledge.loaders import parse_document
from knowledge.sandbox import Budget, OverBudget, Sandbox

CHUNK_SIZE = 800
CHUNK_OVERLAP = 120


@dataclass(frozen=True)
class Prepared:
    """A file read and split: what indexing needs, and nothing that still needs parsing."""

    metadata: dict[str, Any]
    """The document's `source`, `title` and `format`."""
    digest: str
    """SHA-256 of its text: indexing skips a document whose text it already holds."""
    chunks: list[Document]
    """The chunks in order, with the document's metadata and `chunk_index` (and `section`)."""


def prepare(
    name: str, data: bytes, chunk_size: int = CHUNK_SIZE, chunk_overlap: int = CHUNK_OVERLAP
) -> Prepared:
    """Parse a file's bytes (see `parse_document`) and split the text into chunks.

    Raises:
        ValueError: The file cannot be read, or has no text (the message says why).
    """
    doc = parse_document(name, data)
    return Prepared(
        metadata=doc.metadata,
        digest=hashlib.sha256(doc.page_content.encode()).hexdigest(),
        chunks=chunk_document(doc, chunk_size=chunk_size, chunk_overlap=chunk_overlap),
    )


async def read_file(
    sandbox: Sandbox,
    budget: Budget,
    name: str,
    data: bytes,
    *,
    chunk_size: int = CHUNK_SIZE,
    chunk_overlap: int = CHUNK_OVERLAP,
) -> Prepared:
    """Return `prepare(name, data, ...)`, computed in a child process within `budget`.

    Raises:
        ValueError: The file cannot be read (why), or reading it ran out of time or memory.
    """
    try:
        return await sandbox.run(budget, prepare, name, data, chunk_size, chunk_overlap)
    except OverBudget as exc:
        raise OverBudget(f"Cannot read {name}: reading it {exc}") from None
