# ruff: noqa
"""Scratch (session 12): a learned question-to-turn adapter over the stored USE vectors, LOCO-CV.

q' = q + U (B^T q) (rank r) or q' = d * q (diagonal), fit per fold on the other conversations'
(question, evidence turn) pairs by softmax over all turns of the question's conversation, with
an L2 pull toward identity (lambda). Scores the dense-only ranking of the held-out conversation
with q and with q' (the adapter never sees the held-out pairs). Usage: adapter_fit.py base.pkl
"""

import sys, pickle, itertools, numpy as np, torch

torch.set_num_threads(1)
d = pickle.load(open(sys.argv[1], "rb"))


def norm(M):
    M = np.asarray(M, dtype=np.float32)
    return M / np.maximum(np.linalg.norm(M, axis=-1, keepdims=True), 1e-12)


CONV = {}
for c, v in d["convs"].items():
    CONV[c] = dict(V=torch.tensor(norm(v["V"])), idx={x: i for i, x in enumerate(v["dia"])})
QS = {}  # conv -> list of (qid, qvec_full, qvec_nonames, gold idx list, category)
for q, ident, state in d["asked"]:
    if not q.evidence:
        continue
    c = CONV[q.conv_id]
    gold = [c["idx"][e] for e in q.evidence if e in c["idx"]]
    if not gold:
        continue
    full, non = d["qv"][q.qid]
    QS.setdefault(q.conv_id, []).append((q.qid, norm(full), norm(non), gold, q.category))


def batch(convs, which):
    out = []
    for c in convs:
        Q = torch.tensor(np.stack([x[which] for x in QS[c]]))
        G = torch.zeros(len(QS[c]), CONV[c]["V"].shape[0])
        for i, x in enumerate(QS[c]):
            G[i, x[3]] = 1.0
        out.append((c, Q, G))
    return out


class Adapter(torch.nn.Module):
    def __init__(self, dim, rank):
        super().__init__()
        self.rank = rank
        if rank == 0:
            self.d = torch.nn.Parameter(torch.zeros(dim))
        else:
            self.U = torch.nn.Parameter(torch.randn(dim, rank) * 1e-3)
            self.B = torch.nn.Parameter(torch.randn(dim, rank) * 1e-3)
        self.logt = torch.nn.Parameter(torch.tensor(3.0))

    def forward(self, Q):
        if self.rank == 0:
            return Q * (1 + self.d)
        return Q + (Q @ self.B) @ self.U.T

    def reg(self):
        if self.rank == 0:
            return (self.d**2).sum()
        return ((self.U @ self.B.T) ** 2).sum()


def loss_of(model, data, lam):
    tot, n = 0.0, 0
    for c, Q, G in data:
        V = CONV[c]["V"]
        A = model(Q)
        S = (A @ V.T) / A.norm(dim=1, keepdim=True)
        logp = torch.log_softmax(S * model.logt.exp(), dim=1)
        tot = tot - ((logp * G).sum(1) / G.sum(1)).sum()
        n += len(Q)
    return tot / n + lam * model.reg()


def fit(
    convs, which, rank, lam, steps=150, seed=int(__import__("os").environ.get("ADAPTER_SEED", "0"))
):
    torch.manual_seed(seed)
    data = batch(convs, which)
    model = Adapter(data[0][1].shape[1], rank)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        loss_of(model, data, lam).backward()
        opt.step()
    return model


class Ensemble(torch.nn.Module):
    """The mean of several adapters' q' (the mean of their corrections)."""

    def __init__(self, models):
        super().__init__()
        self.models = torch.nn.ModuleList(models)

    def forward(self, Q):
        return sum(m(Q) for m in self.models) / len(self.models)


_fit_one = fit


def fit(convs, which, rank, lam, steps=150):
    import os

    seeds = [int(x) for x in os.environ.get("ADAPTER_SEEDS", "").split(",") if x]
    if not seeds:
        return _fit_one(convs, which, rank, lam, steps)
    return Ensemble([_fit_one(convs, which, rank, lam, steps, seed=s) for s in seeds])


def metrics(model, conv, which):
    V = CONV[conv]["V"]
    rows = []
    with torch.no_grad():
        for qid, full, non, gold, cat in QS[conv]:
            q = torch.tensor([full, non][which - 1])[None]
            q = model(q) if model is not None else q
            s = (q @ V.T)[0].numpy()
            order = np.argsort(-s, kind="stable")
            rank = np.empty(len(order), int)
            rank[order] = np.arange(len(order))
            gr = rank[gold]
            m = {f"R@{k}": float((gr < k).mean()) for k in (1, 5, 10, 20, 50)}
            m["MRR"] = 1.0 / (gr.min() + 1)
            rows.append((qid, cat, m, gr))
    return rows


def summ(rows):
    ks = ["R@1", "R@5", "R@10", "R@20", "R@50", "MRR"]
    return " ".join("%s %.3f" % (k, np.mean([r[2][k] for r in rows])) for k in ks)


def obj(rows):
    return np.mean([r[2]["R@10"] + r[2]["R@50"] + r[2]["MRR"] for r in rows])


if __name__ == "__main__":
    which = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    grid = [(r, l) for r in (0, 8, 32) for l in (0.003, 0.03, 0.3)]
    if len(sys.argv) > 3:
        grid = [
            tuple(float(x) if "." in x else int(x) for x in g.split(","))
            for g in sys.argv[3].split(";")
        ]
    convs = sorted(QS)
    base_rows, cv_rows, fixed = [], [], {g: [] for g in grid}
    for test in convs:
        train = [c for c in convs if c != test]
        base_rows += metrics(None, test, which)
        # inner leave-one-out over the two training conversations
        best, best_g = -1, None
        for g in grid:
            inner = []
            for ho in train:
                m = fit([c for c in train if c != ho], which, *g)
                inner += metrics(m, ho, which)
            o = obj(inner)
            m = fit(train, which, *g)
            fixed[g] += metrics(m, test, which)
            if o > best:
                best, best_g = o, g
        print(test, "chose", best_g, flush=True)
        cv_rows += metrics(fit(train, which, *best_g), test, which)
    print("identity      ", summ(base_rows))
    print("adapter LOCO-CV", summ(cv_rows))
    for g in grid:
        print("fixed", g, summ(fixed[g]))
