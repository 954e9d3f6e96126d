"""Which language a text is in: English or Portuguese, offline (py3langid's model, in its wheel).

memoria speaks English and Portuguese: texts are told apart between those two, and a text
too short to tell (a confidence under `MIN_CONFIDENCE`: "ok", "sim") has no language of its
own; the caller keeps the one it knew (the conversation's), or none. Each language names the
Postgres text-search configuration its words are stemmed with.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any, Literal

Language = Literal["en", "pt"]
LANGUAGES: tuple[Language, ...] = ("en", "pt")
# Below this (0.5 is a coin toss between two) a guess was wrong often enough on 1-2-word
# messages to be worse than no guess; above it, every test message was right.
MIN_CONFIDENCE = 0.7
# Text-search configuration of each language; "simple" (no stemming) for unknown ones.
TS_CONFIGS: dict[str, str] = {"en": "english", "pt": "portuguese"}

_lock = threading.Lock()


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def load() -> None:
    """Load the identifier now (blocking, ~0.5 s): servers do it at startup, off their loop."""
    with _lock:
        _identifier()


def detect(text: str) -> Language | None:
    """Return the language of `text`, or None when it is too short or unclear to tell."""
    if not text.strip():
        return None
    with _lock:  # one identifier, loaded once (~0.5 s); a call takes ~25 µs
        language, confidence = _identifier().classify(text)
    return language if confidence >= MIN_CONFIDENCE else None


def ts_config(language: str | None) -> str:
    """Return the text-search configuration for `language` ("simple" when unknown)."""
    return TS_CONFIGS.get(language or "", "simple")


def query_configs(language: str | None) -> list[str]:
    """Return the configurations a question's words are stemmed with to meet stored rows.

    Its language's (every language's when unknown), and "simple": names, codes and the rows
    too short to have a language keep their words unstemmed.
    """
    if language in TS_CONFIGS:
        return [TS_CONFIGS[language], "simple"]
    return [*TS_CONFIGS.values(), "simple"]


def row_language(text: str) -> str:
    """Return what a stored row's `lang` column holds: its language, or "simple"."""
    return detect(text) or "simple"
