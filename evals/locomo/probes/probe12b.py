# ruff: noqa
"""Scratch (session 12): the messages meaning leg searching with the adapted question q', LOCO-CV.

Ingests and runs the shipped read path once, then per held-out conversation: fits the adapter
on the other two (adapter_fit.py, rank and lambda given), re-retrieves every question with the
meaning leg's vector replaced by q' (the product's Retriever, served constants), and scores
the learned reranker (C by the inner leave-one-out, trained on the other two conversations'
candidates retrieved with the same adapter) and the hand-tuned order on the held-out one.
Usage: probe12b.py base.pkl rank lam
"""

import os, sys, asyncio, pickle, logging, dataclasses, numpy as np, torch

sys.path.insert(0, ".")
sys.argv, ARGS = sys.argv[:2], sys.argv[2:]
exec(open("evals/locomo/probes/adapter_fit.py").read().split("if __name__")[0])
from pathlib import Path
from evals.locomo import load_jsonl_benchmark, run_eval
from evals.locomo.cv import retrieve_at, shipped_point
from evals.locomo.train import Setup, Trainer, score_all
from evals.locomo.metrics import aggregate
from evals.locomo.run import format_report
from configs.settings import get_settings
from graph.resources import Resources
from retrievers.legs.messages_dense import MessagesDense
from retrievers.rerank import LocalReranker, served_constants

logging.basicConfig(level=logging.WARNING)
RANK, LAM = int(ARGS[0]), float(ARGS[1])
WHICH = ARGS[2].split(",") if len(ARGS) > 2 else ["identity", "adapter"]
D = "/work/shared/bench/locomo"
turns, queries = load_jsonl_benchmark(Path(f"{D}/turns.jsonl"), Path(f"{D}/queries.jsonl"))
STATE = {"model": None}
_orig = MessagesDense.search


async def adapted_search(self, q):
    model = STATE["model"]
    if isinstance(model, dict):  # cross-fitted: by the asking user's conversation
        model = model[q.ident.user_id]
    if model is not None:
        with torch.no_grad():
            v = model(torch.tensor(q.vector, dtype=torch.float32)[None])[0]
            v = (v / v.norm()).tolist()
        q = dataclasses.replace(q, vector=v)
    return await _orig(self, q)


MessagesDense.search = adapted_search


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
    emb = res.settings.memoria_embedding_model
    const = served_constants()
    out = {}
    users = {}
    for a in asked:
        users.setdefault(a.query.conv_id, a.ident.user_id)
    labels = [
        ("identity", False),
        (f"adapter r{RANK} l{LAM}", True),
        (f"cross-fitted adapter r{RANK} l{LAM}", "x"),
    ]
    labels = [x for x in labels if x[0].split(" ")[0] in WHICH]
    for label, adapt in labels:
        learned, hand = [], []
        for test in convs:
            tr = [c for c in convs if c != test]
            STATE["model"] = fit(tr, 2, RANK, LAM) if adapt else None
            if adapt == "x":
                STATE["model"] = {
                    users[test]: STATE["model"],
                    **{users[c]: fit([o for o in tr if o != c], 2, RANK, LAM) for c in tr},
                }
            cands = await retrieve_at(res, asked, shipped_point()[:-1], {})
            trainer = Trainer(asked, Setup(cands, const), emb)
            c = await trainer.choose_c(set(tr))
            learned += await trainer.held_out(set(tr), test, c)
            items = [(a, x) for a, x in zip(asked, cands) if a.query.conv_id == test]
            hand += await score_all(
                [a for a, _ in items],
                [x for _, x in items],
                LocalReranker(coverage_weight=const["coverage_weight"]),
            )
            print(label, test, "C", c, flush=True)
        print(label, "learned LOCO-CV", summ(learned), flush=True)
        print(label, "hand-tuned      ", summ(hand), flush=True)
        out[label] = (learned, hand)
    STATE["model"] = None
    pickle.dump(
        out,
        open(
            f"/tmp/recall12/probe12b_{RANK}_{LAM}_s{os.environ.get('ADAPTER_SEEDS', os.environ.get('ADAPTER_SEED', '0'))}_{'_'.join(WHICH)}.pkl",
            "wb",
        ),
    )
    return None


async def main():
    res = Resources(get_settings())
    try:
        r = await run_eval(
            res, turns, queries, out_path=Path("/tmp/recall12/b.jsonl"), analyse=analyse
        )
        print(format_report(r))
    finally:
        await res.aclose()


asyncio.run(main())
