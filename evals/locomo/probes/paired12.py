# ruff: noqa
"""Scratch: paired bootstrap (2,000 resamples) of per-question metrics, rows B minus rows A.

Usage: paired12.py file.pkl keyA keyB [index]  (index picks one list when a value is a tuple).
"""

import sys, pickle, numpy as np

d = pickle.load(open(sys.argv[1], "rb"))
idx = int(sys.argv[4]) if len(sys.argv) > 4 else None
A, B = d[sys.argv[2]], d[sys.argv[3]]
if idx is not None:
    A, B = A[idx], B[idx]
rng = np.random.default_rng(0)
for k in ("R@1", "R@5", "R@10", "R@20", "MRR"):
    diff = np.array([b[2][k] - a[2][k] for a, b in zip(A, B)])
    boots = [diff[rng.integers(0, len(diff), len(diff))].mean() for _ in range(2000)]
    lo, hi = np.percentile(boots, [2.5, 97.5])
    print(
        f"{k}: {diff.mean():+.3f} [{lo:+.3f}, {hi:+.3f}] up {int((diff > 0).sum())} down {int((diff < 0).sum())}"
    )
