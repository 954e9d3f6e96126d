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
