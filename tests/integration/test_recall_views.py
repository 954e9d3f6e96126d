"""Index-time views: a turn's relative dates resolved when it is indexed, and found by "when"."""

from __future__ import annotations

import json

import pytest

from evals.locomo import Query, Turn, delete_tenant, run_eval
from storage.tenancy import tenant_connection

pytestmark = pytest.mark.integration

SAID = "1:56 pm on 8 May, 2023"
TURNS = [
    ("D1:1", "Ana", "Hi Ben! How have you been lately?"),
    ("D1:2", "Ben", "Good! I keep hearing about support groups, I might look for a support group."),
    ("D1:3", "Ana", "I went to a support group yesterday and it was so powerful."),
    ("D1:4", "Ben", "That's brave. What was the support group like?"),
    ("D1:5", "Ana", "The people at the support group were so welcoming to me."),
    ("D1:6", "Ben", "I'm painting a lake sunrise for my living room."),
]


async def test_a_when_question_finds_the_turn_that_said_yesterday(resources, tmp_path):
    turns = [
        Turn("views", dia_id, 1, SAID, speaker, text, i)
        for i, (dia_id, speaker, text) in enumerate(TURNS)
    ]
    asked = Query("views", "views_q0", "When did Ana go to the support group?", "7 May 2023",
                  ("D1:3",), 2)  # fmt: skip
    report = await run_eval(resources, turns, [asked], out_path=tmp_path / "r.jsonl", keep=True)
    try:
        ranked = json.loads((tmp_path / "r.jsonl").read_text())["ranked"]
        # Ana's own "yesterday" turn, not the turns that only repeat the topic's words.
        assert ranked[0] == "D1:3", ranked
        async with tenant_connection(resources.pool, report.tenant_id) as conn:
            cur = await conn.execute(
                "SELECT langchain_metadata->'time_refs' AS refs FROM memory_messages"
                " WHERE tenant_id = %s AND langchain_metadata->>'dia_id' = 'D1:3'",
                (report.tenant_id,),
            )
            row = await cur.fetchone()
        assert row["refs"] == ["yesterday: 7 May 2023"]
    finally:
        await delete_tenant(resources, report.tenant_id)
