import os
import random
import statistics
import subprocess
import sys

import pytest

from retrievers.fusion import (
    propagate_to_neighbours,
    pstdev,
    reciprocal_rank_fusion,
    zscore_fusion,
)
from retrievers.rerank import LocalReranker, select
from retrievers.types import Candidate
from text.words import QueryTerms, overlap, terms


def test_rrf_rewards_agreement_and_keeps_the_union():
    fused = reciprocal_rank_fusion({"vector": ["a", "b", "c"], "lexical": ["c", "d"]})
    assert list(fused)[0] == "c"  # in both lists
    assert set(fused) == {"a", "b", "c", "d"}


def test_rrf_weights_shift_the_order():
    lists = {"vector": ["a", "b"], "lexical": ["b", "a"]}
    assert list(reciprocal_rank_fusion(lists, weights={"lexical": 2.0}))[0] == "b"
    assert list(reciprocal_rank_fusion(lists, weights={"vector": 2.0}))[0] == "a"


def test_overlap_matches_across_inflections_and_accents():
    assert overlap("refunds policy", "Our refund policy: 14 days") == 1.0
    assert overlap("reembolsos", "Política de reembolso") == 1.0
    assert overlap("where do I live", "The user lives in Lisbon.") == 1.0
    assert overlap("card", "See the cardiology ward") == 0.0  # not an inflection
    assert overlap("você", "voce") == 0.0  # stop word both ways: no content terms
    assert overlap("the of and", "anything") == 0.0


def _same_term(asked: str, word: str) -> bool:
    """The matching rule for one query term and one passage word, written out plainly."""
    if asked == word:
        return True
    if len(asked) >= 5:
        return len(word) >= 5 and asked[:5] == word[:5]
    return len(asked) == 4 and word.startswith(asked) and len(word) <= 7


def _match_by_scanning(query: str, text: str) -> tuple[float, bool]:
    """Coverage by scanning every passage word for every query term."""
    wanted = QueryTerms(query)
    words = terms(text)
    named = bool(wanted.identifiers) and all(w in words for w in wanted.identifiers)
    if not wanted.total:
        return 0.0, named
    found = [w for w in wanted.weights if any(_same_term(w, word) for word in words)]
    return sum(wanted.weights[w] for w in found) / wanted.total, named


def test_term_matching_from_cached_sets_equals_scanning_every_term():
    assert overlap("move", "They moved to Porto") == 1.0  # 4 letters + up to 3 more
    assert overlap("move", "A movement of people") == 0.0  # 8 letters: not an inflection
    assert overlap("mov", "They moved") == 0.0
    vocabulary = "move moved moves movement refund refunds e-4012 card cards cardiology trip"
    words = [*vocabulary.split(), "lisbon", "porto", "reembolso", "política", "ab", "x1"]
    rng = random.Random(17)
    for _ in range(300):
        query = " ".join(rng.choices(words, k=rng.randint(1, 4)))
        text = " ".join(rng.choices(words, k=rng.randint(0, 8)))
        assert QueryTerms(query).match(text) == _match_by_scanning(query, text), (query, text)


def cand(cid: str, content: str, vector: float | None) -> Candidate:
    scores = {} if vector is None else {"vector": vector}
    return Candidate(
        id=cid, source="knowledge_base", content=content, metadata={}, scores=scores, ranks={}
    )


def fused(cid: str, content: str, score: float) -> Candidate:
    c = cand(cid, content, None)
    c["scores"]["fused"] = score
    return c


async def test_local_reranker_settles_a_near_tie_by_the_exact_identifier():
    query = "what does error E-4012 mean"
    docs = [
        fused("a", "Sync errors can happen when the network drops.", 2.0),
        fused("b", "E-4012: the sync token expired; sign out and back in.", 1.95),
        fused("c", "Export your notes as Markdown.", 1.0),
        fused("d", "Plans renew monthly.", 0.0),
    ]
    scores = await LocalReranker().score(query, docs)
    assert scores[1] > scores[0] > scores[2] > scores[3]


async def test_local_reranker_keeps_a_clear_retrieval_lead():
    query = "where do I live"
    docs = [
        fused("a", "I moved to Lisbon last year.", 3.0),
        fused("b", "Where do you live? I live near the park.", 0.2),
        fused("c", "Nice weather.", 0.0),
    ]
    scores = await LocalReranker().score(query, docs)
    assert scores[0] > scores[1]


def test_select_applies_threshold_but_keeps_the_minimum():
    docs = [cand(str(i), f"passage {i}", None) for i in range(4)]
    kept = select(docs, [0.01, 0.02, 0.9, 0.03], k=3, threshold=0.5, min_keep=2)
    assert [c["id"] for c in kept] == ["2", "3"]
    assert kept[0]["ranks"]["rerank"] == 1 and kept[0]["scores"]["rerank"] == 0.9


@pytest.mark.parametrize("k", [1, 2])
def test_select_never_returns_more_than_k(k):
    docs = [cand(str(i), f"passage {i}", None) for i in range(5)]
    assert len(select(docs, [0.9] * 5, k=k, threshold=0.0, min_keep=1)) == k


def test_select_skips_passages_repeating_one_already_kept():
    docs = [
        cand("a", "I live in Porto.", None),
        cand("b", "i live in  porto.", None),
        cand("c", "x", None),
    ]
    kept = select(docs, [0.9, 0.8, 0.1], k=3, threshold=0.0, min_keep=1)
    assert [c["id"] for c in kept] == ["a", "c"]


def test_later_neighbours_gain_more_of_a_hit_and_shares_decay_with_distance():
    gains = propagate_to_neighbours(
        {"hit": 1.0, "other": 0.2},
        {"hit": [("next", 1), ("after", 2), ("prev", -1)], "other": [("next", -1)]},
        weight=0.5,
    )
    assert gains == {"next": 0.5 + 0.2 * 0.25, "after": 0.25, "prev": 0.25}
    assert propagate_to_neighbours({"hit": 1.0}, {"hit": [("n", 1)]}, weight=0.0) == {"n": 0.0}


def test_zscore_fusion_keeps_how_far_ahead_a_hit_is():
    # "a" is far ahead in the dense leg and mid-pack lexically; "b" leads lexically by a hair.
    vector = {"a": 0.9, "b": 0.30, "c": 0.28, "d": 0.27, "e": 0.25}
    lexical = {"b": 2.0, "c": 1.9, "a": 1.8, "d": 1.7, "e": 1.6}
    assert list(zscore_fusion({"vector": vector, "lexical": lexical}))[0] == "a"
    # Rank fusion cannot see the gap and prefers "b".
    ranks = {"vector": list(vector), "lexical": list(lexical)}
    assert list(reciprocal_rank_fusion(ranks))[0] == "b"


def test_fusion_spreads_are_the_stdlib_pstdev_to_the_last_bit():
    # Fused orders depend on these spreads: the integer sum must not move a single ulp.
    rng = random.Random(11)
    for _ in range(3000):
        scale = rng.choice([1.0, 0.01, 30.0, 1e-9, 1e6])
        values = [rng.uniform(-1, 1) * scale for _ in range(rng.randint(1, 60))]
        if rng.random() < 0.3:
            values = [round(v, 6) for v in values]
        if rng.random() < 0.05:
            values = [values[0]] * len(values)
        assert pstdev(values) == statistics.pstdev(values)
    assert pstdev([3, 5]) == 1.0
    with pytest.raises(statistics.StatisticsError):
        pstdev([])


def test_zscore_fusion_counts_a_missing_id_as_the_lists_lowest():
    fused = zscore_fusion({"vector": {"a": 1.0, "b": 0.0}, "lexical": {"c": 5.0, "d": 1.0}})
    assert set(fused) == {"a", "b", "c", "d"}
    assert fused["a"] == fused["c"] and fused["b"] == fused["d"]


def test_equal_fused_scores_keep_the_legs_order_in_every_process():
    # Turns the lexical leg found by one common word alone score alike; which of them a
    # question gets must not change with the server process that answers it.
    script = (
        "from retrievers.fusion import zscore_fusion;"
        "lexical = {f'msg:{i:02d}': 0.5 for i in range(30)} | {'msg:top': 9.0};"
        "vector = {'msg:top': 0.6, 'msg:x': 0.2, 'msg:y': 0.1};"
        "print(' '.join(zscore_fusion({'vector': vector, 'lexical': lexical})))"
    )
    orders = {
        tuple(
            subprocess.run(
                [sys.executable, "-c", script],
                env={**os.environ, "PYTHONHASHSEED": str(seed)},
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
        )
        for seed in (1, 2, 3)
    }
    assert len(orders) == 1
    tied = [i for i in next(iter(orders)) if i.startswith("msg:") and i[4:].isdigit()]
    assert tied == [f"msg:{i:02d}" for i in range(30)]


async def test_a_passage_holding_the_code_the_user_typed_goes_first():
    query = "what does error E-4012 mean"
    docs = [
        fused("header", "Error codes: E-1001 means offline; E-2003 means quota full.", 3.0),
        fused("row", "E-4012: the sync token expired; sign out and back in.", 0.5),
        fused("other", "Errors are shown in red.", 0.0),
    ]
    scores = await LocalReranker().score(query, docs)
    assert scores[1] == max(scores) and all(0.0 <= s <= 1.0 for s in scores)


def test_years_are_not_identifiers_but_codes_are():
    from text.words import is_identifier

    assert is_identifier("e-4012") and is_identifier("#a-1042") and is_identifier("v2")
    assert not is_identifier("2023") and not is_identifier("lisbon")


def test_messages_by_the_person_a_question_names_move_up():
    from retrievers.boosts import boost_named_authors
    from retrievers.registry import DEFAULT

    bonus = DEFAULT.tuning.author_bonus

    def said(cid: str, speaker: str, score: float) -> Candidate:
        c = fused(cid, f"{speaker} said something", score)
        c["source"] = "conversation"
        c["metadata"]["speaker"] = speaker
        return c

    ranked = boost_named_authors(
        [said("m1", "Melanie", 1.0), said("c1", "Caroline", 0.95), said("m2", "Melanie", 0.0)],
        "When did Caroline go to the support group?",
        bonus,
    )
    assert [c["id"] for c in ranked][:2] == ["c1", "m1"]
    assert ranked[0]["scores"]["author"] == 1.0
    # No name in the question: order untouched.
    plain = [said("a", "Ana", 1.0), said("b", "Bo", 0.5)]
    assert boost_named_authors(plain, "what happened then?", bonus) == plain


def test_a_single_fact_is_scaled_by_the_cosines_beside_it_not_sunk():
    # One current fact, a closer match than any message: alone it has no spread, so it is
    # placed on the messages' cosine scale (same model) and wins, instead of scoring 0.
    messages = {"m1": 0.41, "m2": 0.38, "m3": 0.30, "m4": 0.22, "m5": 0.20}
    facts = {"f1": 0.62}
    same_scale = [*messages.values(), *facts.values()]
    fused = zscore_fusion(
        {"messages": messages, "facts": facts},
        reference={"messages": same_scale, "facts": same_scale},
    )
    assert list(fused)[0] == "f1"
    # A weak fact stays below the strong messages.
    weak = zscore_fusion(
        {"messages": messages, "facts": {"f1": 0.21}},
        reference={"messages": [*messages.values(), 0.21], "facts": [*messages.values(), 0.21]},
    )
    assert list(weak).index("f1") > list(weak).index("m1")


def test_a_short_list_with_nothing_to_scale_by_counts_membership():
    dense = {"a": 0.9, "b": 0.5, "c": 0.4}
    assert list(zscore_fusion({"dense": dense})) == ["a", "b", "c"]
    # In a one-item list of its own: one spread up, past "b"; weighted, past everything.
    assert list(zscore_fusion({"dense": dense, "pinned": {"c": 3.0}})) == ["a", "c", "b"]
    weighted = zscore_fusion({"dense": dense, "pinned": {"c": 3.0}}, weights={"pinned": 3.0})
    assert list(weighted)[0] == "c"


def test_the_meaning_leg_embeds_the_question_without_its_names():
    from text.names import without_names

    assert without_names("When did Melanie run a charity race?") == "When did run a charity race?"
    assert without_names("What is Caroline's job?") == "What is job?"
    # A sentence's first word is not a name; nor is "I"; a bare name question stays whole.
    assert without_names("I moved. Where do I live now?") == "I moved. Where do I live now?"
    assert without_names("Jon?") == "Jon?"
    assert without_names("Quando é que a Sofia faz anos?") == "Quando é que a faz anos?"


def test_zscore_fusion_never_counts_a_list_against_an_id_it_could_not_read():
    # "b" is a page in another language than the question: the word list cannot match it,
    # so its absence there is no evidence; the meaning list puts it well ahead.
    vector = {"b": 0.5, "a": 0.3, "c": 0.2, "d": 0.1}
    lexical = {"a": 2.0, "c": 1.0, "d": 0.5}
    assert list(zscore_fusion({"vector": vector, "lexical": lexical}))[0] == "a"
    fused = zscore_fusion({"vector": vector, "lexical": lexical}, unseen={"lexical": {"b"}})
    assert list(fused)[0] == "b"
    # A word it does share (a name, a cognate) still counts for it, never against it.
    low = zscore_fusion({"lexical": {**lexical, "b": 0.1}}, unseen={"lexical": {"b"}})
    assert low["b"] == 0.0


async def test_a_page_in_the_other_language_keeps_its_retrieval_lead_over_shared_words():
    # A Portuguese question; the English page that answers ranks first by retrieval (its
    # meaning) and can share none of its words, a Portuguese page shares most of them.
    query = "Como é que eu desligo o alarme do forno quando o temporizador acaba?"
    docs = [
        fused("en", "Oven timer: go to Settings > Sounds and turn off the buzzer.", 1.0),
        fused("pt", "O alarme do forno toca quando o temporizador acaba; desliga-se sozinho.", 0.8),
        fused("x", "Recipes can be tagged with a cuisine.", 0.0),
    ]
    docs[0]["metadata"]["lang"], docs[1]["metadata"]["lang"] = "en", "pt"
    docs[2]["metadata"]["lang"] = "en"
    scores = await LocalReranker().score(query, docs)
    assert scores[0] > scores[1]
    # Asked in English, the same two pages are read as they are: the words count again.
    asked_in_english = "How do I turn off the oven timer buzzer?"
    scores = await LocalReranker().score(asked_in_english, [*docs[1:2], docs[0], docs[2]])
    assert scores[1] > scores[0]
