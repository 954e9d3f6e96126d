# ruff: noqa
import sys, pickle, numpy as np

sys.argv = [sys.argv[0], "/tmp/recall10/base.pkl", ""]
exec(open("evals/locomo/probes/probe.py").read().split("async def main")[0])
from collections import defaultdict


def stem(w):
    for suf in ("ing", "ed", "es", "s"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def toks(t):
    return [stem(w) for w in bm25_tokens(t)]


for conv, c in C.items():
    c["tbm"] = BM25([toks(x) for x in c["texts"]], k1=1.2, b=0.2)
    docs = [" ".join(c["texts"][i] for i in np.where(c["sess"] == s)[0]) for s in c["sids"]]
    c["sbm2"] = BM25([toks(x) for x in docs], k1=1.2, b=0.75)
tot = defaultdict(int)
top40 = defaultdict(int)
top50 = defaultdict(int)
for a, cs in zip(asked, cands):
    ev = set(a.query.evidence)
    have = [x["metadata"].get("dia_id") for x in cs]
    tot[a.query.category] += len(ev)
    top40[a.query.category] += len(ev & set(have[:40]))
    top50[a.query.category] += len(ev & set(have[:50]))
print("evidence", dict(tot), "top40", dict(top40), "top50", dict(top50))
# where is missing evidence: session rank by session BM25 (and session vector)
for scorer in ("sbm2", "S"):
    rk = defaultdict(int)
    for a, cs in zip(asked, cands):
        q = a.query
        c = C[q.conv_id]
        have = set(x["metadata"].get("dia_id") for x in cs[:50])
        if scorer == "S":
            ss = c["S"] @ QV[q.qid][1]
        else:
            ss = np.asarray(c[scorer].scores(toks(q.question)))
        order = [c["sids"][j] for j in np.argsort(-ss)]
        for e in set(q.evidence) - have:
            if e not in c["idx"]:
                continue
            s = c["sess"][c["idx"][e]]
            r = order.index(s) + 1
            rk["1" if r == 1 else "2-3" if r <= 3 else "4-5" if r <= 5 else ">5"] += 1
    print(scorer, "session rank of evidence outside top50:", dict(rk))
for ns in (1, 2, 3):
    for add in (5, 10, 20):
        for ts in ("bm", "cos"):
            found = defaultdict(int)
            for a, cs in zip(asked, cands):
                q = a.query
                c = C[q.conv_id]
                ss = np.asarray(c["sbm2"].scores(toks(q.question)))
                top = [c["sids"][j] for j in np.argsort(-ss)[:ns]]
                rows = np.where(np.isin(c["sess"], top))[0]
                if ts == "bm":
                    tv = np.asarray(c["tbm"].scores(toks(q.question)))[rows]
                else:
                    qn = QV[q.qid][1]
                    tv = np.maximum(c["T"][rows] @ qn, c["V"][rows] @ qn)
                have = {x["metadata"].get("dia_id") for x in cs[:50]}
                got = [c["dia"][rows[j]] for j in np.argsort(-tv) if c["dia"][rows[j]] not in have][
                    :add
                ]
                found[q.category] += len(set(q.evidence) & set(got))
            print("sbm sessions", ns, "add", add, ts, dict(found), sum(found.values()))
