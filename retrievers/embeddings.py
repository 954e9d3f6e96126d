"""The configured embedding model, and the caches in front of it (in-process and Redis)."""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
from langchain_core.embeddings import Embeddings
from redis.asyncio import Redis

from configs.settings import Settings
from knowledge import chunks
from memory import facts, message_index
from retrievers.embedders import EMBEDDERS, Embedder
from retrievers.embedders.minilm import MiniLM
from storage.identity import redis_key
from storage.metrics import CACHE_LOOKUPS
from storage.speed import SpeedLayer
from storage.tenancy import current_scope
from text.acts import statement_sentences
from text.names import without_names
from text.said_of_user import mentions_others, said_of_user

logger = logging.getLogger(__name__)


def build_embedder(settings: Settings) -> Embedder:
    """Return the configured embedding model, not loaded yet."""
    cls = EMBEDDERS[settings.memoria_embedding_model]
    if cls is MiniLM:
        return MiniLM(settings.memoria_embedding_model_path, settings.memoria_embedding_quantize)
    return cls()


# Every table whose rows carry a vector of the configured model (re-embedded together).
VECTOR_TABLES = (message_index.REINDEX, chunks.REINDEX, facts.REINDEX)


def legacy_model(settings: Settings) -> tuple[str, int]:
    """Return the model that made vectors stored before models were recorded: MiniLM."""
    minilm = MiniLM(settings.memoria_embedding_model_path, settings.memoria_embedding_quantize)
    return minilm.model_id, minilm.dims


# Set while a private turn (memory off, incognito) embeds: its texts are kept in no cache.
_private: ContextVar[bool] = ContextVar("memoria_private_embedding", default=False)


@contextmanager
def private() -> Iterator[None]:
    """Embed in the block without storing any vector in either cache tier (reads still hit)."""
    token = _private.set(True)
    try:
        yield
    finally:
        _private.reset(token)


class CachedEmbeddings(Embeddings):
    """Query embeddings remembered in-process; with a speed layer, also in Redis.

    The router and the dense legs embed the same question; on a small CPU each embedding
    costs milliseconds, so a turn embeds its question once (in-process LRU). With Redis,
    query and document vectors are shared across processes and restarts, keyed by tenant,
    model, dimensions, kind (question or stored text: some models embed them differently)
    and a hash of the text (never the text itself).

    Both tiers are per tenant (the task's bound tenant, storage/tenancy.py): a hit, its
    speed or a hit counter would otherwise tell one tenant that another sent the same words.
    """

    name = "embedding_cache"

    def __init__(
        self,
        inner: Embedder,
        *,
        maxsize: int = 2048,
        speed: SpeedLayer | None = None,
        model_id: str = "",
        ttl_s: int = 7 * 24 * 3600,
    ) -> None:
        """Wrap `inner`.

        Args:
            inner: The model (its calibration travels with it).
            maxsize: Query vectors kept in-process (least recently used go first).
            speed: Redis speed layer for the shared tier; None keeps only the in-process one.
            model_id: Model and dimensions, part of every Redis key (e.g. "all-MiniLM-L6-v2:384").
            ttl_s: Seconds a vector lives in Redis.
        """
        self.inner = inner
        self._maxsize = maxsize
        self._cache: OrderedDict[tuple[str, str], list[float]] = OrderedDict()
        self._speed = speed
        self._model_id = model_id
        self._ttl_s = ttl_s

    def key(self, text: str, kind: str = "q", tenant_id: str | None = None) -> str:
        """Return the Redis key of `text`'s vector as a question ("q") or stored text ("p").

        Args:
            text: The embedded text.
            kind: "q" or "p".
            tenant_id: Whose vector; the task's bound tenant when None.
        """
        digest = hashlib.sha256(text.encode()).hexdigest()
        tenant = current_scope() if tenant_id is None else tenant_id
        return redis_key(tenant, "emb", self._model_id, kind, digest)

    def _recall(self, text: str) -> list[float] | None:
        slot = (current_scope(), text)
        if (hit := self._cache.get(slot)) is not None:
            self._cache.move_to_end(slot)
        return hit

    def _remember(self, text: str, vector: list[float]) -> list[float]:
        if _private.get():
            return vector
        slot = (current_scope(), text)
        self._cache[slot] = vector
        self._cache.move_to_end(slot)
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
        if (hit := self._recall(text)) is not None:
            return hit
        [vector], _ = await self._shared([text], self.inner.aembed_query, kind="q")
        return self._remember(text, vector)

    async def aembed_query_cached(self, text: str) -> tuple[list[float], bool]:
        """Return a turn's question's embedding and whether a cache held it (see `aembed_query`).

        Its name-stripped twin (`text.names`), which the messages meaning leg searches by, is
        looked up in the same Redis round trip and embedded in the same model call, so that
        leg finds its vector in-process instead of waiting for a second model call.
        """
        if (hit := self._recall(text)) is not None:
            return hit, True
        texts = [text]
        if (twin := without_names(text)) != text and self._recall(twin) is None:
            texts.append(twin)
        vectors, missing = await self._shared(texts, self._embed_questions, kind="q", batch=True)
        for other, vector in zip(texts[1:], vectors[1:], strict=True):
            self._remember(other, vector)
        return self._remember(text, vectors[0]), 0 not in missing

    async def _embed_questions(self, texts: list[str]) -> list[list[float]]:
        """Embed questions in one model call when the model offers one (`Embedder`)."""
        if (batch := getattr(self.inner, "aembed_queries", None)) is not None:
            return await batch(texts)
        return [await self.inner.aembed_query(t) for t in texts]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents with the wrapped model."""
        return self.inner.embed_documents(texts)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents, reusing vectors Redis holds for the same model and text."""

        async def embed_batch(batch: list[str]) -> list[list[float]]:
            return await self.inner.aembed_documents(batch)

        vectors, _ = await self._shared(texts, embed_batch, batch=True, kind="p")
        return vectors

    async def _shared(
        self,
        texts: list[str],
        embed,  # noqa: ANN001
        *,
        kind: str,
        batch: bool = False,
    ) -> tuple[list[list[float]], list[int]]:
        """Look `texts` up in Redis, embed the misses with `embed`, store them back.

        Returns the vectors and the positions of those the model had to compute.
        """
        if self._speed is None or not texts:
            vectors = await embed(texts) if batch else [await embed(t) for t in texts]
            return vectors, list(range(len(texts)))
        keys = [self.key(t, kind) for t in texts]
        vectors = await self._stored(keys)
        missing = [i for i, v in enumerate(vectors) if v is None]
        CACHE_LOOKUPS.labels("embedding", "hit").inc(len(texts) - len(missing))
        if missing:
            CACHE_LOOKUPS.labels("embedding", "miss").inc(len(missing))
            todo = [texts[i] for i in missing]
            fresh = await embed(todo) if batch else [await embed(t) for t in todo]
            for i, vector in zip(missing, fresh, strict=True):
                vectors[i] = vector
            if _private.get():
                return vectors, missing  # type: ignore[return-value]

            async def store(redis: Redis) -> None:
                async with redis.pipeline(transaction=False) as pipe:
                    for i in missing:
                        blob = np.asarray(vectors[i], dtype=np.float32).tobytes()
                        pipe.set(keys[i], blob, ex=self._ttl_s)
                    await pipe.execute()

            self._speed.write_behind("embedding.write", store)
        return vectors, missing  # type: ignore[return-value]

    async def _stored(self, keys: list[str]) -> list[list[float] | None]:
        """Return the vectors Redis holds under `keys` (None where it holds none)."""
        assert self._speed is not None
        found = await self._speed.run("embedding.read", lambda r: r.mget(keys), None)
        if found is None:
            CACHE_LOOKUPS.labels("embedding", "unavailable").inc(len(keys))
            return [None] * len(keys)
        return [np.frombuffer(raw, dtype=np.float32).tolist() if raw else None for raw in found]

    async def recalled_questions(self, texts: list[str]) -> list[list[float] | None]:
        """Return the vectors of `texts` asked as questions in this tenant, where remembered.

        Reads the in-process tier, then Redis for the rest; stores nothing anywhere.
        """
        known = [self._recall(text) for text in texts]
        missing = [i for i, v in enumerate(known) if v is None]
        if self._speed is not None and missing:
            stored = await self._stored([self.key(texts[i], "q") for i in missing])
            return _merged(known, missing, stored)  # type: ignore[arg-type]
        return known

    async def forget_user(self, tenant_id: str, user_id: str, questions: Sequence[str]) -> int:
        """Drop the vectors of a user's messages `questions`; return the Redis keys gone.

        Keyed by tenant and text: each message whole (asked as a question) and the statement
        sentences the answer gate embeds from it (`graph.semantic_evidence`), including those
        of its clauses about the user alone, which gates before session 10 cached too.
        """
        own = (said_of_user(text) for text in questions if mentions_others(text))
        pieces = (s for text in [*questions, *own] for s in statement_sentences(text))
        return await self.forget(list(dict.fromkeys([*questions, *pieces])), tenant_id=tenant_id)

    async def forget(self, texts: list[str], *, tenant_id: str | None = None) -> int:
        """Drop `texts`' vectors from both tiers; return how many Redis keys were deleted.

        Args:
            texts: The embedded texts.
            tenant_id: Whose vectors; the task's bound tenant when None.
        """
        tenant = current_scope() if tenant_id is None else tenant_id
        # The messages leg embeds a question without its names (`text.names`): that vector
        # is the text's too.
        texts = list(dict.fromkeys([*texts, *map(without_names, texts)]))
        for text in texts:
            self._cache.pop((tenant, text), None)
        if self._speed is None or not texts:
            return 0
        keys = [self.key(t, kind, tenant) for t in texts for kind in ("q", "p")]
        await self._speed.settle()  # A write still in flight must not outlive the delete.
        return int(await self._speed.run("embedding.forget", lambda r: r.unlink(*keys), 0))


class StoredTextEmbeddings(Embeddings):
    """Stored texts embedded by the model, reusing a question's vector its turn just made.

    The outbox worker embeds each user message it indexes; with a symmetric model that is the
    vector the turn's router already computed for the same words, which `questions` holds
    under the task's tenant: in-process when the worker runs in the server, in Redis when it
    runs apart. Those are only read, and nothing is stored: a stored text's view (a message
    with the one before it) never enters a cache, as forgetting a user finds cached vectors
    only by the user's messages and the statement sentences cut from them (`forget_user`).
    """

    def __init__(self, questions: CachedEmbeddings) -> None:
        """Embed with `questions.inner`, reusing what `questions` remembers for this tenant."""
        self.questions = questions
        self.inner = questions.inner

    def _known(self, texts: list[str]) -> list[list[float] | None]:
        if not self.inner.symmetric:
            return [None] * len(texts)
        return [self.questions._recall(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        """Embed a question with the model."""
        return self.inner.embed_query(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts to store: questions already embedded from memory, the rest by the model."""
        known = self._known(texts)
        missing = [i for i, v in enumerate(known) if v is None]
        fresh = self.inner.embed_documents([texts[i] for i in missing]) if missing else []
        return _merged(known, missing, fresh)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts to store, off the event loop for what the model must compute."""
        symmetric = self.inner.symmetric
        known = await self.questions.recalled_questions(texts) if symmetric else [None] * len(texts)
        missing = [i for i, v in enumerate(known) if v is None]
        fresh = await self.inner.aembed_documents([texts[i] for i in missing]) if missing else []
        return _merged(known, missing, fresh)


def _merged(
    known: list[list[float] | None], missing: list[int], fresh: list[list[float]]
) -> list[list[float]]:
    for i, vector in zip(missing, fresh, strict=True):
        known[i] = vector
    return known  # type: ignore[return-value]
