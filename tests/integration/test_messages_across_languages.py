"""A user's messages asked about in the other language, over real Postgres: what they said wins.

Users switch language between threads: told in English, asked in Portuguese. The question's
words are stemmed in its language and can only meet messages written in it, so the messages'
word search says nothing about an English statement; its silence must not sink that
statement below Portuguese small talk that merely shares the question's everyday words.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from evals.locomo import delete_tenant
from graph.resources import Resources
from graph.routing import decision
from memory import message_index, threads
from memory.message_index import IndexEntry
from storage.identity import Identity
from storage.tenancy import tenant_connection, user_scope

pytestmark = pytest.mark.integration

# A boat mechanic who writes in both languages: what answers was said in English, and the
# Portuguese small talk shares the questions' everyday words ("cidade", "chama", "papagaio").
TOLD = [
    "I live in Galway now, right by the harbour.",
    "Our parrot is called Kiwi and he screams at the ferry every morning.",
    "I fix boat engines at the marina, mostly old fishing boats.",
    "A cidade estava cheia de turistas no sábado, nem se conseguia andar.",
    "A cidade do meu primo tem festa amanhã, vai haver fogo de artifício.",
    "Que cidade tão bonita apareceu na televisão ontem à noite.",
    "O papagaio do vizinho fugiu outra vez, coitado do homem.",
    "Chamo sempre os miúdos quando o jantar está pronto, ninguém aparece.",
    "A minha filha chama nomes ao gato quando ele lhe rouba a cadeira.",
    "Hoje choveu o dia todo e o barco do vizinho encheu de água.",
]


async def _tell(res: Resources, ident: Identity, texts: list[str]) -> None:
    """Index `texts` as the user's messages, one thread each, with their real vectors."""
    now = datetime.now(UTC)
    vectors = await res.embeddings.aembed_documents(texts)
    # One thread each, as said on different days: no turn lends its neighbour anything.
    for i, (text, vector) in enumerate(zip(texts, vectors, strict=True)):
        thread = Identity(ident.tenant_id, ident.user_id, f"{ident.thread_id}-{i}")
        entry = IndexEntry(str(uuid.uuid4()), f"m{i}", text, text, "human", now, 0, {})
        with user_scope(ident.tenant_id, ident.user_id):
            async with tenant_connection(res.pool, ident.tenant_id) as conn, conn.transaction():
                await conn.execute(threads.CLAIM, threads.claim_params(thread))
                await message_index.insert(conn, thread, [entry], [vector])


async def test_a_portuguese_question_finds_what_the_user_said_in_english(resources: Resources):
    tenant = f"eval-msgx-{uuid.uuid4().hex[:8]}"
    told = Identity(tenant, "u-marina", "t-told")
    try:
        await _tell(resources, told, TOLD)
        route = {**decision("hybrid", "test", {}), "sources": ["conversation"]}
        asking = Identity(tenant, told.user_id, "t-ask")
        with user_scope(tenant, told.user_id):
            found = await resources.retriever.retrieve(
                asking, "Como se chama o meu papagaio?", route, fetch_k=20, language="pt"
            )
        said = [c["content"] for c in found]
        # The parrot's name, said in English, among the first two; above a daughter calling
        # the cat names, which shares only "chama" with the question.
        assert TOLD[1] in said[:2]
        assert said.index(TOLD[1]) < said.index(TOLD[8])
    finally:
        await delete_tenant(resources, tenant)


async def test_a_question_in_the_messages_language_still_reads_their_words(resources: Resources):
    # Asked in English, the English statements are read word by word as before.
    tenant = f"eval-msgx-{uuid.uuid4().hex[:8]}"
    told = Identity(tenant, "u-marina", "t-told")
    try:
        await _tell(resources, told, TOLD)
        route = {**decision("hybrid", "test", {}), "sources": ["conversation"]}
        asking = Identity(tenant, told.user_id, "t-ask")
        with user_scope(tenant, told.user_id):
            found = await resources.retriever.retrieve(
                asking, "What's the parrot called?", route, fetch_k=20, language="en"
            )
        assert found[0]["content"] == TOLD[1]
    finally:
        await delete_tenant(resources, tenant)
