"""Embedding models that ship in pip wheels, one module each, chosen by `MEMORIA_EMBEDDING_MODEL`.

Each is a LangChain `Embeddings` (queries through `embed_query`, stored texts through
`embed_documents`: asymmetric models embed them differently) with the facts memoria needs
about it: a stable id for cache keys and the stored-vector record, its dimensions, and the
similarities that mean something for it (`Calibration`: cosines of one model are not
comparable with another's). Models load lazily, off the event loop, on first use.
"""

from __future__ import annotations

from retrievers.embedders.base import Calibration, Embedder
from retrievers.embedders.e5 import E5Small
from retrievers.embedders.minilm import MiniLM
from retrievers.embedders.use import UniversalSentenceEncoder

# `MEMORIA_EMBEDDING_MODEL` -> the class that loads it.
EMBEDDERS: dict[str, type[Embedder]] = {
    "minilm": MiniLM,
    "e5": E5Small,
    "use": UniversalSentenceEncoder,
}

__all__ = ["EMBEDDERS", "Calibration", "Embedder"]
