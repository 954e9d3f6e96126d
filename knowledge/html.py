"""HTML to text: the visible text of a page, with its blocks as paragraphs (standard library).

The page is tokenized here in one pass rather than by `html.parser`, which is quadratic on
unclosed tags (60 KB of `<a<a<a...` took it 2 s) and raises AssertionError on some malformed
markup. The tokenizer follows HTML5 where it matters for text: a tag runs to the first `>`
outside a quoted attribute value (so `<a<a<a` is one unfinished tag, dropped at the end of
the file), comments and `<!...>`/`<?...>` declarations are skipped, and the content of
`<script>`/`<style>` (and of `<title>`, kept as the title) is raw text up to its end tag. Every
step moves forward through the text, so the time is linear in its length.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Literal

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
# Elements whose content is text up to their end tag, never markup.
_RAW_TEXT_TAGS = frozenset({"script", "style", "title", "textarea", "xmp"})

_TAG_NAME = re.compile(r"[^\t\n\f\r />]*")
# Where each raw-text element ends (any case).
_RAW_TEXT_END = {tag: re.compile("</" + tag, re.IGNORECASE) for tag in _RAW_TEXT_TAGS}
# Inside a tag, what can end it (">") or open a quoted value ("=" then a quote).
_TAG_STOP = re.compile(r"[>=]")
_SPACES = re.compile(r"[\t\n\f\r ]*")
_WHITESPACE = re.compile(r"\s+")

Token = tuple[Literal["start", "end", "text"], str]


def html_to_text(html: str) -> tuple[str, str | None]:
    """Return the visible text of a page and its title (``<title>``, else first ``<h1>``)."""
    parts: list[str] = []
    title_parts: list[str] = []
    h1_parts: list[str] = []
    skip_depth = h1_depth = pre_depth = cells_in_row = 0
    in_title = False
    for kind, value in _tokens(html):
        if kind == "start":
            if value == "title":
                in_title = True
            elif value in _SKIPPED_TAGS:
                skip_depth += 1
            elif value in _BLOCK_TAGS:
                parts.append("\n\n")
            elif value in _LINE_TAGS:
                parts.append("\n")
                cells_in_row = 0
            elif value in _CELL_TAGS:
                if cells_in_row:
                    parts.append(" | ")
                cells_in_row += 1
            if value == "h1":
                h1_depth += 1
            elif value == "pre":
                pre_depth += 1
        elif kind == "end":
            if value == "title":
                in_title = False
            elif value in _SKIPPED_TAGS:
                skip_depth = max(0, skip_depth - 1)
            elif value in _BLOCK_TAGS:
                parts.append("\n\n")
            if value == "h1":
                h1_depth = max(0, h1_depth - 1)
            elif value == "pre":
                pre_depth = max(0, pre_depth - 1)
        elif in_title:
            title_parts.append(value)
        elif not skip_depth:
            if h1_depth:
                h1_parts.append(value)
            parts.append(value if pre_depth else _WHITESPACE.sub(" ", value))
    lines = [line.strip() for line in "".join(parts).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    title = " ".join("".join(title_parts).split())
    if not title:
        title = " ".join("".join(h1_parts).split())
    return text, title or None


def _tokens(html: str) -> Iterator[Token]:
    """Yield start tags, end tags (lowercased names) and text (character references resolved).

    Each iteration consumes at least one character and every search starts where the last
    one ended, so the whole pass is linear in the length of `html`.
    """
    n = len(html)
    i = 0
    while i < n:
        lt = html.find("<", i)
        if lt < 0:
            yield "text", unescape(html[i:])
            return
        if lt > i:
            yield "text", unescape(html[i:lt])
        i = lt
        after = html[i + 1 : i + 2]
        if html.startswith("<!--", i):
            end = html.find("-->", i + 4)
            i = n if end < 0 else end + 3
        elif after in ("!", "?"):  # doctype, CDATA, processing instruction: no text
            end = html.find(">", i + 2)
            i = n if end < 0 else end + 1
        elif after == "/":
            name = _TAG_NAME.match(html, i + 2)
            end = html.find(">", name.end())
            if end < 0:
                return  # an unfinished end tag at the end of the file is dropped
            if name.group():
                yield "end", name.group().lower()
            i = end + 1
        elif after.isascii() and after.isalpha():
            name = _TAG_NAME.match(html, i + 1)
            end = _tag_end(html, name.end())
            if end < 0:
                return  # an unfinished tag at the end of the file is dropped
            tag = name.group().lower()
            yield "start", tag
            i = end + 1
            if tag in _RAW_TEXT_TAGS:
                found = _RAW_TEXT_END[tag].search(html, i)
                close = found.start() if found else n
                if tag in ("title", "textarea"):
                    yield "text", unescape(html[i:close])
                elif tag not in _SKIPPED_TAGS:
                    yield "text", html[i:close]
                i = close
        else:  # a "<" that opens nothing: text
            yield "text", "<"
            i += 1


def _tag_end(html: str, start: int) -> int:
    """Return the index of the ">" closing the tag whose attributes begin at `start`, or -1.

    A quote opens a value only right after "=" (and spaces); elsewhere it is an ordinary
    character, as in HTML5.
    """
    i = start
    while True:
        stop = _TAG_STOP.search(html, i)
        if stop is None:
            return -1
        if stop.group() == ">":
            return stop.start()
        i = _SPACES.match(html, stop.end()).end()
        quote = html[i : i + 1]
        if quote in ('"', "'"):
            close = html.find(quote, i + 1)
            if close < 0:
                return -1
            i = close + 1
