from langchain_core.embeddings import Embeddings

from retrievers.embeddings import CachedEmbeddings


class CountingEmbeddings(Embeddings):
    """A deterministic stand-in model that counts how often it runs (no network, no weights)."""

    def __init__(self) -> None:
        self.calls = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += len(texts)
        return [[float(len(t)), 1.0] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        self.calls += 1
        return [float(len(text)), 1.0]


async def test_a_question_is_embedded_once_however_many_stages_ask():
    inner = CountingEmbeddings()
    cached = CachedEmbeddings(inner)
    first = await cached.aembed_query("where do I live?")
    again = [await cached.aembed_query("where do I live?") for _ in range(3)]
    assert inner.calls == 1 and all(v == first for v in again)


def test_least_recently_used_queries_are_evicted():
    inner = CountingEmbeddings()
    cached = CachedEmbeddings(inner, maxsize=2)
    for text in ("a", "b", "a", "c", "a", "b"):
        cached.embed_query(text)
    assert inner.calls == 4  # a, b, c, then b again after c evicted it


def test_documents_are_never_cached():
    inner = CountingEmbeddings()
    cached = CachedEmbeddings(inner)
    cached.embed_documents(["x", "x"])
    cached.embed_documents(["x"])
    assert inner.calls == 3


async def test_the_worker_reuses_its_tenants_question_vectors_and_caches_nothing():
    from retrievers.embedders.use import UniversalSentenceEncoder
    from retrievers.embeddings import StoredTextEmbeddings
    from storage.tenancy import tenant_scope

    cached = CachedEmbeddings(UniversalSentenceEncoder())
    with tenant_scope("acme"):
        question = await cached.aembed_query("I moved to Porto last summer.")
    stored = StoredTextEmbeddings(cached)
    with tenant_scope("acme"):
        reused, fresh = await stored.aembed_documents(
            ["I moved to Porto last summer.", "My sister came too."]
        )
    with tenant_scope("globex"):  # another tenant's same words: computed, not reused
        [computed] = await stored.aembed_documents(["I moved to Porto last summer."])
    assert reused is question
    assert computed is not question and len(computed) == len(question)
    assert len(fresh) == len(question)
    with tenant_scope("acme"):  # the stored texts' vectors went into no cache
        assert cached._recall("My sister came too.") is None


class BatchingEmbeddings(CountingEmbeddings):
    """Counts model calls too: `aembed_queries` embeds a batch in one call, as `Embedder` does."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    async def aembed_queries(self, texts: list[str]) -> list[list[float]]:
        self.batches.append(list(texts))
        return [self.embed_query(t) for t in texts]


async def test_a_question_and_its_name_stripped_twin_take_one_model_call():
    from text.names import without_names

    inner = BatchingEmbeddings()
    cached = CachedEmbeddings(inner)
    question = "When did Melanie run a charity race?"
    vector, was_cached = await cached.aembed_query_cached(question)
    # The messages meaning leg then asks for the twin: already there, no second model call.
    twin = await cached.aembed_query(without_names(question))
    assert inner.batches == [[question, without_names(question)]]
    assert not was_cached and inner.calls == 2
    assert twin == [float(len(without_names(question))), 1.0]
    assert vector == [float(len(question)), 1.0]


async def test_a_question_without_names_is_embedded_alone():
    inner = BatchingEmbeddings()
    cached = CachedEmbeddings(inner)
    await cached.aembed_query_cached("where do I live?")
    assert inner.batches == [["where do I live?"]]
