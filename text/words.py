"""Words: folding, content terms and their weights, sentences, clipping (pure)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

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


_QUOTES = str.maketrans("\u2019\u2018`\u00b4", "''''")


class _Folding(dict[int, str]):
    """`str.translate`'s table for `fold`: each character's folded form, found on first sight.

    Folding character by character in Python cost ~1 ms per turn (thousands of characters of
    passages); the table makes it one C-level pass over the text.
    """

    def __missing__(self, code: int) -> str:
        base = unicodedata.normalize("NFD", chr(code))[0]
        low = base.lower()
        folded = self[code] = low if len(low) == 1 else base
        return folded


_FOLDING = _Folding(_QUOTES)


def fold(text: str) -> str:
    """Lowercase `text` and strip its accents, one character for each character.

    'Você' and 'voce' compare equal, and curly apostrophes become straight ones. The result
    has the length of `text`, so a match found in it can be sliced from the original.
    """
    if text.isascii():  # Most passages: no accents, and `lower` is one character for one.
        return text.lower().replace("`", "'")
    return text.translate(_FOLDING)


@lru_cache(maxsize=16384)
def _terms(text: str) -> tuple[str, ...]:
    return tuple(w for w in _WORD.findall(fold(text)) if w not in STOPWORDS)


def terms(text: str) -> list[str]:
    """Return the content terms of `text`: folded words minus stop words.

    Cached: the same passages come back across a user's questions, and tokenising 40 of
    them per question costs milliseconds in Python.
    """
    return list(_terms(text))


def is_identifier(term: str) -> bool:
    """Return whether a term looks like a code or id ('e-4012', '#a-1042', 'v2'), not a year."""
    return any(ch.isdigit() for ch in term) and any(ch.isalpha() or ch == "#" for ch in term)


def term_weight(term: str) -> float:
    """Weigh identifier-like terms (with digits, e.g. 'e-4012', '#a-1042') above plain words."""
    return 3.0 if any(ch.isdigit() for ch in term) else 1.0


class QueryTerms:
    """A query's weighted content terms, computed once and matched against many passages."""

    def __init__(self, query: str) -> None:
        """Extract the content terms of `query` and their weights."""
        self.weights = {w: term_weight(w) for w in set(terms(query))}
        self.total = sum(self.weights.values())
        self.identifiers = frozenset(w for w in self.weights if is_identifier(w))

    def coverage(self, text: str) -> float:
        """Return the weighted share of the query's terms found in `text` (0-1).

        A term matches on an exact word, a shared prefix of at least five characters, or a
        word it begins with that is at most three letters longer: a cheap stand-in for
        stemming that works for English and Portuguese ("refunds"/"refund",
        "reembolso"/"reembolsos", "live"/"lives", "move"/"moved").
        """
        return self.match(text)[0]

    def match(self, text: str) -> tuple[float, bool]:
        """Return the coverage of `text` and whether it holds every identifier of the query."""
        have = _term_index(text)[0]
        named = bool(self.identifiers) and self.identifiers <= have
        return self.share(self.found(text)), named

    def found(self, text: str) -> frozenset[str]:
        """Return the query's terms that `text` matches (see `coverage`)."""
        have, prefixes, stems = _term_index(text)
        return frozenset(
            w
            for w in self.weights
            if w in have or (len(w) >= 5 and w[:5] in prefixes) or (len(w) == 4 and w in stems)
        )

    def share(self, found: frozenset[str]) -> float:
        """Return the weighted share of the query's terms that `found` holds (0-1)."""
        if not self.total:
            return 0.0
        return sum(self.weights[w] for w in found) / self.total


@lru_cache(maxsize=16384)
def _term_index(text: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Return what `QueryTerms.match` looks up in `text`: its terms, 5-letter prefixes, stems.

    A stem is the first four letters of a term of four to seven letters: a 4-letter query
    term matches exactly the terms it begins that are at most three letters longer. Cached
    by text, as `terms` is: the same ~40 passages are matched by the reranker and its
    features on every question, and building these sets was most of the matching's cost.
    """
    have = frozenset(_terms(text))
    prefixes = frozenset(w[:5] for w in have if len(w) >= 5)
    stems = frozenset(w[:4] for w in have if 4 <= len(w) <= 7)
    return have, prefixes, stems


def overlap(query: str, text: str) -> float:
    """Return the weighted share of the query's content terms found in `text` (0-1).

    Identifier-like terms weigh more: when a user types a code, the passage holding that
    code is what they want. See `QueryTerms.coverage` for how terms match.
    """
    return QueryTerms(query).coverage(text)


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
