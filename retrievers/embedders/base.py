"""What every embedding model offers beyond LangChain's `Embeddings`."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

from langchain_core.embeddings import Embeddings


@dataclass(frozen=True)
class Calibration:
    """Cosine similarities that mean something for one model (measured, see BENCHMARKS.md).

    Attributes:
        route_min: A question at least this close to a strategy's example utterances may be
            routed by them.
        route_strict: Strategies that skip the knowledge base need this much.
        on_topic: A passage this close to the question is on its topic without a shared word.
        evidence: The best passage must be this close for the offline responder to answer
            from it rather than say it does not know yet.
    """

    route_min: float
    route_strict: float
    on_topic: float
    evidence: float


class Embedder(Embeddings):
    """A local embedding model: LangChain's interface, its identity and its calibration."""

    name: ClassVar[str]
    """The `MEMORIA_EMBEDDING_MODEL` value that selects it."""
    dims: ClassVar[int]
    calibration: ClassVar[Calibration]
    symmetric: ClassVar[bool] = False
    """Whether a question and a stored text of the same words get the same vector."""

    def __init__(self) -> None:
        """Record nothing but a lock: the model loads on first use."""
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """Model, precision and dimensions: keys cached vectors and records stored ones."""
        raise NotImplementedError

    def _load(self) -> Any:
        """Load the model (seconds at most; blocking)."""
        raise NotImplementedError

    def _queries(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    def _passages(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    @property
    def model(self) -> Any:
        """Return the loaded model, loading it first if need be (once, thread-safe)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    async def aload(self) -> None:
        """Load the model off the event loop, once."""
        if self._model is None:
            await asyncio.to_thread(lambda: self.model)

    def embed_query(self, text: str) -> list[float]:
        """Embed a question."""
        return self._queries([text])[0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts to store and search."""
        return self._passages(texts) if texts else []

    async def aembed_query(self, text: str) -> list[float]:
        """Embed a question off the event loop."""
        await self.aload()
        return await asyncio.to_thread(self.embed_query, text)

    async def aembed_queries(self, texts: list[str]) -> list[list[float]]:
        """Embed several questions in one model call, off the event loop.

        A batch shares the model's fixed costs (USE streams its weights once per batch: a
        question and its name-stripped twin take ~3.8 ms together, ~3 ms alone) and one
        thread hop.
        """
        await self.aload()
        return await asyncio.to_thread(self._queries, texts)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts to store, off the event loop."""
        await self.aload()
        return await asyncio.to_thread(self.embed_documents, texts)
