"""Names in a question: what a sentence vector should not be searched by."""

from __future__ import annotations

import re

# A capitalised word (and its possessive) that does not start a sentence: a name, mostly.
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZÀ-Ý][a-zà-ÿ]+(?:'s)?\b")


def without_names(question: str) -> str:
    """Return `question` without the names in it (unchanged if fewer than two words remain).

    A name dominates a sentence vector: "When did Melanie run a charity race?" lands near
    everything Melanie said, not near the race. Words legs match names exactly and the
    reranker knows who said what, so a meaning leg can search by the rest (LoCoMo,
    BENCHMARKS.md: evidence in the top 10 .809 -> .829 in-sample).
    """
    bare = " ".join(_NAME.sub("", question).split())
    return bare if len(bare.split()) >= 2 else question
