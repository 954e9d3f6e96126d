"""Hostile documents, built here from bytes (nothing downloaded): each stalled or broke a loader.

What each did before memoria read files in a budgeted child with linear-time loaders:
quadratic HTML and punctuation runs held the event loop for seconds; the PDFs raised
pypdf's LimitReachedError, RecursionError or AttributeError (a 500); malformed HTML raised
AssertionError; UTF-16 Markdown was accepted and then failed; a NUL byte failed its job
part-way, leaving chunks without a document.
"""

from __future__ import annotations

import zlib
from functools import cache

# --- PDFs ------------------------------------------------------------------------------------


def pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """Return a PDF of `objects` (object 1 is the catalogue) with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    return bytes(out)


def stream(data: bytes, entries: bytes = b"") -> bytes:
    """Return a stream object holding `data`, with extra dictionary `entries`."""
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(data), entries, data)


def page_pdf(content: bytes, *, info: bytes | None = None) -> bytes:
    """Return a one-page PDF whose page draws the stream object `content`."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R"
        b" /Resources << /Font << /F1 4 0 R >> >> >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        content,
    ]
    if info is None:
        return pdf(objects)
    return pdf([*objects, info], trailer=b"/Info 6 0 R ")


def text_pdf(text: bytes, *, title: bytes | None = None) -> bytes:
    """Return a one-page PDF showing `text`, with `/Title title` (a PDF object) if given."""
    content = stream(b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text)
    return page_pdf(content, info=None if title is None else b"<< /Title %s >>" % title)


@cache
def flate_bomb_pdf(megabytes: int = 100) -> bytes:
    """~100 KB whose content stream inflates to `megabytes` MB (pypdf stops at 75)."""
    compressor = zlib.compressobj(9)
    block = b" " * 2**20
    data = b"".join(compressor.compress(block) for _ in range(megabytes)) + compressor.flush()
    return page_pdf(stream(data, b"/Filter /FlateDecode "))


def huge_length_pdf() -> bytes:
    """A content stream that declares a /Length of 100 GB."""
    data = b"BT /F1 12 Tf 72 720 Td (Hi) Tj ET"
    return page_pdf(b"<< /Length 99999999999 >>\nstream\n%s\nendstream" % data)


def nested_content_pdf(depth: int = 200_000) -> bytes:
    """A content stream of arrays nested `depth` deep (pypdf recurses into each)."""
    return page_pdf(stream(b"BT /F1 12 Tf " + b"[" * depth + b"(x)" + b"]" * depth + b" TJ ET"))


# --- Text ------------------------------------------------------------------------------------

FACT = b"The Kestrel warranty covers water damage for 37 months."

# html.parser is quadratic on an unfinished tag that runs to the end: 60 KB took it 2 s.
QUADRATIC_HTML = b"<html><title>Kestrel</title><p>%s</p>" % FACT + b"<a" * 30_000
# The sentence pattern was quadratic on a run of punctuation: 30,000 dots took 10 s.
DOTS_MD = b"# Kestrel\n\n%s\n\n" % FACT + b"." * 30_000 + b"\n"
# So was the heading pattern on a heading line of spaces.
SPACED_HEADING_MD = b"# Kestrel" + b" " * 30_000 + b"x\n\n%s\n" % FACT
# html.parser raised AssertionError on an unknown marked section.
MALFORMED_HTML = b"<p>%s</p><![;x" % FACT
UTF16_MD = ("# Garantia\n\n" + FACT.decode() + "\n").encode("utf-16")
UTF16_NO_BOM_TXT = (FACT.decode() + "\n").encode("utf-16-le")


def nul_part_way(lines: int = 4000) -> bytes:
    """Text with one NUL byte three quarters of the way in."""
    line = b"Each line of this manual is a sentence about the Kestrel.\n"
    return line * (lines * 3 // 4) + b"\x00" + line * (lines // 4)
