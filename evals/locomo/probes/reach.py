# ruff: noqa
"""Scratch: which gold turns the shipped top 50 lacks (or ranks 11-50) sit in the dense top 50 / 10 of q and of q' (LOCO)."""

import sys, json, numpy as np, torch

sys.argv = ["x", "/tmp/recall12/base.pkl"]
exec(open("evals/locomo/probes/adapter_fit.py").read().split("if __name__")[0])
ranked = {}
for l in open("/tmp/recall12/base.jsonl"):
    r = json.loads(l)
    ranked[r["qid"]] = r["ranked"]
convs = sorted(QS)
tot = dict(out=0, q50=0, a50=0, q100=0, a100=0, band=0, bq=0, ba=0)
for test in convs:
    m = fit([c for c in convs if c != test], 2, 8, 0.3)
    V = CONV[test]["V"]
    dia = {i: x for x, i in CONV[test]["idx"].items()}
    for qid, full, non, gold, cat in QS[test]:
        top = ranked.get(qid, [])
        with torch.no_grad():
            q = torch.tensor(non)[None]
            rq = np.argsort(-(q @ V.T)[0].numpy())
            ra = np.argsort(-(m(q) @ V.T)[0].numpy())
        pq = {int(i): k for k, i in enumerate(rq)}
        pa = {int(i): k for k, i in enumerate(ra)}
        for g in gold:
            if dia[g] not in top:
                tot["out"] += 1
                tot["q50"] += pq[g] < 50
                tot["a50"] += pa[g] < 50
                tot["q100"] += pq[g] < 100
                tot["a100"] += pa[g] < 100
            elif top.index(dia[g]) >= 10:
                tot["band"] += 1
                tot["bq"] += pq[g] < 10
                tot["ba"] += pa[g] < 10
print(tot)
