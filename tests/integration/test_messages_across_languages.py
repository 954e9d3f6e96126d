"""A user's messages asked about in the other language, over real Postgres: what they said wins.

Users switch language between threads: told in English, asked in Portuguese. The question's
words are stemmed in its language and can only meet messages written in it, so the messages'
word search says nothing about an English statement; its silence must not sink that
statement below Portuguese small talk that merely shares the question's everyday words.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
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


@pytest.fixture(scope="module")
async def mechanic(resources: Resources) -> AsyncIterator[Identity]:
    """The boat mechanic, with everything in `TOLD` indexed; deleted afterwards."""
    told = Identity(f"eval-msgx-{uuid.uuid4().hex[:8]}", "u-marina", "t-told")
    await _tell(resources, told, TOLD)
    yield told
    await delete_tenant(resources, told.tenant_id)


async def _recalled(res: Resources, told: Identity, question: str, language: str) -> list[str]:
    """Return the user's messages recalled for `question` in a new thread, best first."""
    route = {**decision("hybrid", "test", {}), "sources": ["conversation"]}
    asking = Identity(told.tenant_id, told.user_id, f"t-ask-{uuid.uuid4().hex[:6]}")
    with user_scope(told.tenant_id, told.user_id):
        found = await res.retriever.retrieve(asking, question, route, fetch_k=20, language=language)
    return [c["content"] for c in found]


async def test_a_portuguese_question_finds_what_the_user_said_in_english(
    resources: Resources, mechanic: Identity
):
    said = await _recalled(resources, mechanic, "Como se chama o meu papagaio?", "pt")
    # The parrot's name, said in English, among the first two; above a daughter calling the
    # cat names, which shares only "chama" with the question.
    assert TOLD[1] in said[:2]
    assert said.index(TOLD[1]) < said.index(TOLD[8])


async def test_a_question_in_the_messages_language_still_reads_their_words(
    resources: Resources, mechanic: Identity
):
    # Asked in English, the English statements are read word by word as before.
    said = await _recalled(resources, mechanic, "What's the parrot called?", "en")
    assert said[0] == TOLD[1]
