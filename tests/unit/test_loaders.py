"""Loading and chunking knowledge-base files: formats, path expansion, chunk bounds, sample KB."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from langchain_core.documents import Document

from knowledge.chunking import chunk_document
from knowledge.html import html_to_text
from knowledge.loaders import SUPPORTED_SUFFIXES, iter_source_files, load_document, parse_document
from tests import hostile

SAMPLE_KB = Path(__file__).resolve().parents[2] / "data" / "sample_kb"
DATA = Path(__file__).resolve().parents[1] / "data"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _shared_overlap(previous: str, following: str) -> int:
    """Length of the longest suffix of `previous` that starts `following`."""
    for size in range(min(len(previous), len(following)), 0, -1):
        if previous.endswith(following[:size]):
            return size
    return 0


# --- load_document ---------------------------------------------------------------------------


def test_txt_is_loaded_verbatim_with_stem_title(tmp_path):
    path = _write(tmp_path / "release-notes.txt", "Version 2 adds dark mode.\n\nEnjoy.\n")

    doc = load_document(path)

    assert doc.page_content == "Version 2 adds dark mode.\n\nEnjoy."
    assert doc.metadata == {"source": str(path), "title": "release-notes", "format": "txt"}


def test_markdown_title_is_first_level_one_heading(tmp_path):
    path = _write(
        tmp_path / "guide.markdown",
        "Intro line.\n\n## Not the title\n\n```\n# a comment in code\n```\n\n"
        "# Real Title #\n\nBody.\n",
    )

    doc = load_document(path)

    assert doc.metadata["title"] == "Real Title"
    assert doc.metadata["format"] == "md"
    assert "## Not the title" in doc.page_content


def test_markdown_without_heading_falls_back_to_stem(tmp_path):
    doc = load_document(_write(tmp_path / "plain-notes.md", "Just text, ## no heading here.\n"))

    assert doc.metadata["title"] == "plain-notes"


def test_html_keeps_visible_text_and_title_but_drops_script_and_style(tmp_path):
    html = """<!doctype html>
    <html><head>
      <title>  Pricing &amp; Plans </title>
      <style>.price { color: red; }</style>
      <script>var secretTracker = "do-not-index";</script>
    </head><body>
      <h1>Our plans</h1>
      <p>The Plus plan costs <b>$6</b> per month.</p>
      <table><tr><th>Plan</th><th>Price</th></tr><tr><td>Pro</td><td>$12</td></tr></table>
      <script>console.log("also hidden")</script>
    </body></html>"""
    path = _write(tmp_path / "pricing.html", html)

    doc = load_document(path)

    assert doc.metadata == {"source": str(path), "title": "Pricing & Plans", "format": "html"}
    assert "The Plus plan costs $6 per month." in doc.page_content
    assert "Pro | $12" in doc.page_content
    for hidden in ("secretTracker", "do-not-index", "color: red", "console.log", "<p>"):
        assert hidden not in doc.page_content
    # Block elements become separate paragraphs, not one run-on line.
    assert "Our plans\n\nThe Plus plan" in doc.page_content


def test_htm_without_title_uses_first_h1(tmp_path):
    doc = load_document(
        _write(tmp_path / "page.htm", "<body><h1>Refund policy</h1><p>x</p></body>")
    )

    assert doc.metadata["format"] == "html"
    assert doc.metadata["title"] == "Refund policy"


def test_invalid_utf8_is_replaced_not_fatal(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes(b"\xef\xbb\xbfcaf\xe9 au lait")

    doc = load_document(path)

    assert doc.page_content == "caf\ufffd au lait"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("blank.txt", "  \n\n\t "),
        ("blank.md", ""),
        ("only-script.html", "<html><head><script>var a = 1;</script></head><body> </body></html>"),
    ],
)
def test_empty_document_is_rejected(tmp_path, name, content):
    path = _write(tmp_path / name, content)

    with pytest.raises(ValueError, match=name):
        load_document(path)


# --- iter_source_files -----------------------------------------------------------------------


def test_directories_expand_recursively_to_supported_files_sorted(tmp_path):
    kb = tmp_path / "kb"
    for rel in ("b.md", "a.txt", "nested/deeper/c.HTML", "nested/d.htm", "nested/e.markdown"):
        _write(kb / rel, "text")
    _write(kb / "image.png", "not text")
    _write(kb / "nested" / "data.json", "{}")
    _write(kb / ".git" / "notes.md", "hidden")
    _write(kb / ".draft.md", "hidden")
    extra = _write(tmp_path / "extra.txt", "text")

    found = iter_source_files([kb, extra, kb / "a.txt"])

    assert found == sorted(
        [
            kb / "a.txt",
            kb / "b.md",
            kb / "nested" / "d.htm",
            kb / "nested" / "deeper" / "c.HTML",
            kb / "nested" / "e.markdown",
            extra,
        ]
    )


def test_missing_path_is_an_error_naming_it(tmp_path):
    missing = tmp_path / "nope" / "kb"

    with pytest.raises(ValueError, match="nope"):
        iter_source_files([tmp_path, missing])


def test_explicit_unsupported_file_is_an_error_naming_it(tmp_path):
    docx = _write(tmp_path / "manual.docx", "PK")

    with pytest.raises(ValueError, match="manual.docx"):
        iter_source_files([docx])


def test_supported_suffixes_match_what_loads(tmp_path):
    for suffix in SUPPORTED_SUFFIXES:
        if suffix == ".pdf":
            continue  # below, with a real PDF
        doc = load_document(_write(tmp_path / f"doc{suffix}", "<p>Hello</p>"))
        assert "Hello" in doc.page_content


def test_pdf_pages_become_text_and_its_title_the_title():
    doc = load_document(DATA / "policy.pdf")
    assert doc.page_content == "Refunds of the Lisbon store take 14 days."
    assert doc.metadata["title"] == "Store policy" and doc.metadata["format"] == "pdf"


def test_a_broken_pdf_is_an_error_naming_the_file():
    with pytest.raises(ValueError, match="Cannot read upload.pdf as PDF"):
        parse_document("upload.pdf", b"%PDF-1.4 then nothing useful")


# --- chunk_document --------------------------------------------------------------------------


def test_short_text_is_a_single_chunk_with_parent_metadata():
    doc = Document(
        page_content="  One short paragraph.  ", metadata={"source": "s", "format": "txt"}
    )

    chunks = chunk_document(doc)

    assert [c.page_content for c in chunks] == ["One short paragraph."]
    assert chunks[0].metadata == {"source": "s", "format": "txt", "chunk_index": 0}


def test_long_text_chunks_are_bounded_overlapping_and_cover_everything():
    sentences = [f"Sentence number {i} talks about topic {i * 7 % 13}." for i in range(200)]
    doc = Document(page_content=" ".join(sentences), metadata={"source": "long.txt"})

    chunks = chunk_document(doc, chunk_size=300, chunk_overlap=80)
    texts = [c.page_content for c in chunks]

    assert len(chunks) > 10
    assert [c.metadata["chunk_index"] for c in chunks] == list(range(len(chunks)))
    assert all(c.metadata["source"] == "long.txt" for c in chunks)
    assert all(0 < len(t) <= 300 for t in texts)
    assert all(t == t.strip() for t in texts)
    for previous, following in zip(texts, texts[1:], strict=False):
        assert 0 < _shared_overlap(previous, following) <= 80
    # Nothing is lost, and no sentence is cut in half.
    for sentence in sentences:
        assert any(sentence in t for t in texts), sentence


def test_zero_overlap_means_chunks_do_not_repeat_text():
    words = " ".join(f"w{i}" for i in range(400))
    chunks = chunk_document(Document(page_content=words), chunk_size=100, chunk_overlap=0)

    assert " ".join(c.page_content for c in chunks) == words


def test_paragraph_boundaries_are_preferred():
    first = "First paragraph. " * 20
    second = "Second paragraph. " * 20
    doc = Document(page_content=f"{first.strip()}\n\n{second.strip()}")

    chunks = chunk_document(doc, chunk_size=500, chunk_overlap=50)

    assert [c.page_content for c in chunks] == [first.strip(), second.strip()]


def test_a_word_longer_than_a_chunk_is_cut_and_nothing_is_empty():
    token = "x" * 50
    doc = Document(page_content=f"short words before {token} and short words after")

    chunks = [c.page_content for c in chunk_document(doc, chunk_size=20, chunk_overlap=5)]

    assert all(c and len(c) <= 20 for c in chunks)
    assert "".join(chunks).count("x") == len(token)
    assert chunks[0].startswith("short")
    assert chunks[-1].endswith("after")


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (-5, 0), (100, 100), (100, -1)])
def test_invalid_chunk_parameters_are_rejected(size, overlap):
    with pytest.raises(ValueError):
        chunk_document(Document(page_content="text"), chunk_size=size, chunk_overlap=overlap)


def test_markdown_chunks_follow_sections_and_carry_heading_path():
    md = (
        "Welcome to the help centre.\n\n"
        "# Billing\n\n"
        "## Refunds\n\n"
        "Refunds are possible within 14 days.\n\n"
        "```bash\n# not a heading, a shell comment\necho hi\n```\n\n"
        "## Plans\n\n"
        "### Pro\n\n"
        + ("The Pro plan includes many features. " * 30)
        + "\n\n# Security\n\nWe use AES-256.\n"
    )
    doc = Document(page_content=md, metadata={"source": "help.md", "format": "md"})

    chunks = chunk_document(doc, chunk_size=400, chunk_overlap=60)
    by_section: dict[str, list[str]] = {}
    for chunk in chunks:
        by_section.setdefault(chunk.metadata["section"], []).append(chunk.page_content)

    assert list(by_section) == ["", "Billing > Refunds", "Billing > Plans > Pro", "Security"]
    assert by_section[""] == ["Welcome to the help centre."]
    # Small neighbouring sections are not merged across a heading.
    (refunds,) = by_section["Billing > Refunds"]
    assert refunds.startswith("## Refunds")
    assert "within 14 days" in refunds
    assert "# not a heading" in refunds
    assert "Plans" not in refunds
    assert len(by_section["Billing > Plans > Pro"]) > 1
    assert all(len(c.page_content) <= 400 for c in chunks)
    assert [c.metadata["chunk_index"] for c in chunks] == list(range(len(chunks)))
    assert all(c.metadata["source"] == "help.md" for c in chunks)


def test_markdown_that_is_only_headings_is_kept():
    doc = Document(page_content="# Title\n\n## Subtitle\n", metadata={"format": "md"})

    chunks = chunk_document(doc)

    assert len(chunks) == 1
    assert "Subtitle" in chunks[0].page_content


# --- sample knowledge base -------------------------------------------------------------------


def test_every_sample_kb_file_loads_and_chunks():
    files = iter_source_files([SAMPLE_KB])

    assert {load_document(f).metadata["format"] for f in files} == {"md", "txt", "html"}
    for path in files:
        doc = load_document(path)
        chunks = chunk_document(doc)
        assert chunks, path
        assert all(c.page_content.strip() for c in chunks), path
        assert all(len(c.page_content) <= 800 for c in chunks), path
        assert all(c.metadata["source"] == str(path) for c in chunks)
        if doc.metadata["format"] == "md":
            assert all(c.metadata["section"] for c in chunks), path


@pytest.mark.parametrize(
    ("fact", "expected_file"),
    [
        ("full refund within 14 days", "billing.md"),
        ("120 requests per minute", "api.md"),
        ("E-4012", "troubleshooting.md"),
        ("08:00 to 20:00 UTC", "support.txt"),
        ("japonês", "perguntas-frequentes.md"),
        ("Search all notes | Ctrl+Shift+F", "keyboard-shortcuts.html"),
        ("every 6 hours", "data-and-privacy.md"),
    ],
)
def test_each_sample_fact_lives_in_exactly_one_chunk(fact, expected_file):
    chunks = [
        chunk
        for path in iter_source_files([SAMPLE_KB])
        for chunk in chunk_document(load_document(path))
    ]

    holders = [c for c in chunks if fact in " ".join(c.page_content.split())]

    assert len(holders) == 1, [c.metadata for c in holders]
    assert Path(holders[0].metadata["source"]).name == expected_file


# --- hostile files ---------------------------------------------------------------------------
# Time is checked where it matters, against the server (tests/integration/
# test_hostile_documents.py); here, what each file reads as.


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("page.html", hostile.QUADRATIC_HTML),
        ("dots.md", hostile.DOTS_MD),
        ("heading.md", hostile.SPACED_HEADING_MD),
        ("malformed.html", hostile.MALFORMED_HTML),
    ],
    ids=["quadratic-html", "punctuation-run", "spaced-heading", "malformed-html"],
)
def test_hostile_text_keeps_its_text_in_bounded_chunks(name, data):
    doc = parse_document(name, data)
    chunks = chunk_document(doc, chunk_size=800, chunk_overlap=120)

    assert hostile.FACT.decode() in doc.page_content
    assert any(hostile.FACT.decode() in c.page_content for c in chunks)
    assert all(0 < len(c.page_content) <= 800 for c in chunks)


def test_a_run_of_punctuation_longer_than_a_chunk_is_cut():
    chunks = chunk_document(Document(page_content="." * 3000), chunk_size=800, chunk_overlap=0)

    assert [len(c.page_content) for c in chunks] == [800, 800, 800, 600]


@pytest.mark.parametrize(
    ("html", "text", "title"),
    [
        ("<TITLE>Big</TITLE><P>Upper &AMP; case</P>", "Upper & case", "Big"),
        ("<p>a</p><!-- <p>hidden</p> --><p>b</p>", "a\n\nb", None),
        ("<p>a</p><!-- never closed <p>hidden</p>", "a", None),
        ('<p title="x > y">kept</p>', "kept", None),
        ("<p>1 < 2 and 3 > 2</p>", "1 < 2 and 3 > 2", None),
        ("<script>if (a<b) { x = '</p>' }</script><p>shown</p>", "shown", None),
        ("<!DOCTYPE html><?xml version='1.0'?><p>ok</p><![CDATA[x]]>", "ok", None),
        ("<p>text</p><a href='unfinished", "text", None),
        ("<p>caf&eacute; &#233; &#xE9; &#0; &#xD800;</p>", "café é é \ufffd \ufffd", None),
    ],
)
def test_html_is_read_as_a_browser_shows_it(html, text, title):
    assert html_to_text(html) == (text, title)


def test_utf16_and_utf32_are_detected_by_their_byte_order_mark():
    text = "# Título\n\nReembolsos em 14 dias.\n"
    for encoding in ("utf-16", "utf-16-be", "utf-32"):
        data = text.encode(encoding)
        if encoding == "utf-16-be":
            data = codecs.BOM_UTF16_BE + data
        doc = parse_document("notas.md", data)
        assert doc.page_content == text.strip(), encoding
        assert doc.metadata["title"] == "Título"


def test_utf16_without_a_byte_order_mark_is_detected_by_its_nul_bytes():
    doc = parse_document("notes.txt", hostile.UTF16_NO_BOM_TXT)

    assert doc.page_content == hostile.FACT.decode()


def test_a_nul_byte_in_text_is_refused_saying_where():
    with pytest.raises(ValueError, match=r"manual\.txt: it has a NUL character \(at character"):
        parse_document("manual.txt", hostile.nul_part_way())


def test_a_byte_order_mark_on_invalid_utf16_is_refused():
    with pytest.raises(ValueError, match="UTF-16 byte-order mark but is not valid UTF-16"):
        parse_document("notes.md", codecs.BOM_UTF16_LE + "ok".encode("utf-16-le") + b"\x00\xdc")


def test_more_text_than_a_document_may_have_is_refused():
    with pytest.raises(ValueError, match="more than the 1,000 one document may have"):
        parse_document("big.txt", b"word " * 300, max_chars=1000)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (hostile.flate_bomb_pdf(), "LimitReachedError"),
        (hostile.huge_length_pdf(), "LimitReachedError"),
        (hostile.nested_content_pdf(), "RecursionError"),
    ],
    ids=["flate-bomb", "huge-length", "nested-stream"],
)
def test_hostile_pdfs_are_refused_naming_what_went_wrong(data, says):
    with pytest.raises(ValueError, match=rf"Cannot read bad\.pdf as PDF: {says}"):
        parse_document("bad.pdf", data)


@pytest.mark.parametrize("title", [b"5", b"[1 2]", b"<< /A 1 >>", b"7 0 R"])
def test_a_pdf_title_that_is_not_a_string_is_no_title(title):
    doc = parse_document("manual.pdf", hostile.text_pdf(b"Refunds take 14 days.", title=title))

    assert doc.page_content == "Refunds take 14 days."
    assert doc.metadata["title"] == "manual"


def test_a_pdf_title_that_is_a_string_is_the_title():
    doc = parse_document("m.pdf", hostile.text_pdf(b"Text.", title=b"(Refund policy)"))

    assert doc.metadata["title"] == "Refund policy"
