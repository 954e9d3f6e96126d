"""A turn's window: the question's words said by the turn and the turns around it."""

from retrievers.learned_rerank import LearnedReranker
from retrievers.rerank import LocalReranker
from retrievers.rerank_features import FEATURES, candidate_features
from retrievers.types import Candidate
from retrievers.window import window_coverage, window_scores
from tests.unit.test_learned_rerank import only, turn
from text.words import QueryTerms

QUESTION = "Which city did Jon visit on his short trip?"


def row(hit: str, cid: str, content: str, offset: int) -> dict:
    return {"hit": hit, "id": cid, "content": content, "offset_turns": offset}


def hit(cid: str, content: str) -> Candidate:
    return turn(f"msg:{cid}", "Jon", content, 1.0)


def test_a_reply_is_covered_by_the_question_its_neighbour_asked():
    trip = hit("3", "Took a short trip last week to clear my mind.")
    rows = [
        row("3", "1", "Gina: Morning! Lovely weather today.", -2),
        row("3", "2", "Gina: How was your week?", -1),
        row("3", "4", "Gina: Which city did you visit?", 1),
        row("3", "5", "Jon: Rome! Loved it.", 2),
    ]
    cover = window_coverage(QUESTION, [trip], rows)
    terms = QueryTerms(QUESTION)
    own = terms.coverage("Jon: Rome! Loved it.")
    # "Rome!" says only the name; the two turns before it say the rest.
    seen = "\n".join([trip["content"], "Gina: Which city did you visit?", "Jon: Rome! Loved it."])
    assert cover["msg:5"] == terms.coverage(seen) > own + 0.5
    # A turn sees two turns either side of it, no further: the greeting does not see the city.
    assert cover["msg:1"] < cover["msg:5"]
    assert set(cover) == {"msg:1", "msg:2", "msg:3", "msg:4", "msg:5"}


def test_spans_of_two_hits_join_for_a_turn_between_them():
    first, second = hit("1", "Jon: I went on a short trip."), hit("5", "Jon: To visit a city.")
    rows = [row("1", "3", "Jon: Rome!", 2), row("5", "3", "Jon: Rome!", -2)]
    cover = window_coverage(QUESTION, [first, second], rows)
    alone = window_coverage(QUESTION, [first], rows[:1])
    assert cover["msg:3"] > alone["msg:3"]


async def test_the_reranker_lifts_the_turn_whose_window_answers():
    cands = [hit("1", "My trip was short."), hit("2", "Rome!")]
    cands[1]["scores"]["window"] = 1.0
    rows = candidate_features(QUESTION, cands)
    column = rows[:, FEATURES.index("window_coverage")]
    # Without a window score a turn's window is the turn alone.
    assert column[0] == rows[0, FEATURES.index("coverage")] and column[1] == 1.0
    reranker = LearnedReranker(only("window_coverage", 1.0), LocalReranker())
    scores = await reranker.score(QUESTION, cands)
    assert scores[1] > scores[0]


def test_a_reply_is_credited_with_the_question_put_to_it_not_with_a_statement():
    verdict = hit("3", "Honestly, it left me speechless.")
    rows = [
        row("3", "1", "Gina: I think the city museum reopens on Monday.", -2),
        row("3", "2", "Gina: You went to the city museum! What did you think of it?", -1),
        row("3", "4", "Jon: Going back next month.", 1),
    ]
    scores = window_scores("What did Jon think of the city museum?", [verdict], rows)
    # The turn after the asked question gets its words; the turn after a statement saying the
    # same words does not, and neither does the turn after the verdict.
    assert scores["msg:3"]["asked_before"] > 0.5
    assert scores["msg:2"]["asked_before"] == 0.0
    assert scores["msg:4"]["asked_before"] == 0.0
    # The window is unchanged by it.
    assert {k: s["window"] for k, s in scores.items()} == window_coverage(
        "What did Jon think of the city museum?", [verdict], rows
    )
