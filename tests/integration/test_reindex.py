"""Switching the embedding model: refused until `memoria reindex` has re-embedded everything."""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from cli.reindex import run_reindex
from graph.resources import Resources
from graph.routing import decision
from knowledge.ingest import ingest_paths
from memory.fact_extractors import offline_extractor
from retrievers.embeddings import build_embedder
from storage.database import Storage
from storage.identity import Identity
from storage.reindex import ModelMismatch, recorded_model
from tests.support import drain, own_database

pytestmark = pytest.mark.integration


async def test_a_model_switch_is_refused_until_reindexed_then_recall_works_again(
    service_urls, settings, tmp_path
):
    urls = own_database(service_urls, "reindex")
    old = settings.model_copy(
        update={"database_url": urls.database_url, "memoria_embedding_model": "minilm"}
    )
    new = old.model_copy(update={"memoria_embedding_model": "e5"})
    page = tmp_path / "horarios.md"
    page.write_text("# Horários\n\nA loja de Braga abre às nove da manhã, de segunda a sábado.\n")
    tenants = [f"t-{uuid.uuid4().hex[:6]}" for _ in range(2)]
    idents = [Identity(t, "ana", str(uuid.uuid4())) for t in tenants]

    async with Resources(old) as res:
        for ident in idents:
            await res.conversation.append(
                ident,
                [
                    HumanMessage("My dog is called Biscuit.", id=str(uuid.uuid4())),
                    AIMessage("Noted.", id=str(uuid.uuid4())),
                ],
            )
            await res.facts.remember(ident, "I live in Porto.", extractor=offline_extractor)
        await drain(res)
        await ingest_paths(
            pool=res.pool, kb=await res.knowledge_base(), tenant_id=tenants[0], paths=[page]
        )

    # Configured with another model, nothing opens: its queries would meet the old vectors.
    with pytest.raises(ModelMismatch, match="memoria reindex"):
        async with Resources(new):
            pass

    # One tenant at a time: the first run re-embeds one tenant and does not switch yet.
    assert await run_reindex(new, tenant=tenants[0], batch=2) == 0
    async with Storage(new) as storage, storage.owner_connection() as conn:
        assert (await recorded_model(conn))[0].startswith("all-MiniLM")
    with pytest.raises(ModelMismatch):
        async with Resources(new):
            pass
    assert await run_reindex(new, tenant=None, batch=2) == 0
    async with Storage(new) as storage, storage.owner_connection() as conn:
        assert (await recorded_model(conn))[0].startswith("multilingual-e5")
        # The half vectors the messages dense leg ranks by are the new model's too.
        stale = await conn.execute(
            "SELECT count(*) AS n FROM memory_message_half_vectors h JOIN memory_messages t"
            " ON t.langchain_id = h.message_id WHERE h.embedding <> t.embedding::halfvec"
        )
        assert (await stale.fetchone())["n"] == 0

    # The new model's vectors answer, across languages too.
    async with Resources(new) as res:
        ident = Identity(tenants[0], "ana", str(uuid.uuid4()))
        route = decision("hybrid", "test", {})
        found = await res.retriever.retrieve(ident, "Como se chama o meu cão?", route, fetch_k=5)
        assert "Biscuit" in found[0]["content"] or "Biscuit" in found[1]["content"]
        facts = await res.retriever.retrieve(
            ident, "Where do I live?", decision("cross_conversation", "test", {}), fetch_k=5
        )
        assert any(c["source"] == "facts" and "Porto" in c["content"] for c in facts)
        kb = await res.retriever.retrieve(
            ident, "When does the Braga shop open?", decision("semantic_search", "t", {}), fetch_k=5
        )
        assert kb[0]["source"] == "knowledge_base" and "nove" in kb[0]["content"]
    # Nothing left to do the second time.
    assert await run_reindex(new, tenant=None, batch=2) == 0


async def test_reindex_on_a_fresh_database_records_the_model_and_changes_nothing(
    service_urls, settings, capsys
):
    # `make run` runs `memoria reindex` before serving: on a first start it must be a no-op.
    urls = own_database(service_urls, "fresh")
    fresh = settings.model_copy(update={"database_url": urls.database_url})
    assert await run_reindex(fresh, tenant=None, batch=8) == 0
    assert "nothing to do" in capsys.readouterr().out
    async with Storage(fresh) as storage, storage.owner_connection() as conn:
        recorded = await recorded_model(conn)
        shadows = await (
            await conn.execute(
                "SELECT count(*) AS n FROM information_schema.columns "
                "WHERE column_name = 'embedding_next'"
            )
        ).fetchone()
    assert recorded is not None and recorded[1] == fresh.memoria_embedding_dims
    assert shadows["n"] == 0


@pytest.mark.parametrize("record", ["none", "the new model's"])
async def test_empty_tables_sized_for_the_old_model_are_resized_by_reindex(
    service_urls, settings, tmp_path, record
):
    # A database first started with MiniLM before models were recorded, nothing stored yet
    # (or recorded as the new model by a version that did not look at the columns): the
    # configured model's vectors would not fit its columns, so every write would fail.
    urls = own_database(service_urls, f"sized_{uuid.uuid4().hex[:6]}")
    old = settings.model_copy(
        update={"database_url": urls.database_url, "memoria_embedding_model": "minilm"}
    )
    new = old.model_copy(update={"memoria_embedding_model": "use"})
    async with Resources(old):
        pass
    async with Storage(new) as storage, storage.owner_connection() as conn:
        await conn.execute("DELETE FROM embedding_model")
        if record != "none":
            await conn.execute(
                "INSERT INTO embedding_model (model_id, dims) VALUES (%s, %s)",
                (build_embedder(new).model_id, new.memoria_embedding_dims),
            )

    with pytest.raises(ModelMismatch, match="memoria reindex"):
        async with Resources(new):
            pass
    assert await run_reindex(new, tenant=None, batch=8) == 0

    page = tmp_path / "hours.md"
    page.write_text("# Hours\n\nThe Braga shop opens at nine, Monday to Saturday.\n")
    async with Resources(new) as res:
        report = await ingest_paths(
            pool=res.pool, kb=await res.knowledge_base(), tenant_id="t-sized", paths=[page]
        )
    assert report.chunks == 1
