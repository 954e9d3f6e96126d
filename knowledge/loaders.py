"""Read knowledge-base files (text, Markdown, HTML) and split them into retrievable chunks.

Pure functions: no database, no network. `langchain_text_splitters` is not a dependency,
so the splitting is a small recursive splitter of our own: it breaks text at paragraph,
then line, then sentence, then word boundaries, and never inside a word.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path

from langchain_core.documents import Document

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

# Boundaries the splitter tries in order, coarsest first. Each matches the separator that a
# piece keeps at its end, so that joining the pieces gives back the text exactly.
_BOUNDARIES = (
    re.compile(r"\n[ \t]*\n\s*"),  # paragraph: a blank line
    re.compile(r"\n\s*"),  # line
    re.compile(r"[.!?\u2026\u3002]+[\"'\u201d\u00bb)\]]*\s+"),  # sentence
    re.compile(r"\s+"),  # word
)

_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


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
            text, title = _html_to_text(raw)
        else:
            text = raw.strip()
            title = _markdown_title(raw) if fmt == "md" else None
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


def chunk_document(
    doc: Document, *, chunk_size: int = 800, chunk_overlap: int = 120
) -> list[Document]:
    """Split a document into chunks no longer than ``chunk_size`` characters.

    Text breaks at paragraph, then line, then sentence, then word boundaries; a single word
    longer than ``chunk_size`` becomes a chunk of its own. Consecutive chunks share up to
    ``chunk_overlap`` characters of whole pieces (sentences, lines, ...) from the end of the
    previous chunk; when the piece at the break is longer than that, they share nothing.
    Markdown (``metadata["format"] == "md"``) is first cut at headings, so no chunk spans
    two sections, and each chunk gets ``metadata["section"]``: the path of headings above
    it, such as ``"Billing > Refunds"`` (``""`` before the first heading).

    Args:
        doc: The document to split, usually from `load_document`.
        chunk_size: Maximum chunk length in characters.
        chunk_overlap: Maximum characters shared by consecutive chunks.

    Returns:
        Non-empty chunks in document order, each with the document's metadata plus
        ``chunk_index`` (0-based).

    Raises:
        ValueError: If ``chunk_size`` is not positive or ``chunk_overlap`` is negative or
            not smaller than ``chunk_size``.
    """
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    if not 0 <= chunk_overlap < chunk_size:
        raise ValueError(
            f"chunk_overlap must be in [0, chunk_size), got {chunk_overlap} for {chunk_size}"
        )

    if doc.metadata.get("format") == "md":
        pieces: list[tuple[str, dict[str, str]]] = []
        for section, body in _markdown_sections(doc.page_content):
            for text in split_text(body, chunk_size=chunk_size, chunk_overlap=chunk_overlap):
                pieces.append((text, {"section": section}))
    else:
        pieces = [
            (text, {})
            for text in split_text(
                doc.page_content, chunk_size=chunk_size, chunk_overlap=chunk_overlap
            )
        ]

    return [
        Document(page_content=text, metadata={**doc.metadata, **extra, "chunk_index": index})
        for index, (text, extra) in enumerate(pieces)
    ]


def split_text(text: str, *, chunk_size: int, chunk_overlap: int) -> list[str]:
    """Split plain text into stripped, non-empty chunks of at most ``chunk_size`` characters.

    Args:
        text: The text to split.
        chunk_size: Maximum chunk length in characters.
        chunk_overlap: Maximum characters shared by consecutive chunks.

    Returns:
        The chunks in order; a word longer than ``chunk_size`` is a chunk of its own.
    """
    # Every piece starts with a non-space character (separators stay at the end of the piece
    # before them), so no window below is blank.
    pieces = _atomize(text.strip(), chunk_size, 0)
    chunks: list[str] = []
    window: list[str] = []
    total = 0
    for piece in pieces:
        if window and total + len(piece) > chunk_size:
            chunks.append("".join(window).strip())
            # Keep the tail of the window as overlap, as long as it is small enough and
            # leaves room for the next piece.
            while window and (total > chunk_overlap or total + len(piece) > chunk_size):
                total -= len(window.pop(0))
        window.append(piece)
        total += len(piece)
    if window:
        chunks.append("".join(window).strip())
    return chunks


def _atomize(text: str, chunk_size: int, level: int) -> list[str]:
    """Cut text at the coarsest boundaries that make every piece fit in ``chunk_size``."""
    if len(text) <= chunk_size or level >= len(_BOUNDARIES):
        return [text] if text else []
    pieces: list[str] = []
    for part in _split_after(text, _BOUNDARIES[level]):
        if len(part) <= chunk_size:
            pieces.append(part)
        else:
            pieces.extend(_atomize(part, chunk_size, level + 1))
    return pieces


def _split_after(text: str, boundary: re.Pattern[str]) -> list[str]:
    """Split text after each match of ``boundary``, keeping the separators."""
    parts: list[str] = []
    start = 0
    for match in boundary.finditer(text):
        if match.end() > start:
            parts.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        parts.append(text[start:])
    return parts


def _markdown_title(text: str) -> str | None:
    """Return the text of the first level-1 ATX heading outside code fences, if any."""
    for line, in_code in _markdown_lines(text):
        if in_code:
            continue
        heading = _parse_heading(line)
        if heading and heading[0] == 1 and heading[1]:
            return heading[1]
    return None


def _markdown_sections(text: str) -> list[tuple[str, str]]:
    """Cut Markdown at its headings into (heading path, body) pairs.

    A body includes its own heading line. Sections holding nothing but their heading are
    dropped, since the heading reappears in the path of the sections below it.
    """
    sections: list[tuple[str, str]] = []
    stack: list[tuple[int, str]] = []
    lines: list[str] = []
    path = ""

    def close() -> None:
        body = "\n".join(lines).strip()
        has_content = any(line.strip() and not _parse_heading(line) for line in lines)
        if body and (has_content or not stack):
            sections.append((path, body))

    for line, in_code in _markdown_lines(text):
        heading = None if in_code else _parse_heading(line)
        if heading:
            close()
            level, title = heading
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            path = " > ".join(name for _, name in stack if name)
            lines = []
        lines.append(line)
    close()

    if not sections and text.strip():
        # Only headings: keep them rather than lose the document.
        sections.append((path, text.strip()))
    return sections


def _markdown_lines(text: str) -> Iterator[tuple[str, bool]]:
    """Yield each line with whether it lies inside (or opens or closes) a code fence."""
    fence: str | None = None
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            yield line, True
        elif fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            yield line, True
        else:
            yield line, False


def _parse_heading(line: str) -> tuple[int, str] | None:
    """Return (level, text) for an ATX heading line, else None."""
    match = _ATX_HEADING.match(line)
    if not match:
        return None
    title = _CLOSING_HASHES.sub("", match.group(2) or "").strip()
    return len(match.group(1)), title


_SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript"})
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "details", "div", "dl",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "html", "main", "nav", "ol", "p", "pre", "section", "summary",
        "table", "ul",
    }
)  # fmt: skip
# Tags that start a new line (but not a new paragraph); list items and rows stay together.
_LINE_TAGS = frozenset({"br", "caption", "dd", "dt", "li", "tr"})
_CELL_TAGS = frozenset({"td", "th"})


class _TextExtractor(HTMLParser):
    """Collect the visible text and the title of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.h1_parts: list[str] = []
        self._skip_depth = 0
        self._in_title = False
        self._h1_depth = 0
        self._pre_depth = 0
        self._cells_in_row = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _SKIPPED_TAGS:
            self._skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        elif tag in _LINE_TAGS:
            self.parts.append("\n")
            self._cells_in_row = 0
        elif tag in _CELL_TAGS:
            if self._cells_in_row:
                self.parts.append(" | ")
            self._cells_in_row += 1
        if tag == "h1":
            self._h1_depth += 1
        elif tag == "pre":
            self._pre_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        if tag == "h1":
            self._h1_depth = max(0, self._h1_depth - 1)
        elif tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
            return
        if self._skip_depth:
            return
        if self._h1_depth:
            self.h1_parts.append(data)
        if self._pre_depth:
            self.parts.append(data)
        else:
            self.parts.append(re.sub(r"\s+", " ", data))


def _html_to_text(html: str) -> tuple[str, str | None]:
    """Return the visible text of a page and its title (``<title>``, else first ``<h1>``)."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    title = " ".join("".join(parser.title_parts).split())
    if not title:
        title = " ".join("".join(parser.h1_parts).split())
    return text, title or None
