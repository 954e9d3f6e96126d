"""Leave-one-conversation-out choices never see the conversation they are scored on."""

from evals.locomo.cv import COVERAGE_WEIGHTS, GRID, constants_at, loco, shipped_point
from retrievers.rerank import served_constants


def rows(conv_scores: dict[str, float]) -> list:
    return [(conv, 4, {"R@5": score, "MRR": score}) for conv, score in conv_scores.items()]


def test_each_fold_chooses_on_the_other_conversations_only():
    # Option "a" is best on conversation x alone; "b" on y and z.
    by_choice = {
        "a": rows({"x": 1.0, "y": 0.2, "z": 0.2}),
        "b": rows({"x": 0.1, "y": 0.5, "z": 0.5}),
    }
    held, chosen = loco(["x", "y", "z"], by_choice)
    # x is scored with the option best on y and z: its own preference does not leak in.
    assert chosen == {"x": "b", "y": "a", "z": "a"}
    assert [r[2]["R@5"] for r in held if r[0] == "x"] == [0.1]


def test_the_served_constants_are_a_point_of_the_grid():
    # The shipped reranker is trained on the candidates retrieved at this point.
    point = shipped_point()
    assert all(v in GRID[k] for k, v in zip(GRID, point, strict=False))
    assert point[-1] in COVERAGE_WEIGHTS
    assert constants_at(point) == served_constants()
    other = constants_at((*point[:-1], 0.0))
    assert other["coverage_weight"] == 0.0 and other != served_constants()
