# ruff: noqa
"""Scratch (session 12): q' as an extra candidate source, its own meaning leg fused at weight w, LOCO-CV.

The shipped legs unchanged, plus `messages_adapted`: the same dense search of the user's
messages with the adapted question q' (signal "adapted"), z-fused at weight w. Adapters
cross-fitted (each conversation's questions searched with an adapter that never saw it: the
held-out one's from the other two, each training one's from the other training one); the
learned reranker's C by the inner leave-one-out, trained on the two training conversations.
Usage: probe12c.py base.pkl rank lam w1,w2,...
"""

import os, sys, asyncio, pickle, logging, numpy as np, torch

sys.path.insert(0, ".")
sys.argv, ARGS = sys.argv[:2], sys.argv[2:]
exec(open("evals/locomo/probes/adapter_fit.py").read().split("if __name__")[0])
from pathlib import Path
from evals.locomo import load_jsonl_benchmark, run_eval
from evals.locomo.data import DEPTH
from evals.locomo.train import Setup, Trainer, score_all
from evals.locomo.metrics import aggregate
from configs.settings import get_settings
from graph.resources import Resources
from memory import message_index
from retrievers.legs.messages_dense import MessagesDense
from retrievers.legs.sources import message_candidate, roles_for
from retrievers.registry import Entry
from retrievers.search import Retriever
from retrievers.rerank import LocalReranker, served_constants

logging.basicConfig(level=logging.WARNING)
RANK, LAM = int(ARGS[0]), float(ARGS[1])
WEIGHTS = [float(x) for x in ARGS[2].split(",")]
D = "/work/shared/bench/locomo"
turns, queries = load_jsonl_benchmark(Path(f"{D}/turns.jsonl"), Path(f"{D}/queries.jsonl"))
STATE = {"model": {}}


class MessagesAdapted(MessagesDense):
    """The user's messages nearest the adapted question q'."""

    name = "messages_adapted"
    signal = "adapted"

    async def search(self, q):
        model = STATE["model"][q.ident.user_id]
        with torch.no_grad():
            v = model(torch.tensor(q.vector, dtype=torch.float32)[None])[0]
            v = (v / v.norm()).tolist()
        rows = await message_index.dense(self._pool, q.ident, v, q.fetch_k, roles=roles_for(q.text))
        return [message_candidate(r, {"adapted": 1.0 - float(r["distance"])}) for r in rows]


def summ(rows):
    a = aggregate([(c, m) for _, c, m in rows])
    o = a["overall"]
    s = " ".join("%s %.3f" % (k, o[k]) for k in ("R@1", "R@5", "R@10", "R@20", "MRR"))
    for k, v in a.items():
        if k != "overall":
            s += " | %s %.3f/%.3f" % (str(k)[:6], v["R@5"], v["R@10"])
    return s


async def analyse(res, asked):
    asked = [a for a in asked if a.state.get("route") and a.query.evidence]
    convs = sorted({a.query.conv_id for a in asked})
    users = {}
    for a in asked:
        users.setdefault(a.query.conv_id, a.ident.user_id)
    emb = res.settings.memoria_embedding_model
    const = served_constants()
    base = res.retriever
    out = {}
    for w in WEIGHTS:
        reg = base.registry.with_leg(
            Entry(MessagesAdapted, {"semantic_search": w, "hybrid": w, "cross_conversation": w})
        )
        retriever = Retriever(stores=base.stores, embeddings=res.embeddings, registry=reg)
        learned, hand = [], []
        for test in convs:
            tr = [c for c in convs if c != test]
            STATE["model"] = {
                users[test]: fit(tr, 2, RANK, LAM),
                **{users[c]: fit([o for o in tr if o != c], 2, RANK, LAM) for c in tr},
            }
            cands = [
                await retriever.retrieve(
                    a.ident,
                    a.query.question,
                    a.state["route"],
                    fetch_k=DEPTH,
                    language=a.state.get("language"),
                )
                for a in asked
            ]
            trainer = Trainer(asked, Setup(cands, const), emb)
            c = await trainer.choose_c(set(tr))
            learned += await trainer.held_out(set(tr), test, c)
            items = [(a, x) for a, x in zip(asked, cands) if a.query.conv_id == test]
            hand += await score_all(
                [a for a, _ in items],
                [x for _, x in items],
                LocalReranker(coverage_weight=const["coverage_weight"]),
            )
            print("w", w, test, "C", c, flush=True)
        print("w", w, "learned LOCO-CV", summ(learned), flush=True)
        print("w", w, "hand-tuned      ", summ(hand), flush=True)
        out[w] = (learned, hand)
    pickle.dump(out, open(f"/tmp/recall12/probe12c_{RANK}_{LAM}.pkl", "wb"))


async def main():
    res = Resources(get_settings())
    try:
        await run_eval(res, turns, queries, out_path=Path("/tmp/recall12/c.jsonl"), analyse=analyse)
    finally:
        await res.aclose()


asyncio.run(main())
