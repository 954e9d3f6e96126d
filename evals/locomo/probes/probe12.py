# ruff: noqa
"""Scratch (session 12): the learned adapter's score as reranker features and as new candidates, LOCO-CV.

For each held-out conversation the adapter is fitted on the other two only (rank, lambda fixed
or chosen by the inner leave-one-out of adapter_fit.py), then the reranker's C is chosen by the
inner leave-one-out exactly as `--cv` does, with the adapter's features on its training rows.
Groups: '' (shipped features), 'ad' (adapted cosine, its z-score in the list, log rank of the
turn in its conversation by adapted score), 'id' (the same three with the identity adapter: is
it the adapter or the view?), 'adN' (ad, plus the N best turns by adapted score the head lacks,
appended to the reranker's head). Usage: probe12.py base.pkl rank lam 'g1;g2;...'
"""

import sys, asyncio, pickle, logging, copy, numpy as np, torch

sys.path.insert(0, ".")
sys.argv, ARGS = sys.argv[:2], sys.argv[2:]
import evals.locomo.train as train
import retrievers.learned_rerank as lr
import retrievers.rerank_features as rf
from evals.locomo.run import Asked
from evals.locomo.train import Setup, Trainer
from evals.locomo.metrics import aggregate
from retrievers.rerank import served_constants

exec(open("evals/locomo/probes/adapter_fit.py").read().split("if __name__")[0])

logging.basicConfig(level=logging.WARNING)
RANK, LAM = int(ARGS[0]), float(ARGS[1])
asked = [Asked(q, i, s) for q, i, s in d["asked"]]
asked = [a for a in asked if a.state.get("route") and a.query.evidence]
emb = d["emb"]
by_text = {a.query.question: a.query for a in asked}
META = {}  # (conv, dia) -> a candidate seen for that turn anywhere (for new candidates)
for a in asked:
    for c in a.state["candidates"]:
        if c["source"] == "conversation" and c["metadata"].get("dia_id"):
            META.setdefault((a.query.conv_id, c["metadata"]["dia_id"]), c)
QVEC = {x[0]: x[2] for v in QS.values() for x in v}  # names-stripped
STATE = {"model": None}
HEAD = {}  # qid -> conversation indices of the reranker's head plus the gold turns
for a in asked:
    idx = CONV[a.query.conv_id]["idx"]
    h = [
        idx[c["metadata"]["dia_id"]]
        for c in a.state["candidates"][:40]
        if c["source"] == "conversation" and c["metadata"].get("dia_id") in idx
    ]
    g = [idx[e] for e in a.query.evidence if e in idx]
    HEAD[a.query.qid] = (sorted(set(h) | set(g)), g)


def fit_hard(convs, rank, lam, steps=150):
    """The adapter trained against the head's other turns (hard negatives) instead of all turns."""
    torch.manual_seed(0)
    model = Adapter(512, rank)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    Qs, Vs, Gs, Ms = [], [], [], []
    for c in convs:
        V = CONV[c]["V"]
        for x in QS[c]:
            h, g = HEAD[x[0]]
            Qs.append(torch.tensor(x[2]))
            Vs.append(V[h])
            Gs.append(torch.tensor([i in g for i in h], dtype=torch.float32))
    L = max(len(v) for v in Vs)
    Q = torch.stack(Qs)
    VV = torch.zeros(len(Vs), L, 512)
    G = torch.zeros(len(Vs), L)
    M = torch.full((len(Vs), L), -1e9)
    for i, (v, g) in enumerate(zip(Vs, Gs)):
        VV[i, : len(v)] = v
        G[i, : len(g)] = g
        M[i, : len(v)] = 0.0
    for _ in range(steps):
        opt.zero_grad()
        a = model(Q)
        s = torch.einsum("bd,bld->bl", a, VV) / a.norm(dim=1, keepdim=True)
        logp = torch.log_softmax(s * model.logt.exp() + M, 1)
        loss = -((logp * G).sum(1) / G.sum(1)).mean()
        (loss + lam * model.reg()).backward()
        opt.step()
    return model


SCORES = {}
KEEP = []  # every adapter stays alive, so no id is reused for another one's cached scores


def adapted_scores(q):
    model = STATE["model"]
    if isinstance(model, dict):  # cross-fitted: each conversation's adapter never saw it
        model = model[q.conv_id]
    KEEP.append(model)
    key = (id(model), q.qid)
    if key not in SCORES:
        V = CONV[q.conv_id]["V"]
        with torch.no_grad():
            v = torch.tensor(QVEC[q.qid])[None]
            if model is not None:
                v = model(v)
            v = v / v.norm()
            s = (v @ V.T)[0].numpy().astype(np.float64)
        order = np.argsort(-s, kind="stable")
        rank = np.empty(len(s), int)
        rank[order] = np.arange(len(s))
        SCORES[key] = (s, rank, order)
    return SCORES[key]


def ad_cols(q, cands):
    s, rank, _ = adapted_scores(q)
    idx = CONV[q.conv_id]["idx"]
    ii = [idx.get(x["metadata"].get("dia_id")) for x in cands]
    cos = np.array([s[i] if i is not None else np.nan for i in ii])
    m, sd = np.nanmean(cos), (np.nanstd(cos) or 1.0)
    lo = np.nanmin(cos) if np.isfinite(cos).any() else 0.0
    cos = np.where(np.isnan(cos), lo, cos)
    lrk = np.array([np.log1p(rank[i]) if i is not None else np.log(len(s)) for i in ii])
    return np.stack([cos, (cos - m) / sd, lrk], axis=1)


ORIG_F, ORIG_CF = rf.FEATURES, rf.candidate_features
GROUP = {"on": False}


def patch(on):
    names = ORIG_F + (("ad_cos", "ad_z", "ad_logrank") if on else ())

    def cf(query, cands):
        base = ORIG_CF(query, cands)
        if not on or not len(cands):
            return base if len(cands) else np.zeros((0, len(names)))
        return np.hstack([base, ad_cols(by_text[query], cands)])

    for m in (train, lr):
        m.FEATURES = names
        m.candidate_features = cf


def with_new(a, cands, n):
    if n == 0:
        return cands
    _, _, order = adapted_scores(a.query)
    head = list(cands[: train.RERANK_DEPTH0])
    have = {c["metadata"].get("dia_id") for c in head}
    dia = d["convs"][a.query.conv_id]["dia"]
    new = []
    for i in order:
        if len(new) >= n:
            break
        if dia[i] in have or (a.query.conv_id, dia[i]) not in META:
            continue
        c = copy.deepcopy(META[(a.query.conv_id, dia[i])])
        low = min((h["scores"].get("fused", 0.0) for h in head), default=0.0)
        c["scores"], c["ranks"] = {"fused": low}, {}
        new.append(c)
    return head + new + list(cands[train.RERANK_DEPTH0 :])


train.RERANK_DEPTH0 = train.RERANK_DEPTH


def summ(rows):
    a = aggregate([(c, m) for _, c, m in rows])
    o = a["overall"]
    s = " ".join("%s %.3f" % (k, o[k]) for k in ("R@1", "R@5", "R@10", "R@20", "MRR"))
    for k, v in a.items():
        if k != "overall":
            s += " | %s %.3f/%.3f" % (str(k)[:6], v["R@5"], v["R@10"])
    return s


async def run(group):
    on = group not in ("",)
    ident = group == "id"
    cross = group.startswith("x")
    group = group.lstrip("x")
    hard = group.startswith("h")
    group = "ad" + group[1:] if hard else group
    fitter = fit_hard if hard else (lambda tr, r, l: fit(tr, 2, r, l))
    n = int(group[2:]) if group.startswith("ad") and group[2:] else 0
    patch(on)
    train.RERANK_DEPTH = train.RERANK_DEPTH0 + n
    convs = sorted({a.query.conv_id for a in asked})
    rows, chosen = [], {}
    for test in convs:
        tr = [c for c in convs if c != test]
        STATE["model"] = None if ident or not on else fitter(tr, RANK, LAM)
        if cross and on and not ident:
            STATE["model"] = {
                test: STATE["model"],
                **{c: fitter([o for o in tr if o != c], RANK, LAM) for c in tr},
            }
        cands = [with_new(a, a.state["candidates"], n) for a in asked]
        trainer = Trainer(asked, Setup(cands, served_constants()), emb)
        chosen[test] = await trainer.choose_c(set(tr))
        rows += await trainer.held_out(set(tr), test, chosen[test])
    train.RERANK_DEPTH = train.RERANK_DEPTH0
    return rows, chosen


async def main():
    out = {}
    for g in ARGS[2].split(";"):
        rows, ch = await run(g)
        print(g or "base", summ(rows), "C", ch, flush=True)
        out[g or "base"] = rows
    pickle.dump(out, open(f"/tmp/recall12/probe_rows_{RANK}_{LAM}.pkl", "wb"))


asyncio.run(main())
