"""Loading and chunking knowledge-base files: formats, path expansion, chunk bounds, sample KB."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.documents import Document

from knowledge.chunking import chunk_document
from knowledge.loaders import SUPPORTED_SUFFIXES, iter_source_files, load_document, parse_document

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


def test_unbreakable_word_gets_its_own_chunk_and_nothing_is_empty():
    token = "x" * 50
    doc = Document(page_content=f"short words before {token} and short words after")

    chunks = [c.page_content for c in chunk_document(doc, chunk_size=20, chunk_overlap=5)]

    assert token in chunks
    assert all(c and (len(c) <= 20 or c == token) for c in chunks)
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
