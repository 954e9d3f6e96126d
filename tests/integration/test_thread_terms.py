"""A thread as a retrieval unit: its words counted by the worker, its standing read per question."""

from __future__ import annotations

import json

import pytest

from evals.locomo import Query, Turn, delete_tenant, run_eval
from memory import message_terms
from storage.tenancy import tenant_connection

pytestmark = pytest.mark.integration

# Ana spends one session on her allotment; the turn with the answer never says "allotment"
# nor "vegetables". The other sessions share a word or two of the question, in passing.
SESSIONS = {
    1: [
        ("Ben", "Did you see the match on Saturday?"),
        ("Ana", "I did, what a finish! My brother grew up playing for that club."),
        ("Ben", "My uncle used to take me to their games when I was small."),
        ("Ana", "We should go to one together this season."),
    ],
    2: [
        ("Ana", "I finally got a plot at the community allotment by the river!"),
        ("Ben", "An allotment, how lovely. What are you planning to do with it?"),
        ("Ana", "Mostly vegetables. The allotment soil is rich, the old gardeners say."),
        ("Ben", "Do you get to keep what the allotment gives you?"),
        ("Ana", "Yes! So far: courgettes, runner beans and far too many tomatoes."),
        ("Ben", "Sounds like the allotment keeps you busy."),
        ("Ana", "Every evening after work I water the allotment beds."),
    ],
    3: [
        ("Ben", "My neighbour keeps complaining about the noise from the street."),
        ("Ana", "Our street is quiet, apart from the vegetables market on Sundays."),
        ("Ben", "I like markets, I buy bread there."),
        ("Ana", "Me too, the bakery stall is the best."),
    ],
}
DATES = {1: "7:00 pm on 3 June, 2023", 2: "6:15 pm on 10 June, 2023", 3: "9:00 am on 18 June, 2023"}
TURNS = [
    Turn("plots", f"D{s}:{i + 1}", s, DATES[s], speaker, text, i)
    for s, said in SESSIONS.items()
    for i, (speaker, text) in enumerate(said)
]
ASKED = Query("plots", "plots_q0", "What vegetables has Ana grown at her allotment?",
              "courgettes, runner beans, tomatoes", ("D2:5",), 1)  # fmt: skip

COUNTS = """
    SELECT lexeme, thread_id, tf FROM memory_thread_terms
    WHERE tenant_id = %(tenant_id)s ORDER BY lexeme, thread_id
"""
# What the counts must be: each thread's postings summed (its length for the '' lexeme).
EXPECTED = """
    SELECT p.lexeme, m.thread_id,
           sum(CASE WHEN p.lexeme = '' THEN p.dl ELSE p.tf END)::integer AS tf
    FROM memory_message_terms p JOIN memory_messages m ON m.langchain_id = p.message_id
    WHERE m.tenant_id = %(tenant_id)s
    GROUP BY 1, 2 ORDER BY 1, 2
"""


async def _rows(resources, tenant: str, statement: str) -> list[dict]:
    async with tenant_connection(resources.pool, tenant) as conn:
        return await (await conn.execute(statement, {"tenant_id": tenant})).fetchall()


async def test_the_worker_counts_each_threads_words_once_and_they_go_with_it(resources, tmp_path):
    report = await run_eval(resources, TURNS, [ASKED], out_path=tmp_path / "r.jsonl", keep=True)
    tenant = report.tenant_id
    try:
        counts = await _rows(resources, tenant, COUNTS)
        assert counts == await _rows(resources, tenant, EXPECTED)
        threads = {r["thread_id"] for r in counts}
        assert len(threads) == 3
        allotment = [r for r in counts if r["lexeme"] == "allot"]
        assert [r["tf"] for r in allotment] == [6]  # six turns of one session say it

        # A replayed indexing job writes its postings again: nothing is counted twice.
        async with tenant_connection(resources.pool, tenant) as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT langchain_id::text AS id FROM memory_messages WHERE tenant_id = %s",
                (tenant,),
            )
            await message_terms.add(conn, [r["id"] for r in await cur.fetchall()])
        assert await _rows(resources, tenant, COUNTS) == counts
    finally:
        await delete_tenant(resources, tenant)
    # Forgetting the user (every thread of theirs) takes the counts along.
    assert await _rows(resources, tenant, COUNTS) == []


async def test_an_answer_that_never_says_the_topic_is_found_through_its_thread(resources, tmp_path):
    await run_eval(resources, TURNS, [ASKED], out_path=tmp_path / "r.jsonl")
    line = json.loads((tmp_path / "r.jsonl").read_text())
    top = {t["dia_id"]: t for t in line["signals"]["top"]}
    # Every turn of the allotment session stands first among the threads, whatever it says.
    assert top["D2:5"]["scores"]["thread_rank"] == 1, top["D2:5"]
    assert all(t["scores"]["thread_rank"] > 1 for d, t in top.items() if not d.startswith("D2"))
    # The harvest turn shares no word with the question; it is answered near the top, ahead of
    # the market turn that says "vegetables" (the thread's standing is one reranker signal of
    # many: in a three-thread conversation it does not reorder these turns by itself).
    ranked = line["ranked"]
    assert "D2:5" in ranked[:3], ranked
    assert ranked.index("D2:5") < ranked.index("D3:2"), ranked
