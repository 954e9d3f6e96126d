"""The bundled embedding models: the sizes storage is built for, and what each can match."""

from __future__ import annotations

import asyncio
import tracemalloc
import typing

import numpy as np
import pytest

from configs.settings import EMBEDDING_DIMS, Settings
from retrievers.embedders import EMBEDDERS


def test_every_selectable_model_has_an_embedder_and_a_column_size_that_matches_it():
    selectable = typing.get_args(Settings.model_fields["memoria_embedding_model"].annotation)
    assert set(selectable) == set(EMBEDDERS) == set(EMBEDDING_DIMS)
    for name, embedder in EMBEDDERS.items():
        assert embedder.name == name
        assert embedder.dims == EMBEDDING_DIMS[name]


@pytest.fixture(scope="module", params=sorted(EMBEDDERS))
def embedder(request):
    return EMBEDDERS[request.param]()


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_vectors_have_the_declared_size_and_a_stable_model_id(embedder):
    query = embedder.embed_query("where do I live?")
    passages = embedder.embed_documents(["I live in Porto.", "My dog is called Rex."])
    assert len(query) == embedder.dims and all(len(p) == embedder.dims for p in passages)
    assert str(embedder.dims) in embedder.model_id
    assert embedder.model_id == type(embedder)().model_id


def test_a_question_is_closer_to_the_statement_that_answers_it(embedder):
    query = embedder.embed_query("What is my dog called?")
    answer, other = embedder.embed_documents(
        ["My dog is called Rex.", "The invoice is due at the end of the month."]
    )
    assert cosine(query, answer) > cosine(query, other) + 0.1


@pytest.mark.parametrize("name", ["use", "e5"])
def test_multilingual_models_match_a_portuguese_question_to_an_english_statement(name):
    embedder = EMBEDDERS[name]()
    query = embedder.embed_query("Como se chama o meu cão?")
    answer, other = embedder.embed_documents(
        ["My dog is called Rex.", "The invoice is due at the end of the month."]
    )
    assert cosine(query, answer) > cosine(query, other) + 0.1


def test_a_model_called_symmetric_gives_a_question_and_a_stored_text_one_vector(embedder):
    # The outbox worker reuses a turn's question vector for the stored message on this word.
    text = "Last summer I moved to Porto with my sister."
    same = cosine(embedder.embed_query(text), embedder.embed_documents([text])[0]) > 0.9999
    assert same == embedder.symmetric


@pytest.mark.parametrize("name", ["use", "e5"])
def test_a_loaded_model_answers_the_first_question_without_loading_weights(name):
    # Servers load the model at startup (`aload`); the first turns used to read USE's 65 MB
    # of weights themselves, each its own copy, and waited seconds (the two-server p99).
    embedder = EMBEDDERS[name]()
    asyncio.run(embedder.aload())
    tracemalloc.start()
    try:
        embedder.embed_query("where do I live?")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20
