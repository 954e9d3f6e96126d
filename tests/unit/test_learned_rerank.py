"""The learned reranker: the shipped model file runs; the hand-tuned order is the fallback."""

import json
from dataclasses import asdict

import numpy as np

from configs.settings import Settings
from retrievers.learned_rerank import FORMAT, LearnedReranker, RerankModel, load_model
from retrievers.registry import Tuning
from retrievers.rerank import (
    COVERAGE_WEIGHT,
    LocalReranker,
    build_reranker,
    select,
    served_constants,
)
from retrievers.rerank_features import FEATURES, candidate_features
from retrievers.types import Candidate


def turn(cid: str, speaker: str, text: str, fused: float) -> Candidate:
    return Candidate(
        id=cid,
        source="conversation",
        content=f"{speaker}: {text}",
        metadata={"speaker": speaker, "thread_id": "t1", "created_at": "2023-05-08T13:56:00"},
        scores={"fused": fused, "vector": fused / 2},
        ranks={},
    )


def only(feature: str, weight: float) -> RerankModel:
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index(feature)] = weight
    return RerankModel(
        name="test-model",
        embedder="use",
        features=FEATURES,
        mean=np.zeros(len(FEATURES)),
        scale=np.ones(len(FEATURES)),
        coef=coef,
        intercept=0.0,
        trained={},
    )


def test_the_shipped_model_is_what_the_product_reranks_with():
    settings = Settings(_env_file=None)
    assert settings.memoria_rerank_model is not None and settings.memoria_rerank_model.exists()
    model = load_model(settings.memoria_rerank_model, settings.memoria_embedding_model)
    assert model is not None and model.features == FEATURES
    assert model.trained["conversations"]  # trained by `memoria eval locomo --cv`
    reranker = build_reranker(settings)
    assert isinstance(reranker, LearnedReranker) and reranker.name == model.name


def test_the_shipped_model_was_trained_under_the_constants_the_product_serves():
    # Its features (fused scores and ranks, lent scores, the local scorer's slots) mean what
    # they meant in training only under the same retriever tuning and coverage weight.
    shipped = Settings(_env_file=None).memoria_rerank_model
    trained = json.loads(shipped.read_text())["trained"]["constants"]
    assert trained == served_constants() == {**asdict(Tuning()), "coverage_weight": COVERAGE_WEIGHT}
    assert load_model(shipped, "use", served_constants()) is not None


def test_a_model_trained_under_other_constants_is_not_served(tmp_path):
    shipped = Settings(_env_file=None).memoria_rerank_model
    data = json.loads(shipped.read_text())
    for change in ({"author_bonus": 1.2}, {"coverage_weight": 0.15}, {"neighbour_weight": 0.4}):
        data["trained"]["constants"] = {**served_constants(), **change}
        (tmp_path / "other.json").write_text(json.dumps(data))
        assert load_model(tmp_path / "other.json", "use", served_constants()) is None
        other = Settings(_env_file=None, memoria_rerank_model=tmp_path / "other.json")
        assert isinstance(build_reranker(other), LocalReranker)
    # A file that does not say what it was trained under is not trusted either.
    del data["trained"]["constants"]
    (tmp_path / "unsaid.json").write_text(json.dumps(data))
    assert load_model(tmp_path / "unsaid.json", "use", served_constants()) is None


def test_the_hand_tuned_order_is_the_fallback(tmp_path):
    missing = Settings(_env_file=None, memoria_rerank_model=tmp_path / "absent.json")
    assert isinstance(build_reranker(missing), LocalReranker)
    off = Settings(_env_file=None, memoria_rerank_model=None)
    assert isinstance(build_reranker(off), LocalReranker)
    shipped = Settings(_env_file=None).memoria_rerank_model
    # Trained over another embedder's similarities: its cosines mean other things.
    other = Settings(_env_file=None, memoria_embedding_model="minilm")
    assert load_model(shipped, "minilm") is None
    assert isinstance(build_reranker(other), LocalReranker)
    # A file trained on another feature list, or not a model at all.
    data = json.loads(shipped.read_text())
    data["features"] = list(reversed(data["features"]))
    (tmp_path / "reordered.json").write_text(json.dumps(data))
    (tmp_path / "junk.json").write_text('{"format": "pickle"}')
    for name in ("reordered.json", "junk.json"):
        assert load_model(tmp_path / name, "use") is None
        assert isinstance(build_reranker(missing.model_copy(update={
            "memoria_rerank_model": tmp_path / name})), LocalReranker)  # fmt: skip


async def test_the_model_reorders_turns_within_their_slots_and_leaves_passages_alone():
    query = "When did Caroline go to the support group?"
    cands = [
        turn("msg:1", "Melanie", "The support group sounds great, go for it!", 2.0),
        Candidate(
            id="kb:1",
            source="knowledge_base",
            content="Support group hours: 9-5",
            metadata={},
            scores={"fused": 1.5},
            ranks={},
        ),  # fmt: skip
        turn("msg:2", "Caroline", "I went to a LGBTQ support group yesterday.", 1.0),
    ]
    local = await LocalReranker().score(query, cands)
    assert local[0] > local[1] > local[2]
    learned = await LearnedReranker(only("author_named", 1.0), LocalReranker()).score(query, cands)
    # Caroline's own words take the best turn slot; the passage keeps its score.
    assert learned == [local[2], local[1], local[0]]
    kept = select(cands, learned, k=3, threshold=0.0, min_keep=3)
    assert [c["id"] for c in kept] == ["msg:2", "kb:1", "msg:1"]


def test_features_are_finite_and_one_row_per_candidate():
    cands = [turn(f"msg:{i}", "Ana", f"turn {i} last week", 1.0 - i / 10) for i in range(50)]
    rows = candidate_features("When did Ana travel?", cands)
    assert rows.shape == (50, len(FEATURES)) and np.isfinite(rows).all()
    assert rows[:, FEATURES.index("when_x_dated")].all()


def test_model_files_round_trip_without_pickle():
    model = only("coverage", 2.0)
    again = RerankModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again.to_dict() == model.to_dict() and model.to_dict()["format"] == FORMAT
