import uuid
from datetime import UTC, datetime

import pytest

from evals.locomo import (
    BM25,
    Query,
    Turn,
    aggregate,
    bm25_tokens,
    check_dataset,
    convert_locomo10,
    normalise_evidence,
    parse_session_date,
    percentile,
    queries_from_records,
    safe_id,
    score_query,
    session_threads,
    top_by_score,
    turn_content,
    turn_message,
)
from memory.message_index import EXTRA_METADATA_KEY
from storage.identity import validate_id

# --- metrics: score.py's definitions, computed by hand -------------------------------------


def test_recall_hit_all_and_mrr_by_hand():
    ranked = ["D1:1", "D2:2", "D3:3", "D4:4", "D5:5", "D6:6"]
    m, dropped = score_query(ranked, ["D2:2", "D6:6", "D9:9"], ks=(1, 5, 10))
    assert dropped == 0
    assert m["R@1"] == 0.0 and m["hit@1"] == 0.0 and m["all@1"] == 0.0
    assert m["R@5"] == pytest.approx(1 / 3) and m["hit@5"] == 1.0 and m["all@5"] == 0.0
    assert m["R@10"] == pytest.approx(2 / 3) and m["hit@10"] == 1.0 and m["all@10"] == 0.0
    assert m["MRR"] == 0.5  # first evidence at rank 2


def test_all_at_k_when_every_evidence_is_in():
    m, _ = score_query(["a", "b", "c"], ["b", "a"], ks=(1, 2))
    assert m["R@1"] == 0.5 and m["all@1"] == 0.0
    assert m["R@2"] == 1.0 and m["all@2"] == 1.0
    assert m["MRR"] == 1.0


def test_no_evidence_is_skipped_and_a_miss_scores_zero():
    assert score_query(["a"], [])[0] is None
    m, _ = score_query(["x", "y"], ["a"], ks=(1, 20))
    assert m["R@20"] == 0.0 and m["MRR"] == 0.0
    m, _ = score_query([], ["a"], ks=(1,))
    assert m["R@1"] == 0.0 and m["MRR"] == 0.0


def test_duplicates_keep_first_position_and_foreign_ids_are_dropped():
    # "z" is not a turn of the conversation: dropped, so "b" moves up to rank 2.
    m, dropped = score_query(["a", "a", "z", "b"], ["b"], valid={"a", "b"}, ks=(1, 2))
    assert dropped == 1
    assert m["R@2"] == 1.0 and m["MRR"] == 0.5


def test_depth_cuts_the_list():
    m, _ = score_query(["a", "b", "c"], ["c"], depth=2, ks=(5,))
    assert m["R@5"] == 0.0 and m["MRR"] == 0.0


def test_aggregate_averages_overall_and_per_category():
    scored = [
        (1, {"R@1": 1.0, "MRR": 1.0}),
        (4, {"R@1": 0.0, "MRR": 0.5}),
        (4, {"R@1": 0.5, "MRR": 0.0}),
    ]
    agg = aggregate(scored)
    assert list(agg) == ["overall", "1 multi-hop", "4 single-hop"]  # empty categories left out
    assert agg["overall"] == {"n": 3, "R@1": 0.5, "MRR": 0.5}
    assert agg["4 single-hop"] == {"n": 2, "R@1": 0.25, "MRR": 0.25}


def test_percentile_interpolates_like_numpy():
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([7.0], 95) == 7.0


# --- BM25 baseline -------------------------------------------------------------------------


def test_bm25_tokens_lowercase_and_drop_stop_words():
    assert bm25_tokens("When did Caroline go to the LGBTQ group?") == [
        "caroline",
        "go",
        "lgbtq",
        "group",
    ]


def test_bm25_prefers_rare_terms_and_shorter_documents():
    docs = [
        bm25_tokens("cello lesson on saturday"),
        bm25_tokens("cello cello and a long story about many other things entirely"),
        bm25_tokens("the weather today"),
    ]
    scores = BM25(docs).scores(bm25_tokens("cello lesson"))
    assert scores[0] > scores[1] > scores[2] == 0.0
    ranked, top = top_by_score(["D1:1", "D1:2", "D1:3"], scores, "bm25")
    assert ranked == ["D1:1", "D1:2"]  # zero scores are not ranked
    assert top[0] == {
        "dia_id": "D1:1",
        "scores": {"bm25": round(scores[0], 6)},
        "ranks": {"bm25": 1},
    }


def test_dense_ranking_keeps_negative_cosines_and_breaks_ties_by_turn_order():
    scores = [-0.2, 0.5, 0.5, -0.1]
    ranked, top = top_by_score(["a", "b", "c", "d"], scores, "dense", positive_only=False)
    assert ranked == ["b", "c", "d", "a"]
    assert [t["ranks"]["dense"] for t in top] == [1, 2, 3, 4]
    assert top[3]["scores"] == {"dense": -0.2}


# --- dates, ids, messages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1:56 pm on 8 May, 2023", datetime(2023, 5, 8, 13, 56, tzinfo=UTC)),
        ("12:10 am on 11 August, 2023", datetime(2023, 8, 11, 0, 10, tzinfo=UTC)),
        ("12:48 pm on 1 February, 2023", datetime(2023, 2, 1, 12, 48, tzinfo=UTC)),
        ("10:33 AM on 9 Apr, 2023", datetime(2023, 4, 9, 10, 33, tzinfo=UTC)),
    ],
)
def test_parse_session_date(text, expected):
    assert parse_session_date(text) == expected


@pytest.mark.parametrize(
    "text", ["", "8 May 2023", "13:56 pm on 8 May, 2023", "1:56 pm on 8 Mai, 2023"]
)
def test_parse_session_date_rejects_other_formats(text):
    with pytest.raises(ValueError, match="session date"):
        parse_session_date(text)


def test_safe_id_keeps_good_ids_and_fixes_others_distinctly():
    assert safe_id("conv-26") == "conv-26"
    fixed = {safe_id("conv 26"), safe_id("conv/26"), safe_id("_conv26")}
    assert len(fixed) == 3
    for value in [*fixed, safe_id("x" * 300)]:
        assert validate_id("user_id", value) == value and len(value) <= 64


def turn(dia_id: str, session: int = 1, idx: int = 0, caption: str | None = None) -> Turn:
    return Turn(
        "conv-1", dia_id, session, "1:56 pm on 8 May, 2023", "Ana", "I got a kitten.", idx, caption
    )


def test_turn_message_carries_text_caption_date_and_provenance():
    msg = turn_message("eval-0000abcd", turn("D1:2", caption="a photo of a kitten"))
    assert msg.content == "Ana: I got a kitten. [shares a photo: a photo of a kitten]"
    assert turn_content(turn("D1:2")) == "Ana: I got a kitten."
    assert msg.additional_kwargs["created_at"] == "2023-05-08T13:56:00+00:00"
    assert msg.additional_kwargs[EXTRA_METADATA_KEY] == {
        "dia_id": "D1:2",
        "speaker": "Ana",
        "session": 1,
    }
    assert msg.id == turn_message("eval-0000abcd", turn("D1:2")).id  # deterministic
    assert msg.id != turn_message("eval-ffff0000", turn("D1:2")).id  # per tenant


def test_turn_ids_sort_alike_in_every_tenant():
    # The read path breaks score ties by row id: a fresh tenant per run must not reorder them,
    # or the same build scores differently run to run.
    turns = [turn(f"D{s}:{i}", s, i) for s in range(1, 4) for i in range(10)]

    def order(tenant: str) -> list[str]:
        ids = {turn_message(tenant, t).id: t.dia_id for t in turns}
        assert len(ids) == len(turns)
        # Postgres compares uuids byte by byte, as Python's UUID does.
        return [ids[i] for i in sorted(ids, key=lambda i: uuid.UUID(i).bytes)]

    assert order("eval-0000abcd") == order("eval-ffff0000") == order("eval-12345678")
    first, second = turn_message("eval-0000abcd", turns[0]), turn_message("eval-ffff0000", turns[0])
    assert first.id != second.id and uuid.UUID(first.id) != uuid.UUID(second.id)


def test_session_threads_group_by_session_in_turn_order():
    turns = [turn("D2:1", 2, 2), turn("D1:2", 1, 1), turn("D1:1", 1, 0)]
    threads = session_threads("eval-0000abcd", {"conv-1": "conv-1"}, turns)
    assert [ident.thread_id for ident, _ in threads] == [
        "eval-0000abcd.conv-1.s1",
        "eval-0000abcd.conv-1.s2",
    ]
    assert [m.additional_kwargs[EXTRA_METADATA_KEY]["dia_id"] for m in threads[0][1]] == [
        "D1:1",
        "D1:2",
    ]
    assert all(
        ident.tenant_id == "eval-0000abcd" and ident.user_id == "conv-1" for ident, _ in threads
    )


# --- loading -------------------------------------------------------------------------------

LOCOMO10 = [
    {
        "sample_id": "conv-x",
        "conversation": {
            "speaker_a": "Ana",
            "speaker_b": "Bo",
            "session_2_date_time": "9:00 am on 2 June, 2023",
            "session_2": [{"speaker": "Bo", "dia_id": "D2:1", "text": "Back from Oslo."}],
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [
                {"speaker": "Ana", "dia_id": "D1:1", "text": "I got a kitten."},
                {
                    "speaker": "Bo",
                    "dia_id": "D1:2",
                    "text": "Look!",
                    "img_url": ["http://example.invalid/x.jpg"],
                    "blip_caption": "a photo of a fjord",
                },
            ],
            "session_3_date_time": "9:00 am on 3 June, 2023",  # a date with no turns
        },
        "qa": [
            {
                "question": "What pet did Ana get?",
                "answer": "A kitten",
                "evidence": ["D1:1"],
                "category": 4,
            },
            {
                "question": "What did Ana say about Oslo?",
                "adversarial_answer": "x",
                "evidence": ["D2:1"],
                "category": 5,
            },
            {
                "question": "Where was Bo?",
                "answer": 2023,
                "evidence": ["D1:2; D2:1"],
                "category": 1,
            },
        ],
    }
]


def test_convert_locomo10_orders_sessions_and_skips_adversarial():
    turns, queries = convert_locomo10(LOCOMO10)
    assert [(t.dia_id, t.session, t.turn_idx) for t in turns] == [
        ("D1:1", 1, 0),
        ("D1:2", 1, 1),
        ("D2:1", 2, 2),
    ]
    assert turns[1].blip_caption == "a photo of a fjord" and turns[0].blip_caption is None
    assert turns[2].session_date == "9:00 am on 2 June, 2023"
    assert [q.qid for q in queries] == [
        "conv-x_q0",
        "conv-x_q1",
    ]  # category 5 skipped, not numbered
    assert [q.category for q in queries] == [4, 1]
    assert queries[1].evidence == ("D1:2", "D2:1")  # "D1:2; D2:1" holds two ids
    check_dataset(turns, queries)


def test_convert_locomo10_rejects_a_session_without_date():
    sample = {
        "sample_id": "c",
        "conversation": {"session_1": [{"speaker": "A", "dia_id": "D1:1", "text": "hi"}]},
    }
    with pytest.raises(ValueError, match="session_1_date_time"):
        convert_locomo10([sample])


def test_jsonl_queries_skip_category_5():
    records = [
        {
            "conv_id": "c",
            "qid": "c_q0",
            "question": "q?",
            "answer": "a",
            "evidence": ["D1:1"],
            "category": 2,
        },
        {"conv_id": "c", "qid": "c_q1", "question": "q?", "evidence": ["D1:1"], "category": 5},
    ]
    assert [q.qid for q in queries_from_records(records)] == ["c_q0"]


def test_normalise_evidence():
    assert normalise_evidence(["D8:6; D9:17", "D8:6", "D:11:26", "D30:05"]) == (
        "D8:6",
        "D9:17",
        "D30:5",
    )


def test_check_dataset_names_orphans_and_duplicates():
    t = [turn("D1:1")]
    q = Query("conv-1", "q0", "?", "a", ("D1:1",), 4)
    with pytest.raises(ValueError, match="no turns: conv-2"):
        check_dataset(t, [q, Query("conv-2", "q1", "?", "a", ("D1:1",), 4)])
    with pytest.raises(ValueError, match="no query asks about: conv-9"):
        check_dataset([*t, Turn("conv-9", "D1:1", 1, "1:56 pm on 8 May, 2023", "A", "x", 0)], [q])
    with pytest.raises(ValueError, match="duplicate dia_ids"):
        check_dataset([*t, turn("D1:1")], [q])
    with pytest.raises(ValueError, match="duplicate qids"):
        check_dataset(t, [q, q])
    with pytest.raises(ValueError, match="no queries"):
        check_dataset(t, [])
