# ruff: noqa
import sys

src = open("evals/locomo/probes/probe.py").read()
pre, main = src.split("async def main")
exec(pre)


def stem(w):
    for suf in ("ing", "ed", "es", "s"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def toks(t):
    return [stem(w) for w in bm25_tokens(t)]


for conv, c in C.items():
    docs = [" ".join(c["texts"][i] for i in np.where(c["sess"] == s)[0]) for s in c["sids"]]
    c["sbm2"] = BM25([toks(x) for x in docs], k1=1.2, b=0.75)
_old_extra = extra_cols


def extra_cols(group, q, cands):
    if group in ("sbm2", "sbm2z", "sbm2r"):
        c = C[q.conv_id]
        arr = np.asarray(c["sbm2"].scores(toks(q.question)), dtype=np.float64)
        order = np.argsort(-arr)
        rank = np.empty(len(arr))
        rank[order] = np.arange(1, len(arr) + 1)
        z = (arr - arr.mean()) / (arr.std() or 1)
        st = {s: (z[j], math.log(rank[j])) for j, s in enumerate(c["sids"])}
        rows = np.asarray(
            [
                st.get(int(x["metadata"]["dia_id"].split(":")[0][1:]), (0, math.log(40)))
                for x in cands
            ],
            dtype=np.float64,
        )
        return rows if group == "sbm2" else rows[:, :1] if group == "sbm2z" else rows[:, 1:]
    return _old_extra(group, q, cands)


def make(groups):
    one = ("nbcov1", "nbprev", "nbw", "sbm2z", "sbm2r")
    names = ORIG_F + tuple(f"{g}_{k}" for g in groups for k in (("a",) if g in one else ("a", "b")))

    def cf(query, cands):
        base = ORIG_CF(query, cands)
        if not groups or not len(cands):
            return np.zeros((0, len(names))) if not len(cands) else base
        q = by_text[query]
        return np.hstack([base] + [extra_cols(g, q, cands) for g in groups])

    return names, cf


def hier_new(a, cs, nsess, add, vec="S"):
    q = a.query
    c = C[q.conv_id]
    qn = QV[q.qid][1]
    ss = np.asarray(c["sbm2"].scores(toks(q.question)))
    top = [c["sids"][j] for j in np.argsort(-ss)[:nsess]]
    rows = np.where(np.isin(c["sess"], top))[0]
    tv = np.maximum(c["T"][rows] @ qn, c["V"][rows] @ qn)
    have = {x["metadata"].get("dia_id") for x in cs}
    return [c["dia"][rows[j]] for j in np.argsort(-tv) if c["dia"][rows[j]] not in have][:add]


exec("async def main" + main)
