"""memoria's Python SDK: the memory API from your own code (`Client`, `AsyncClient`).

`from memoria import Client`; `memoria.retriever.MemoriaRetriever` is a LangChain retriever
over memory search. The SDK talks HTTP only: it imports nothing of the server.
"""

from memoria.client import AsyncClient, Client, MemoriaError
from memoria.models import AddResult, Memory, SearchResult

__all__ = ["AddResult", "AsyncClient", "Client", "Memory", "MemoriaError", "SearchResult"]
