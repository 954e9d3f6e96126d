"""Small text utilities shared by the router, reranker, responder and summariser (pure)."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[\w#][\w#@.+-]*\w|\w", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")

STOPWORDS = frozenset(
    """
    a an and are as at be but by can could did do does for from had has have how i i'm if in
    into is it its just me my of on or our so than that the their them then there these they
    this to too us was we were what when where which who why will with would you your yours
    about tell know please want said say
    o os as um uma uns umas e é de do da dos das em no na nos nas por para com que se eu me
    meu minha meus minhas tu te teu tua você voce vocês seu sua ao aos à às foi ser são está
    estou qual quais quando onde como quem isso isto esse essa este esta mais mas ou sobre
    """.split()
)


def fold(text: str) -> str:
    """Lowercase and strip accents, so 'Você' and 'voce' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def terms(text: str) -> list[str]:
    """Return the content terms of `text`: folded words minus stop words."""
    return [w for w in _WORD.findall(fold(text)) if w not in STOPWORDS]


def term_weight(term: str) -> float:
    """Weigh identifier-like terms (with digits, e.g. 'e-4012', '#a-1042') above plain words."""
    return 3.0 if any(ch.isdigit() for ch in term) else 1.0


def overlap(query: str, text: str) -> float:
    """Return the weighted share of the query's distinct content terms found in `text` (0-1).

    A term matches on an exact word or a shared prefix of at least five characters, a cheap
    stand-in for stemming that works for English and Portuguese ("refunds"/"refund",
    "reembolso"/"reembolsos"). Identifier-like terms weigh more: when a user types a code,
    the passage holding that code is what they want.
    """
    wanted = set(terms(query))
    if not wanted:
        return 0.0
    have = set(terms(text))
    prefixes = {w[:5] for w in have if len(w) >= 5}
    total = sum(term_weight(w) for w in wanted)
    hits = sum(term_weight(w) for w in wanted if w in have or (len(w) >= 5 and w[:5] in prefixes))
    return hits / total


def sentences(text: str) -> list[str]:
    """Split text into sentences and lines, dropping empty pieces."""
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def approx_tokens(text: str) -> int:
    """Estimate tokens offline: about four characters per token for English and Portuguese."""
    return max(1, len(text) // 4)


def clip(text: str, limit: int) -> str:
    """Shorten `text` to at most `limit` characters at a word boundary, marking the cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"
