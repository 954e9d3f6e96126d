"""A LangChain retriever over memoria's memory search, to drop into your own chain.

```python
from memoria import AsyncClient, Client
from memoria.retriever import MemoriaRetriever

retriever = MemoriaRetriever(client=Client(url, api_key=key, user_id="ana"), k=4)
docs = retriever.invoke("where do I live?")  # Documents with score and provenance metadata
```
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from memoria.client import AsyncClient, Client
from memoria.models import Kind, SearchResult


def as_document(result: SearchResult) -> Document:
    """Return a search result as a Document: its text, with id, kind, scores and provenance."""
    metadata = {
        "id": result.id,
        "kind": result.kind,
        "score": result.score,
        "scores": result.scores,
        **result.provenance,
    }
    return Document(page_content=result.text, metadata=metadata, id=result.id)


class MemoriaRetriever(BaseRetriever):
    """Searches one user's memory (facts and past messages by default) through the API.

    Give it a `Client` for `invoke` and an `AsyncClient` for `ainvoke` (either or both).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    client: Client | None = None
    """Used by `invoke`."""
    async_client: AsyncClient | None = None
    """Used by `ainvoke`; without one, `ainvoke` runs `client` in a thread."""
    k: int = 5
    """Most documents returned."""
    kinds: tuple[Kind, ...] = ("fact", "message")
    """What to search: facts, past messages, knowledge-base documents."""
    user_id: str | None = None
    """The user whose memory; the client's by default."""
    thread_id: str | None = None
    """Only results from this thread."""

    def _options(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "kinds": self.kinds,
            "thread_id": self.thread_id,
            "user_id": self.user_id,
        }

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        if self.client is None:
            raise ValueError("MemoriaRetriever needs client=Client(...) for invoke")
        return [as_document(r) for r in self.client.search(query, **self._options())]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        if self.async_client is None:
            return await super()._aget_relevant_documents(query, run_manager=run_manager)
        found = await self.async_client.search(query, **self._options())
        return [as_document(r) for r in found]
