# ruff: noqa
import sys, pickle, numpy as np

sys.argv = [sys.argv[0], "/tmp/recall10/base.pkl", ""]
exec(open("evals/locomo/probes/probe.py").read().split("async def main")[0])
from collections import defaultdict, Counter

pos = Counter()
n = Counter()
for a, cs in zip(asked, cands):
    have = [x["metadata"].get("dia_id") for x in cs]
    n["lists"] += 1
    n["len"] += len(have)
    for e in set(a.query.evidence):
        if e in have:
            p = have.index(e) + 1
            pos["1-40" if p <= 40 else "41-50" if p <= 50 else "51-80" if p <= 80 else ">80"] += 1
        else:
            pos["not in list"] += 1
print(pos, "mean list len", n["len"] / n["lists"])
# dense rank of missing evidence over the whole conversation (name-stripped q, max T,V)
rk = Counter()
for a, cs in zip(asked, cands):
    q = a.query
    c = C[q.conv_id]
    qn = QV[q.qid][1]
    qf = QV[q.qid][0]
    have = set(x["metadata"].get("dia_id") for x in cs[:50])
    sc = np.maximum(c["T"] @ qn, c["V"] @ qn)
    order = np.argsort(-sc)
    r = np.empty(len(sc), int)
    r[order] = np.arange(1, len(sc) + 1)
    for e in set(q.evidence) - have:
        if e not in c["idx"]:
            continue
        x = r[c["idx"][e]]
        rk["<=50" if x <= 50 else "51-100" if x <= 100 else "101-200" if x <= 200 else ">200"] += 1
print("dense rank (max view, no names) of evidence outside top 50:", rk)
