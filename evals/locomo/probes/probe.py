# ruff: noqa
"""Scratch: new reranker features / new candidates over one shipped run's candidates, LOCO-CV."""

import sys, asyncio, copy, pickle, logging, math, re, numpy as np

sys.path.insert(0, ".")
import evals.locomo.train as train
import retrievers.learned_rerank as lr
import retrievers.rerank_features as rf
from evals.locomo.run import Asked
from evals.locomo.train import Setup, held_out_rows
from evals.locomo.metrics import aggregate, BM25, bm25_tokens
from retrievers.rerank import LocalReranker
from text.words import QueryTerms

logging.basicConfig(level=logging.WARNING)
d = pickle.load(open(sys.argv[1], "rb"))
asked = [Asked(q, i, s) for q, i, s in d["asked"]]
asked = [a for a in asked if a.state.get("route") and a.query.evidence]
emb = d["emb"]


def norm(M):
    M = np.asarray(M, dtype=np.float64)
    return M / np.maximum(np.linalg.norm(M, axis=-1, keepdims=True), 1e-12)


C = {}
for conv, v in d["convs"].items():
    dia = v["dia"]
    T = norm(v["T"])
    V = norm(v["V"])
    sess = np.array([int(x.split(":")[0][1:]) for x in dia])
    idx = {x: i for i, x in enumerate(dia)}
    sids = sorted(set(sess))
    S = norm(np.stack([T[sess == s].mean(0) for s in sids]))
    SV = norm(np.stack([V[sess == s].mean(0) for s in sids]))
    docs = [" ".join(v["texts"][i] for i in np.where(sess == s)[0]) for s in sids]
    C[conv] = dict(
        dia=dia,
        T=T,
        V=V,
        sess=sess,
        idx=idx,
        sids=sids,
        S=S,
        SV=SV,
        sbm=BM25([bm25_tokens(x) for x in docs]),
        texts=v["texts"],
    )
QV = {k: (norm(a), norm(b)) for k, (a, b) in d["qv"].items()}
by_text = {}
for a in asked:
    by_text.setdefault(a.query.question, a.query)


def sess_stats(q):
    c = C[q.conv_id]
    qf, qn = QV[q.qid]
    cs = c["S"] @ qn
    csv = c["SV"] @ qn
    bm = np.asarray(c["sbm"].scores(bm25_tokens(q.question)), dtype=np.float64)
    out = {}
    for name, arr in (("scos", cs), ("scosv", csv), ("sbm", bm)):
        order = np.argsort(-arr)
        rank = np.empty(len(arr))
        rank[order] = np.arange(1, len(arr) + 1)
        z = (arr - arr.mean()) / (arr.std() or 1)
        out[name] = {s: (arr[j], z[j], math.log(rank[j])) for j, s in enumerate(c["sids"])}
    return out


GROUPS = {
    "scos": ("scos",),
    "scosv": ("scosv",),
    "sbm": ("sbm",),
    "nbcov": None,
    "nbcos": None,
}
AGG = re.compile(
    r"\b(what (?:\w+ )?(?:activities|kinds?|types?|things|items|events|books|places|countries|cities|ways|hobbies|causes|pets|instruments|sports)|how many|both|which .* (?:has|have)|what are)\b",
    re.I,
)
ORIG_F = rf.FEATURES
ORIG_CF = rf.candidate_features


def extra_cols(group, q, cands):
    c = C[q.conv_id]
    if group in ("scos", "scosv", "sbm"):
        st = sess_stats(q)[group]
        rows = [
            st.get(int(x["metadata"]["dia_id"].split(":")[0][1:]), (0, 0, math.log(40)))
            for x in cands
        ]
        return np.asarray(rows, dtype=np.float64)[:, 1:]  # z, log rank
    if group == "slex":
        from collections import defaultdict

        tot = defaultdict(float)
        allv = 0.0
        for x in cands:
            v = x["scores"].get("lexical", 0.0)
            tot[x["metadata"].get("thread_id")] += v
            allv += v
        vals = np.array([tot[x["metadata"].get("thread_id")] for x in cands])
        return np.column_stack([vals / (allv or 1.0), (vals - vals.mean()) / (vals.std() or 1.0)])
    if group == "islink":
        return np.asarray(
            [(x["scores"].get("link", 0.0), "link" in x["scores"]) for x in cands], dtype=np.float64
        )
    if group == "dup":
        M = c["T"]
        head = [c["idx"][x["metadata"]["dia_id"]] for x in cands[:3]]
        rows = []
        for r, x in enumerate(cands):
            i = c["idx"][x["metadata"]["dia_id"]]
            sims = [float(M[i] @ M[h]) for h in head if h != i]
            other = [float(M[i] @ M[h]) for h in head if h != i and c["sess"][h] != c["sess"][i]]
            rows.append((max(sims, default=0.0), max(other, default=0.0)))
        return np.asarray(rows, dtype=np.float64)
    if group == "agg":
        agg = float(bool(AGG.search(q.question)))
        base = ORIG_CF(q.question, cands)
        F = list(ORIG_F)
        return np.column_stack(
            [agg * base[:, F.index("vector_z")], agg * base[:, F.index("author_named")]]
        )
    if group in ("nbcov1", "nbprev", "nbw"):
        wanted = QueryTerms(q.question)
        rows = []
        lo, hi = {"nbcov1": (1, 1), "nbprev": (1, 0), "nbw": (2, 2)}[group]
        for x in cands:
            i = c["idx"][x["metadata"]["dia_id"]]
            s = c["sess"][i]
            win = " ".join(
                c["texts"][j]
                for j in range(max(0, i - lo), min(len(c["dia"]), i + hi + 1))
                if c["sess"][j] == s
            )
            rows.append((wanted.match(win)[0],))
        return np.asarray(rows, dtype=np.float64)
    if group == "nbcov":
        wanted = QueryTerms(q.question)
        rows = []
        for x in cands:
            i = c["idx"][x["metadata"]["dia_id"]]
            s = c["sess"][i]
            win = " ".join(
                c["texts"][j]
                for j in range(max(0, i - 2), min(len(c["dia"]), i + 3))
                if c["sess"][j] == s
            )
            own = wanted.match(x["content"])[0]
            w = wanted.match(win)[0]
            rows.append((w, w - own))
        return np.asarray(rows, dtype=np.float64)
    if group == "nbcos":
        qn = QV[q.qid][1]
        rows = []
        for x in cands:
            i = c["idx"][x["metadata"]["dia_id"]]
            s = c["sess"][i]
            nb = [
                j
                for j in (i - 2, i - 1, i + 1, i + 2)
                if 0 <= j < len(c["dia"]) and c["sess"][j] == s
            ]
            own = float(c["T"][i] @ qn)
            m = max((float(c["T"][j] @ qn) for j in nb), default=own)
            rows.append((m, m - own))
        return np.asarray(rows, dtype=np.float64)


def make(groups):
    names = ORIG_F + tuple(
        f"{g}_{k}"
        for g in groups
        for k in (("a",) if g in ("nbcov1", "nbprev", "nbw") else ("a", "b"))
    )

    def cf(query, cands):
        base = ORIG_CF(query, cands)
        if not groups or not len(cands):
            return np.zeros((0, len(names))) if not len(cands) else base
        q = by_text[query]
        return np.hstack([base] + [extra_cols(g, q, cands) for g in groups])

    return names, cf


def patch(groups):
    f, cf = make(groups)
    for m in (train, lr):
        m.FEATURES = f
        m.candidate_features = cf


def summ(rows):
    out = []
    a = aggregate([(c, m) for _, c, m in rows])
    o = a["overall"]
    s = "R@1 %.3f R@5 %.3f R@10 %.3f R@20 %.3f MRR %.3f" % (
        o["R@1"],
        o["R@5"],
        o["R@10"],
        o["R@20"],
        o["MRR"],
    )
    for k, v in a.items():
        if k != "overall":
            s += " | %s %.3f/%.3f" % (str(k)[:6], v["R@5"], v["R@10"])
    return s


cw = LocalReranker().coverage_weight
cands = [a.state["candidates"] for a in asked]


def hier_new(a, cs, nsess, add, vec="S"):
    """new candidates: best turns (max of T,V cos) inside the top `nsess` sessions, missing from the list"""
    q = a.query
    c = C[q.conv_id]
    qn = QV[q.qid][1]
    ss = c[vec] @ qn
    top = [c["sids"][j] for j in np.argsort(-ss)[:nsess]]
    rows = np.where(np.isin(c["sess"], top))[0]
    tv = np.maximum(c["T"][rows] @ qn, c["V"][rows] @ qn)
    have = {x["metadata"].get("dia_id") for x in cs}
    return [c["dia"][rows[j]] for j in np.argsort(-tv) if c["dia"][rows[j]] not in have][:add]


async def main():
    which = sys.argv[2].split(";")
    catalog = {}
    for a, cs in zip(asked, cands):
        for x in cs:
            if x["source"] == "conversation" and x["metadata"].get("dia_id"):
                catalog.setdefault((a.query.conv_id, x["metadata"]["dia_id"]), x)
    convs = sorted({a.query.conv_id for a in asked})
    for w in which:
        if w.startswith("link"):
            _, k, n, feat = w.split(":")
            k, n = int(k), int(n)
            new = []
            miss = 0
            add = k * n
            for a, cs in zip(asked, cands):
                c = C[a.query.conv_id]
                M = c["T"]
                head = [x["metadata"].get("dia_id") for x in cs[: train.RERANK_DEPTH]]
                have = set(head)
                extra = []
                floor = min(x["scores"].get("fused", 0) for x in cs)
                for dd in head[:k]:
                    i = c["idx"].get(dd)
                    if i is None:
                        continue
                    sims = M @ M[i]
                    sims[i] = -9
                    for j in np.argsort(-sims)[:n]:
                        e = c["dia"][j]
                        if e in have or (a.query.conv_id, e) not in catalog:
                            continue
                        have.add(e)
                        x = copy.deepcopy(catalog[(a.query.conv_id, e)])
                        x["scores"] = {"fused": floor, "link": float(sims[j])}
                        x["ranks"] = {}
                        extra.append(x)
                new.append(list(cs[: train.RERANK_DEPTH]) + extra + list(cs[train.RERANK_DEPTH :]))
            train.RERANK_DEPTH = 40 + add
            patch([g for g in feat.split(",") if g])
            rows, ch = await held_out_rows(asked, {c: Setup(new, cw) for c in convs}, emb)
            train.RERANK_DEPTH = 40
            print(w, summ(rows), "C", ch, flush=True)
            continue
        if w.startswith("new"):
            _, ns, add, feat = w.split(":")  # new:nsess:add:featgroups
            ns, add = int(ns), int(add)
            new = []
            miss = 0
            for a, cs in zip(asked, cands):
                extra = []
                floor = min(x["scores"].get("fused", 0) for x in cs)
                for dd in hier_new(a, cs, ns, add):
                    if (a.query.conv_id, dd) not in catalog:
                        miss += 1
                        continue
                    x = copy.deepcopy(catalog[(a.query.conv_id, dd)])
                    x["scores"] = {"fused": floor}
                    x["ranks"] = {}
                    extra.append(x)
                new.append(list(cs[: train.RERANK_DEPTH]) + extra + list(cs[train.RERANK_DEPTH :]))
            train.RERANK_DEPTH = 40 + add
            patch([g for g in feat.split(",") if g])
            rows, ch = await held_out_rows(asked, {c: Setup(new, cw) for c in convs}, emb)
            train.RERANK_DEPTH = 40
            print(w, summ(rows), "C", ch, "uncatalogued", miss, flush=True)
            continue
        groups = [g for g in w.split(",") if g]
        patch(groups)
        rows, ch = await held_out_rows(asked, {c: Setup(cands, cw) for c in convs}, emb)
        print(w or "base", summ(rows), "C", ch, flush=True)


asyncio.run(main())
