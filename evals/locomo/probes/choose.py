# ruff: noqa
"""Scratch (session 11): the per-question positive weighting as a choice of the inner leave-one-out, beside C."""

import sys, numpy as np

sys.path.insert(0, ".")
import importlib.util
import evals.locomo.train as train
from sklearn.linear_model import LogisticRegression

ORIG_FIT = LogisticRegression.fit
ORIG_EX_FIT = train.Examples.fit
train.C_VALUES = (0.01, 0.1, 1.0, 10.01, 10.1, 11.0)


def fit(self, convs, c_value, embedder, constants, drop=frozenset()):
    if c_value < 10:
        return ORIG_EX_FIT(self, convs, c_value, embedder, constants, drop)
    picked = [i for i, conv in enumerate(self.conv) if conv in convs]
    w = np.concatenate(
        [np.where(self.labels[i], 1.0 / max(int(self.labels[i].sum()), 1), 1.0) for i in picked]
    )
    w = w / w.mean()
    LogisticRegression.fit = lambda s, X, y: ORIG_FIT(s, X, y, sample_weight=w)
    try:
        return ORIG_EX_FIT(self, convs, round(c_value - 10, 4), embedder, constants, drop)
    finally:
        LogisticRegression.fit = ORIG_FIT


train.Examples.fit = fit
spec = importlib.util.spec_from_file_location("p11", "evals/locomo/probes/probe11.py")
spec.loader.exec_module(importlib.util.module_from_spec(spec))
