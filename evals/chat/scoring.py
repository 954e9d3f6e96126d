"""Score one `/agent/invoke` output against what a scenario question expects.

Everything here is pure: it reads the `output` dict the API returned (LangServe wire format)
and never talks to a server, so the unit tests feed it small hand-made outputs.

Matching rule, used everywhere: both texts are normalised (Unicode NFKD, accents stripped,
case-folded, curly quotes made straight, whitespace collapsed) and the value must occur as
whole words: "Dev" is found in "my husband Dev wants" but not in "Settings > Developer",
"Porto" is found in "mudei-me para o Porto" but not in "Portorož".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Sources whose passages come from what the user said (memory), as opposed to the KB.
MEMORY_SOURCES = frozenset({"conversation", "facts", "thread"})

# Phrases that make an answer read as "I don't know" (normalised before matching). A
# documented heuristic, not a classifier: extend it when an answer abstains in words it
# does not list.
DONT_KNOW_PHRASES: tuple[str, ...] = (
    # English
    "i don't know",
    "i do not know",
    "i don't have",
    "i do not have",
    "don't know that yet",
    "you haven't told me",
    "you have not told me",
    "you haven't mentioned",
    "you never told me",
    "i couldn't find",
    "i could not find",
    "couldn't find",
    "could not find",
    "i found nothing",
    "found nothing",
    "no information",
    "i'm not sure",
    "i am not sure",
    "i don't remember",
    "i have no record",
    # Portuguese (pt-BR and pt-PT)
    "nao sei",
    "ainda nao sei",
    "nao tenho essa informacao",
    "nao tenho informacao",
    "nao encontrei",
    "nao consegui encontrar",
    "nao me disseste",
    "nao me disse",
    "voce nao me contou",
    "nao me contaste",
    "nao tenho registo",
    "nao tenho registro",
    "nao me lembro",
    "nao faco ideia",
    "sem informacao",
)

_QUOTES = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u201c": '"', "\u201d": '"'}
)
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Return `text` case-folded, without accents, with straight quotes and single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", stripped.casefold()).strip()


def contains(text: str, value: str) -> bool:
    """Return whether `value` occurs in `text` as whole words, after normalising both."""
    needle = normalise(value)
    if not needle:
        return False
    pattern = r"(?<!\w)" + re.escape(needle) + r"(?!\w)"
    return re.search(pattern, normalise(text)) is not None


def contains_any(text: str, values: Iterable[str]) -> bool:
    """Return whether any of `values` occurs in `text` (see `contains`)."""
    return any(contains(text, value) for value in values)


def message_text(message: Any) -> str:
    """Return the text of one serialised LangChain message, whatever its wire shape.

    Accepts the flat shape memoria returns (`{"type": "ai", "content": ...}`), LangChain's
    `dumpd` shape (`{"lc": 1, "kwargs": {"content": ...}}`) and `messages_to_dict`'s
    (`{"type": ..., "data": {"content": ...}}`); list content keeps its text parts.
    """
    if isinstance(message, str):
        return message
    if not isinstance(message, Mapping):
        return ""
    content: Any = message.get("content")
    for nested in ("kwargs", "data"):
        if content is None and isinstance(message.get(nested), Mapping):
            content = message[nested].get("content")
    if isinstance(content, list):
        parts = [
            p if isinstance(p, str) else p.get("text", "")
            for p in content
            if isinstance(p, str | Mapping)
        ]
        return "".join(parts)
    return content if isinstance(content, str) else ""


def answer_text(output: Mapping[str, Any]) -> str:
    """Return the answer: the text of the last message in `output["messages"]`."""
    messages = output.get("messages") or []
    return message_text(messages[-1]) if messages else ""


def citations(output: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the output's citations in the order the answer cites them."""
    return [c for c in output.get("citations") or [] if isinstance(c, Mapping)]


def context_by_id(output: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the passages given to the answer, by id."""
    items = output.get("context") or []
    return {str(item.get("id")): item for item in items if isinstance(item, Mapping)}


def citation_text(citation: Mapping[str, Any], context: Mapping[str, Mapping[str, Any]]) -> str:
    """Return what a citation holds: its snippet plus the cited passage's whole content."""
    item = context.get(str(citation.get("id"))) or {}
    return f"{citation.get('snippet') or ''}\n{item.get('content') or ''}"


def in_context(output: Mapping[str, Any], values: Sequence[str]) -> bool:
    """Return whether any passage given to the answer holds one of `values`."""
    return any(
        contains_any(str(item.get("content") or ""), values)
        for item in output.get("context") or []
        if isinstance(item, Mapping)
    )


def holds(
    citation: Mapping[str, Any],
    context: Mapping[str, Mapping[str, Any]],
    values: Sequence[str],
    *,
    unless: Sequence[str] = (),
) -> bool:
    """Return whether a citation holds one of `values` and none of `unless`."""
    text = citation_text(citation, context)
    return contains_any(text, values) and not contains_any(text, unless)


def first_cited_holds(
    output: Mapping[str, Any], values: Sequence[str], *, unless: Sequence[str] = ()
) -> bool:
    """Return whether the FIRST citation holds one of `values` (and none of `unless`)."""
    cites = citations(output)
    return bool(cites) and holds(cites[0], context_by_id(output), values, unless=unless)


def any_cited_holds(
    output: Mapping[str, Any], values: Sequence[str], *, unless: Sequence[str] = ()
) -> bool:
    """Return whether any citation holds one of `values` (and none of `unless`)."""
    context = context_by_id(output)
    return any(holds(c, context, values, unless=unless) for c in citations(output))


def says_dont_know(answer: str) -> bool:
    """Return whether `answer` contains one of `DONT_KNOW_PHRASES` (as whole words)."""
    return contains_any(answer, DONT_KNOW_PHRASES)


def abstention(output: Mapping[str, Any]) -> dict[str, bool]:
    """Judge an answer to a question about something the user never told.

    Heuristic: the answer abstained when it cites nothing from memory (no citation whose
    source is conversation, facts or thread) AND either cites nothing at all or says so in
    words (`says_dont_know`). Quoting knowledge-base passages without saying "I don't know"
    is not an abstention; neither is a "don't know" next to a quoted past message.
    """
    cites = citations(output)
    cited_memory = any(c.get("source") in MEMORY_SOURCES for c in cites)
    dont_know = says_dont_know(answer_text(output))
    return {
        "abstained": not cited_memory and (not cites or dont_know),
        "cited_memory": cited_memory,
        "said_dont_know": dont_know,
        "no_citations": not cites,
    }


def cites_document(
    citation: Mapping[str, Any], context: Mapping[str, Mapping[str, Any]], doc: str
) -> bool:
    """Return whether a citation comes from the knowledge-base file named `doc`."""
    item = context.get(str(citation.get("id"))) or {}
    meta = item.get("metadata") or {}
    if str(meta.get("source") or "").casefold() == doc.casefold():
        return True
    return doc.casefold() in str(citation.get("title") or "").casefold()


def kb_scores(output: Mapping[str, Any], doc: str, expect: str) -> dict[str, bool]:
    """Score a knowledge-base question: is the right document cited, first or at all?

    `first_right`: the first citation names `doc` (title or its passage's metadata source)
    or its snippet holds `expect`. `any_right`: some citation does. `in_context`: a passage
    from `doc` holding `expect` was given to the answer.
    """
    context = context_by_id(output)
    cites = citations(output)

    def right(c: Mapping[str, Any]) -> bool:
        return cites_document(c, context, doc) or contains(str(c.get("snippet") or ""), expect)

    passages = [
        i
        for i in context.values()
        if str((i.get("metadata") or {}).get("source") or "").casefold() == doc.casefold()
    ]
    return {
        "first_right": bool(cites) and right(cites[0]),
        "any_right": any(right(c) for c in cites),
        "in_context": any(contains(str(i.get("content") or ""), expect) for i in passages),
    }


def first_citation_summary(output: Mapping[str, Any], width: int = 160) -> dict[str, Any] | None:
    """Return what was cited first (source, title, start of the snippet), for failure lists."""
    cites = citations(output)
    if not cites:
        return None
    first = cites[0]
    snippet = _SPACE.sub(" ", str(first.get("snippet") or "")).strip()
    return {
        "source": first.get("source"),
        "title": first.get("title"),
        "snippet": snippet[:width] + ("…" if len(snippet) > width else ""),
    }


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the `q`-th percentile (0-100) of `values`, linearly interpolated; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def fact_scores(
    output: Mapping[str, Any], expect: Sequence[str], stale: Sequence[str] = ()
) -> dict[str, bool]:
    """Score a question about a told fact; with `stale`, also the changed fact's old value.

    `in_context`: a passage given to the answer holds an expected value. `first_cited` /
    `any_cited`: the first / some citation does (its snippet or its cited passage);
    `first_snippet`: the first citation's snippet itself shows it (what a reader sees). With
    `stale`: `stale_first` / `stale_cited` when the first / some citation holds the old
    value WITHOUT the new one ("we moved from Leeds to Manchester" is not stale), and
    `stale_in_context` when any passage holds the old value.
    """
    cites = citations(output)
    scores = {
        "in_context": in_context(output, expect),
        "first_cited": first_cited_holds(output, expect),
        "first_snippet": bool(cites) and contains_any(str(cites[0].get("snippet") or ""), expect),
        "any_cited": any_cited_holds(output, expect),
    }
    if stale:
        scores["stale_first"] = first_cited_holds(output, stale, unless=expect)
        scores["stale_cited"] = any_cited_holds(output, stale, unless=expect)
        scores["stale_in_context"] = in_context(output, stale)
    return scores
