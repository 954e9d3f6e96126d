"""Markdown structure: the title and the sections under their headings (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterator

_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def markdown_title(text: str) -> str | None:
    """Return the text of the first level-1 ATX heading outside code fences, if any."""
    for line, in_code in _markdown_lines(text):
        if in_code:
            continue
        heading = _parse_heading(line)
        if heading and heading[0] == 1 and heading[1]:
            return heading[1]
    return None


def markdown_sections(text: str) -> list[tuple[str, str]]:
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
