"""A worker in its own process reuses the vector a turn's router left in Redis."""

from __future__ import annotations

import uuid

from graph.resources import Resources
from retrievers.embeddings import CachedEmbeddings, StoredTextEmbeddings
from storage.tenancy import tenant_scope


async def test_a_worker_apart_reuses_its_tenants_question_vector_from_redis(
    resources: Resources,
):
    model = resources.embeddings.inner
    speed = resources.storage.speed
    server = CachedEmbeddings(model, speed=speed, model_id=model.model_id)
    worker = CachedEmbeddings(model, speed=speed, model_id=model.model_id)  # another process
    tenant, other = f"reuse-{uuid.uuid4().hex[:8]}", f"reuse-{uuid.uuid4().hex[:8]}"
    text = f"I moved to Porto last summer ({uuid.uuid4().hex[:6]})."
    with tenant_scope(tenant):
        asked = await server.aembed_query(text)
    await speed.settle()
    stored = StoredTextEmbeddings(worker)
    with tenant_scope(tenant):
        [reused] = await stored.aembed_documents([text])
        assert await worker.recalled_questions([text]) == [reused]
    with tenant_scope(other):  # another tenant's same words: nothing of the first is read
        assert await worker.recalled_questions([text]) == [None]
        [computed] = await stored.aembed_documents([text])
    assert reused == asked
    assert len(computed) == len(asked)
    with tenant_scope(tenant):  # and the worker stored nothing of its own
        assert worker._recall(text) is None
        await server.forget([text])
        assert await worker.recalled_questions([text]) == [None]
