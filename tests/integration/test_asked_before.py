"""A reply is found by the question put to it: the answer after "what did you think of it?"."""

from __future__ import annotations

import json

import pytest

from evals.locomo import Query, Turn, run_eval

pytestmark = pytest.mark.integration

DATES = {
    1: "10:00 am on 3 March, 2024",
    2: "7:15 pm on 17 March, 2024",
    3: "9:00 am on 2 April, 2024",
}
# Ana's verdict on the glassblowing class shares no word with the question about it; the turns
# around the class's other mentions say its words, and some of them are Ana's.
SESSIONS = {
    1: [
        ("Ben", "Morning Ana! I saw a poster for a glassblowing class at the old foundry."),
        ("Ana", "Oh fun, I've always wondered how that works."),
        (
            "Ben",
            "I think glassblowing classes are pricey, but the poster says the first one is free.",
        ),
        ("Ana", "Free is my favourite price."),
        ("Ben", "My sister tried a glassblowing class once and burnt her sleeve."),
        ("Ana", "Ouch, I hope she was fine."),
        ("Ben", "She was, she still talks about the class though."),
        ("Ana", "I booked the glassblowing class for Saturday, I think it'll be a laugh."),
    ],
    2: [
        ("Ben", "Hey Ana, you did the glassblowing class on Saturday! What did you think of it?"),
        ("Ana", "Honestly, it left me speechless. I'm going back next month."),
        ("Ben", "I think I'll sign up too then."),
        ("Ana", "Do it, the teacher is lovely."),
        ("Ben", "Did you make anything you could take home from the class?"),
        ("Ana", "A wobbly blue vase, it's on my kitchen table now."),
        ("Ben", "I think a wobbly vase has character."),
        ("Ana", "That's what I keep telling myself!"),
    ],
    3: [
        ("Ben", "The foundry posted photos of the glassblowing class, I think you're in one."),
        ("Ana", "Oh no, I was making my concentration face."),
        ("Ben", "I think the class looks busier than last month."),
        ("Ana", "It's getting popular, I think they added an evening class."),
        ("Ben", "My sister wants to do the glassblowing class again, sleeves rolled up this time."),
        ("Ana", "Tell her to wear cotton, I think synthetic melts."),
        ("Ben", "I'll pass that on. Anyway, how's work?"),
        ("Ana", "Busy, but I think the new project is going well."),
    ],
}


async def test_the_reply_to_the_asked_question_ranks_near_the_top(resources, tmp_path):
    turns = [
        Turn("asked", f"D{s}:{i + 1}", s, DATES[s], speaker, text, i)
        for s, said in SESSIONS.items()
        for i, (speaker, text) in enumerate(said)
    ]
    asked = Query("asked", "asked_q0", "What did Ana think of the glassblowing class?",
                  "it left her speechless", ("D2:2",), 4)  # fmt: skip
    await run_eval(resources, turns, [asked], out_path=tmp_path / "r.jsonl")
    ranked = json.loads((tmp_path / "r.jsonl").read_text())["ranked"]
    # "it left me speechless" says none of the question's words; the turn before it asks the
    # question itself. Ana's turns that say "think" and "class" are not what she thought of it.
    assert "D2:2" in ranked[:3], ranked[:10]
