"""Split a loaded document into retrievable chunks (pure).

`langchain_text_splitters` is not a dependency, so the splitting is a small recursive
splitter of our own: it breaks text at paragraph, then line, then sentence, then word
boundaries, and inside a word only when the word alone is longer than a chunk. Markdown is
split by section first, each chunk keeping its section's heading path.

Time is linear in the text's length whatever it holds: each boundary pattern can only start
a match where a run of its characters starts, and never backtracks into a run (possessive
quantifiers), so a run of 30,000 dots is read once, not once per dot.
"""

from __future__ import annotations

import re
from collections import deque

from langchain_core.documents import Document

from knowledge.markdown import markdown_sections

# Boundaries the splitter tries in order, coarsest first. Each matches the separator that a
# piece keeps at its end, so that joining the pieces gives back the text exactly.
_BOUNDARIES = (
    re.compile(r"\n[ \t]*+\n\s*+"),  # paragraph: a blank line
    re.compile(r"\n\s*+"),  # line
    re.compile(r"(?<![.!?\u2026\u3002])[.!?\u2026\u3002]++[\"'\u201d\u00bb)\]]*+\s++"),  # sentence
    re.compile(r"(?<!\s)\s++"),  # word
)


def chunk_document(
    doc: Document, *, chunk_size: int = 800, chunk_overlap: int = 120
) -> list[Document]:
    """Split a document into chunks no longer than ``chunk_size`` characters.

    Text breaks at paragraph, then line, then sentence, then word boundaries; a single word
    longer than ``chunk_size`` is cut every ``chunk_size`` characters. Consecutive chunks
    share up to ``chunk_overlap`` characters of whole pieces (sentences, lines, ...) from the
    end of the previous chunk; when the piece at the break is longer than that, they share
    nothing.
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
        for section, body in markdown_sections(doc.page_content):
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
        The chunks in order; a word longer than ``chunk_size`` is cut into chunks of its own.
    """
    # Pieces start with a non-space character (separators stay at the end of the piece before
    # them), except where a run of spaces longer than a chunk was cut: such windows are blank.
    pieces = _atomize(text.strip(), chunk_size, 0)
    chunks: list[str] = []
    window: deque[str] = deque()
    total = 0
    for piece in pieces:
        if window and total + len(piece) > chunk_size:
            _append_stripped(chunks, window)
            # Keep the tail of the window as overlap, as long as it is small enough and
            # leaves room for the next piece.
            while window and (total > chunk_overlap or total + len(piece) > chunk_size):
                total -= len(window.popleft())
        window.append(piece)
        total += len(piece)
    if window:
        _append_stripped(chunks, window)
    return chunks


def _append_stripped(chunks: list[str], window: deque[str]) -> None:
    if chunk := "".join(window).strip():
        chunks.append(chunk)


def _atomize(text: str, chunk_size: int, level: int) -> list[str]:
    """Cut text at the coarsest boundaries that make every piece fit in ``chunk_size``."""
    if len(text) <= chunk_size:
        return [text] if text else []
    if level >= len(_BOUNDARIES):  # one word longer than a chunk
        return [text[i : i + chunk_size] for i in range(0, len(text), chunk_size)]
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
