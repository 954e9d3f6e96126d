"""Index-time views and recall across sessions: a "when" question, a two-session question."""

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


# What Ana told about Marisol is split between two sessions a week apart, among small talk.
SESSIONS = {
    1: [
        ("Ben", "Hey Ana, how was the weekend?"),
        ("Ana", "Lovely, we went to the beach and had grilled sardines."),
        ("Ben", "Nice, I spent mine fixing the garden fence."),
        ("Ana", "My cousin Marisol moved to Lisbon last month for a fresh start."),
        ("Ben", "That's a big step! Does she like it?"),
        ("Ana", "She loves the light there, she says the city feels like home."),
        ("Ben", "I should visit Portugal one day, I hear the food is great."),
        ("Ana", "You should, the pastries alone are worth the trip."),
    ],
    2: [
        ("Ben", "Morning Ana! Any news this week?"),
        ("Ana", "Big news from the family: Marisol got a job as a tile restorer at a museum."),
        ("Ben", "Wow, restoring old tiles sounds like a dream job."),
        ("Ana", "She's thrilled, she starts on Monday."),
        ("Ben", "My week was quiet, just work and running in the park."),
        ("Ana", "Running is great, I keep meaning to start again."),
        ("Ben", "I'm training for a half marathon in October."),
        ("Ana", "Good luck with the training, let me know how it goes!"),
    ],
    # Later small talk with the question's words (job, live, cousin, new), about others.
    3: [
        ("Ben", "I got a new job offer from a bank, but I'm not sure about it."),
        ("Ana", "Where would you live if you took it?"),
        ("Ben", "Probably somewhere near the river, I like it there."),
        ("Ana", "My neighbour's cousin lives near the river too."),
        ("Ben", "Small world! What does she do?"),
        ("Ana", "No idea, I only met her once at a barbecue."),
        ("Ben", "Anyway, how's your own job going?"),
        ("Ana", "Busy, but I'm enjoying the new project."),
    ],
}


async def test_a_question_about_two_sessions_finds_both_turns(resources, tmp_path):
    dates = {
        1: "10:00 am on 6 May, 2023",
        2: "9:30 am on 13 May, 2023",
        3: "8:00 pm on 2 June, 2023",
    }
    turns = [
        Turn("hops", f"D{s}:{i + 1}", s, dates[s], speaker, text, i)
        for s, said in SESSIONS.items()
        for i, (speaker, text) in enumerate(said)
    ]
    asked = Query("hops", "hops_q0", "Where does Ana's cousin live now, and what job did she get?",
                  "Lisbon; tile restorer at a museum", ("D1:4", "D2:2"), 1)  # fmt: skip
    report = await run_eval(resources, turns, [asked], out_path=tmp_path / "r.jsonl")
    ranked = json.loads((tmp_path / "r.jsonl").read_text())["ranked"]
    assert report.aggregate["overall"]["R@10"] == 1.0, ranked[:10]


# Melanie and Caroline name each other in half their turns; the race is told without its words.
NAMED = [
    ("Melanie", "Hey Caroline! So good to hear from you, Melanie here with news."),
    ("Caroline", "Hi Melanie! What have you been up to lately?"),
    ("Melanie", "Melanie is doing great, thanks for asking Caroline."),
    ("Caroline", "I started a pottery class, Melanie, you would love it."),
    ("Melanie", "I finished a 5k for the children's hospital last weekend, my legs still hurt!"),
    ("Caroline", "My cat knocked over a plant again this morning."),
    ("Melanie", "Oh Caroline, Melanie's cat does the same thing!"),
    ("Caroline", "Let's meet for coffee soon, Melanie."),
    ("Melanie", "Sure Caroline, Melanie would like that."),
]


async def test_a_question_naming_a_speaker_finds_what_she_said_by_meaning(resources, tmp_path):
    turns = [
        Turn("named", f"D1:{i + 1}", 1, SAID, speaker, text, i)
        for i, (speaker, text) in enumerate(NAMED)
    ]
    asked = Query("named", "named_q0", "When did Melanie run a charity race?", "last weekend",
                  ("D1:5",), 2)  # fmt: skip
    await run_eval(resources, turns, [asked], out_path=tmp_path / "r.jsonl")
    line = json.loads((tmp_path / "r.jsonl").read_text())
    ranked, top = line["ranked"], line["signals"]["top"]
    # The name would pull the question's vector to every turn saying "Melanie"; the race
    # shares no word with the question, so only its meaning can find it: first by meaning,
    # and in the top two of the answer (the learned reranker, session 9, puts the turn that
    # says "Melanie" twice ahead of it in this 9-turn conversation; it used to win on length).
    assert next(t for t in top if t["dia_id"] == "D1:5")["ranks"]["vector"] == 1, top
    assert "D1:5" in ranked[:2], ranked
