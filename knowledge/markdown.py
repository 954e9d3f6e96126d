"""Markdown structure: the title and the sections under their headings (pure).

Headings are read with string methods rather than a regular expression: a pattern with
optional spaces on both sides of the heading text backtracks quadratically on a long line of
spaces or `#`s, and one line can be the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
    """Return (level, text) for an ATX heading line, else None.

    Up to three spaces, one to six `#`, then the end of the line or a space or tab before
    the text; a closing run of `#` is dropped when a space or tab precedes it (or it is all
    the text there is).
    """
    rest = line.lstrip(" ")
    if len(line) - len(rest) > 3 or not rest.startswith("#"):
        return None
    text = rest.lstrip("#")
    level = len(rest) - len(text)
    if level > 6 or (text and text[0] not in " \t"):
        return None
    text = text.strip(" \t")
    opened = text.rstrip("#")
    if not opened or opened[-1] in " \t":
        text = opened
    return level, text.strip()
