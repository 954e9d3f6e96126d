# ruff: noqa
"""Scratch (session 11): paired bootstrap of per-question metric differences between probe rows."""

import pickle, sys, numpy as np

rows = pickle.load(open(sys.argv[1], "rb"))
base = rows["base"]
rng = np.random.default_rng(0)
for name, r in rows.items():
    if name == "base":
        continue
    out = [name]
    for k in ("R@5", "R@10", "MRR"):
        d = np.array([m[k] - b[k] for (_, _, m), (_, _, b) in zip(r, base, strict=True)])
        boot = [d[rng.integers(0, len(d), len(d))].mean() for _ in range(2000)]
        lo, hi = np.percentile(boot, [2.5, 97.5])
        out.append(
            f"{k} {d.mean():+.3f} [{lo:+.3f},{hi:+.3f}] up {int((d > 0).sum())} down {int((d < 0).sum())}"
        )
    print(" | ".join(out))
