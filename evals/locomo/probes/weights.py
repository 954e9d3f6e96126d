# ruff: noqa
"""Scratch (session 11): the reranker's training rows weighted per question, LOCO-CV over one run's candidates."""

import sys, asyncio, pickle, numpy as np

sys.path.insert(0, ".")
sys.argv = [sys.argv[0], sys.argv[1], sys.argv[3] if len(sys.argv) > 3 else "", sys.argv[2]]
import importlib.util

spec = importlib.util.spec_from_file_location("p11", "evals/locomo/probes/probe11.py")
import evals.locomo.train as train
from sklearn.linear_model import LogisticRegression

ORIG_FIT = LogisticRegression.fit
MODE = sys.argv[3]


def patched_examples_fit(self, convs, c_value, embedder, constants, drop=frozenset()):
    picked = [i for i, conv in enumerate(self.conv) if conv in convs]
    w = []
    for i in picked:
        lab = self.labels[i]
        n, p = len(lab), max(int(lab.sum()), 1)
        if MODE == "pos":  # each question's positives weigh 1 in all
            w.append(np.where(lab, 1.0 / p, 1.0 / max(n - p, 1)) * 1.0)
        elif MODE == "q":  # each question's rows weigh 1 in all
            w.append(np.full(n, 1.0 / n))
        elif MODE == "posonly":
            w.append(np.where(lab, 1.0 / p, 1.0))
    w = np.concatenate(w)
    w = w / w.mean()
    LogisticRegression.fit = lambda s, X, y: ORIG_FIT(s, X, y, sample_weight=w)
    try:
        return ORIG_EX_FIT(self, convs, c_value, embedder, constants, drop)
    finally:
        LogisticRegression.fit = ORIG_FIT


ORIG_EX_FIT = train.Examples.fit
train.Examples.fit = patched_examples_fit
sys.argv = sys.argv[:3]
spec.loader.exec_module(importlib.util.module_from_spec(spec))
