"""Read knowledge-base files (text, Markdown, HTML, PDF) into documents (no I/O but the files).

Splitting documents into chunks is `knowledge/chunking.py`'s.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from knowledge.html import html_to_text
from knowledge.markdown import markdown_title

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
# The most text one document may hold (about 6,000 chunks to embed).
MAX_TEXT_CHARS = 4_000_000

# Byte-order marks, UTF-32's before UTF-16's (FF FE 00 00 starts with FF FE).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Characters Postgres text cannot hold (NUL) or UTF-8 cannot encode (lone surrogates).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

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


def parse_document(name: str, data: bytes, *, max_chars: int = MAX_TEXT_CHARS) -> Document:
    """Turn a file's bytes into a LangChain Document; its suffix says how to read it.

    Text is UTF-8 unless a byte-order mark says UTF-16 or UTF-32, or its NUL bytes say
    UTF-16 without one; undecodable UTF-8 bytes are replaced. Markdown and text keep their
    content as written; HTML becomes its visible text (without scripts and styles), with
    paragraph breaks where the page has blocks; PDF becomes the text of its pages (pypdf),
    one paragraph per page. Time is linear in the file's size for text, Markdown and HTML;
    a PDF's is pypdf's, so a server reads files in a budgeted child (`knowledge/reading.py`).

    Args:
        name: The file's name or path, e.g. "guide.md"; metadata ``source`` keeps it.
        data: Its content.
        max_chars: The most text a document may have.

    Returns:
        The document, with metadata ``source``, ``title`` (the HTML ``<title>``, else its
        first ``<h1>``; the first ``# `` heading of Markdown; the PDF's title; else the file
        stem) and ``format`` (``"txt"``, ``"md"``, ``"html"`` or ``"pdf"``).

    Raises:
        ValueError: If the suffix is unsupported, the file cannot be read (the message says
            why: a broken PDF, a NUL byte in text, an invalid UTF-16 file...), it has no
            text, or more than ``max_chars`` of it.
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
        text, title = _pdf_to_text(data, name, max_chars)
    else:
        raw = _decode(data, name)
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
        if fmt == "html":
            text, title = html_to_text(raw)
        else:
            text = raw.strip()
            title = markdown_title(raw) if fmt == "md" else None
    if not text.strip():
        raise ValueError(f"Document has no text: {name}")
    if len(text) > max_chars:
        raise ValueError(_too_long(name, len(text), max_chars))

    metadata = {"source": name, "title": title or path.stem, "format": fmt}
    logger.debug("Loaded %s (%s, %d chars)", name, fmt, len(text))
    return Document(page_content=text, metadata=metadata)


def _decode(data: bytes, name: str) -> str:
    """Return a text file's characters; refuse NUL bytes, which no text file holds."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            if encoding == "utf-8-sig":
                text = data.decode(encoding, errors="replace")
                break
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"Cannot read {name}: it starts with a {encoding.upper()} byte-order mark "
                    f"but is not valid {encoding.upper()} (at byte {exc.start}); save it as UTF-8"
                ) from None
            break
    else:
        encoding = _utf16_without_bom(data)
        if encoding:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                encoding = None
        if not encoding:
            text = data.decode("utf-8", errors="replace")
    if (nul := text.find("\x00")) >= 0:
        raise ValueError(
            f"Cannot read {name}: it has a NUL character (at character {nul}), which text "
            "files do not; is it a binary file? Text must be UTF-8, or UTF-16 or UTF-32 "
            "with a byte-order mark"
        )
    return text


def _utf16_without_bom(data: bytes) -> str | None:
    """Return "utf-16-le" or "utf-16-be" when NUL bytes fill every other byte, else None.

    Text in a Latin script stored as UTF-16 has a NUL beside most characters, always on the
    same side; a stray NUL in UTF-8 does not.
    """
    sample = data[:4096]
    if len(sample) < 2 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > len(odd) * 0.4 and even.count(0) < len(even) * 0.05:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.4 and odd.count(0) < len(odd) * 0.05:
        return "utf-16-be"
    return None


def _too_long(name: str, chars: int | str, max_chars: int) -> str:
    return (
        f"Cannot index {name}: it has {chars} characters of text, more than the "
        f"{max_chars:,} one document may have; split it into smaller files"
    )


def _pdf_to_text(data: bytes, name: str, max_chars: int) -> tuple[str, str | None]:
    from pypdf import PdfReader

    pages: list[str] = []
    total = 0
    try:
        reader = PdfReader(io.BytesIO(data))
        for page in reader.pages:
            text = _clean_pdf_text(page.extract_text() or "").strip()
            total += len(text)
            if total > max_chars:
                raise _TooLong
            pages.append(text)
    except _TooLong:
        raise ValueError(_too_long(name, "more than that", max_chars)) from None
    except MemoryError:
        raise
    # pypdf raises what a hostile file makes it raise: LimitReachedError (a Flate bomb, a
    # huge /Length), RecursionError (nested objects), PdfReadError, and any other error of
    # code that met what it did not expect. Each one means this file cannot be read.
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"Cannot read {name} as PDF: {type(exc).__name__}: {exc}") from None
    return "\n\n".join(p for p in pages if p), _pdf_title(reader)


class _TooLong(Exception):
    """A PDF's text passed the limit: stop extracting."""


def _pdf_title(reader: Any) -> str | None:
    """Return the document information's /Title when it is a string (it can be anything)."""
    try:
        info = reader.metadata
        title = info.get_object().get("/Title") if info is not None else None
        title = title.get_object() if title is not None else None
    except Exception:  # noqa: BLE001 - a title we cannot read is no title
        logger.debug("unreadable PDF title", exc_info=True)
        return None
    if not isinstance(title, str):
        return None
    return _clean_pdf_text(title).strip() or None


def _clean_pdf_text(text: str) -> str:
    """Drop NULs and lone surrogates, which fonts' character maps can produce."""
    return _UNSTORABLE.sub("", text)
