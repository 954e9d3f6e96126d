"""What someone reported to the user is answered from what the user said, not the manual.

Over real Postgres and Redis, through the agent: the tenant's help page speaks of a scan
that shows and an analysis that "deu erro", and a question searching every source quoted it.
"""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import HumanMessage

from graph.resources import Resources
from knowledge.ingest import ingest_paths
from tests.support import drain, new_config

pytestmark = pytest.mark.integration

HELP_PAGE = """# Scanning and analysis

## Scanning a page
Tap Scan to photograph a paper page. The scan shows up in the note as an image, and any
text the scan finds in it becomes searchable.

## Análise da nota
Escolha Análise no menu da nota: a análise mostra as palavras mais usadas e quanto tempo
leva a ler a nota. A análise deu erro? Feche e abra a nota outra vez.
"""


@pytest.mark.parametrize(
    ("told", "question", "answer"),
    [
        (
            "The CT scan showed two small kidney stones, the urologist says water and patience.",
            "What did the scan show?",
            "kidney stones",
        ),
        (
            "Recebi a análise ao sangue: deu o ferro muito baixo, tenho de tomar suplementos.",
            "O que deu a análise?",
            "ferro",
        ),
    ],
)
async def test_what_a_scan_or_test_showed_is_quoted_from_what_the_user_told(
    agent, resources: Resources, tmp_path, told: str, question: str, answer: str
):
    tenant, user = f"t-{uuid.uuid4().hex[:8]}", f"u-{uuid.uuid4().hex[:8]}"
    page = tmp_path / "finding-things.md"
    page.write_text(HELP_PAGE)
    kb = await resources.knowledge_base()
    await ingest_paths(pool=resources.pool, kb=kb, tenant_id=tenant, paths=[page])
    await agent.ainvoke({"messages": [HumanMessage(told)]}, new_config(tenant, user))
    await drain(resources)

    out = await agent.ainvoke({"messages": [HumanMessage(question)]}, new_config(tenant, user))
    first = out["citations"][0]
    assert first["source"] == "conversation" and answer in first["snippet"]
    assert out["route"]["strategy"] == "cross_conversation"
