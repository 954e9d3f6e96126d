"""Read knowledge-base files (text, Markdown, HTML, PDF) into documents (no I/O but the files).

Splitting documents into chunks is `knowledge/chunking.py`'s.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from langchain_core.documents import Document

from knowledge.html import html_to_text
from knowledge.markdown import markdown_title

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")

_FORMATS = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}


def iter_source_files(paths: Iterable[Path]) -> list[Path]:
    """Expand files and directories into the supported files beneath them.

    Directories are searched recursively; files and folders whose names start with a dot
    are skipped there, as are files with unsupported suffixes. A file named explicitly must
    have a supported suffix. Suffixes are matched case-insensitively.

    Args:
        paths: Files and directories to expand.

    Returns:
        The supported files, sorted, each listed once.

    Raises:
        ValueError: If a path does not exist, or an explicitly named file has an
            unsupported suffix.
    """
    found: dict[Path, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for candidate in _walk(path):
                found.setdefault(candidate.resolve(), candidate)
        elif path.is_file():
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise ValueError(
                    f"Unsupported file type {path.suffix or '(no suffix)'!r} for {path}; "
                    f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
                )
            found.setdefault(path.resolve(), path)
        else:
            raise ValueError(f"No such file or directory: {path}")
    return sorted(found.values())


def _walk(root: Path) -> Iterator[Path]:
    """Yield the supported, non-hidden files under a directory."""
    for candidate in root.rglob("*"):
        relative = candidate.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not candidate.is_file():
            continue
        if candidate.suffix.lower() in SUPPORTED_SUFFIXES:
            yield candidate
        else:
            logger.debug("Skipping unsupported file %s", candidate)


def load_document(path: Path) -> Document:
    """Read one file into a LangChain Document (see `parse_document`)."""
    path = Path(path)
    return parse_document(str(path), path.read_bytes())


def parse_document(name: str, data: bytes) -> Document:
    """Turn a file's bytes into a LangChain Document; its suffix says how to read it.

    Text is decoded as UTF-8, replacing undecodable bytes. Markdown and text keep their
    content as written; HTML becomes its visible text (without scripts and styles), with
    paragraph breaks where the page has blocks; PDF becomes the text of its pages (pypdf),
    one paragraph per page.

    Args:
        name: The file's name or path, e.g. "guide.md"; metadata ``source`` keeps it.
        data: Its content.

    Returns:
        The document, with metadata ``source``, ``title`` (the HTML ``<title>``, else its
        first ``<h1>``; the first ``# `` heading of Markdown; the PDF's title; else the file
        stem) and ``format`` (``"txt"``, ``"md"``, ``"html"`` or ``"pdf"``).

    Raises:
        ValueError: If the suffix is unsupported, the file cannot be read, or it has no text.
    """
    path = Path(name)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"Unsupported file type {path.suffix or '(no suffix)'!r} for {name}; "
            f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    title: str | None = None
    if fmt == "pdf":
        text, title = _pdf_to_text(data, name)
    else:
        raw = data.decode("utf-8-sig", errors="replace")
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
        if fmt == "html":
            text, title = html_to_text(raw)
        else:
            text = raw.strip()
            title = markdown_title(raw) if fmt == "md" else None
    if not text.strip():
        raise ValueError(f"Document has no text: {name}")

    metadata = {"source": name, "title": title or path.stem, "format": fmt}
    logger.debug("Loaded %s (%s, %d chars)", name, fmt, len(text))
    return Document(page_content=text, metadata=metadata)


def _pdf_to_text(data: bytes, name: str) -> tuple[str, str | None]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ValueError(f"Cannot read {name} as PDF: {exc}") from exc
    return "\n\n".join(p for p in pages if p), (title or "").strip() or None
