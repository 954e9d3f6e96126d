"""Leave-one-conversation-out choices never see the conversation they are scored on."""

from evals.locomo.cv import loco


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
