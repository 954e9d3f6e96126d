"""A boosted-trees rerank model shipped as plain numbers: every tree's nodes, walked in numpy.

`memoria eval locomo --cv` trains scikit-learn's `HistGradientBoostingClassifier` on the same
features as the logistic model (`retrievers.rerank_features`) when cross-validation prefers it,
and writes its trees as JSON (`retrievers/models/rerank-trees-v1.json`): no pickle and no
scikit-learn at run time. The trees are walked together, one level of every tree per numpy
step, so 50 candidates through 100 trees cost a fraction of a millisecond.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

FORMAT = "memoria-rerank-trees/1"
"""The file layout `TreeModel.from_dict` reads."""

_NODE_FIELDS = ("feature", "threshold", "left", "right", "value")


@dataclass(frozen=True)
class TreeModel:
    """Boosted trees over `features`: score = bias + the leaf value each tree gives a row.

    All trees' nodes sit in one table; `roots` are where each tree starts. A node is a leaf
    when its `left` is -1; otherwise a row goes left when its `feature` is <= `threshold`.
    """

    name: str
    embedder: str
    features: tuple[str, ...]
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    intercept: float
    depth: int
    trained: Mapping[str, Any]

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Return the model's score (log-odds) of each feature row."""
        if not len(rows):
            return np.zeros(0, dtype=np.float64)
        node = np.repeat(self.roots[:, None], len(rows), axis=1)
        cols = np.arange(len(rows))[None, :]
        for _ in range(self.depth):
            inner = self.left[node] >= 0
            if not inner.any():
                break
            go_left = rows[cols, self.feature[node]] <= self.threshold[node]
            step = np.where(go_left, self.left[node], self.right[node])
            node = np.where(inner, step, node)
        return self.value[node].sum(axis=0) + self.intercept

    def to_dict(self) -> dict[str, Any]:
        """Return the model as the JSON file stores it."""
        return {
            "format": FORMAT,
            "name": self.name,
            "embedder": self.embedder,
            "features": list(self.features),
            "intercept": round(float(self.intercept), 8),
            "depth": self.depth,
            "roots": [int(v) for v in self.roots],
            "feature": [int(v) for v in self.feature],
            "threshold": [round(float(v), 8) for v in self.threshold],
            "left": [int(v) for v in self.left],
            "right": [int(v) for v in self.right],
            "value": [round(float(v), 8) for v in self.value],
            "trained": dict(self.trained),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TreeModel:
        """Build a model from its JSON form.

        Raises:
            ValueError: another format, node columns of unequal length, or a node pointing
                outside the table or at a feature the model does not list.
        """
        if data.get("format") != FORMAT:
            raise ValueError(f"rerank model format is {data.get('format')!r}, not {FORMAT!r}")
        features = tuple(data["features"])
        ints = {k: np.asarray(data[k], dtype=np.int64) for k in ("feature", "left", "right")}
        floats = {k: np.asarray(data[k], dtype=np.float64) for k in ("threshold", "value")}
        columns = {**ints, **floats}
        size = len(columns["value"])
        roots = np.asarray(data["roots"], dtype=np.int64)
        if any(len(columns[k]) != size for k in _NODE_FIELDS):
            raise ValueError("rerank trees: every node column needs one value per node")
        inner = ints["left"] >= 0
        links = np.concatenate([roots, ints["left"][inner], ints["right"][inner]])
        if ((links < 0) | (links >= size)).any():
            raise ValueError("rerank trees: a node points outside the node table")
        if ((ints["feature"][inner] < 0) | (ints["feature"][inner] >= len(features))).any():
            raise ValueError("rerank trees: a node splits on a feature the model does not list")
        return cls(
            name=str(data["name"]),
            embedder=str(data["embedder"]),
            features=features,
            roots=roots,
            feature=np.where(inner, ints["feature"], 0),
            threshold=floats["threshold"],
            left=ints["left"],
            right=ints["right"],
            value=floats["value"],
            intercept=float(data["intercept"]),
            depth=int(data["depth"]),
            trained=dict(data.get("trained") or {}),
        )


def from_sklearn(
    clf: Any, *, name: str, embedder: str, features: tuple[str, ...], trained: Mapping[str, Any]
) -> TreeModel:
    """Flatten a fitted binary `HistGradientBoostingClassifier` into a `TreeModel`.

    Reads the fitted predictors' node records (value, feature_idx, num_threshold, left,
    right, is_leaf); categorical splits are not supported (the features are numbers).
    """
    roots, columns = [], {k: [] for k in _NODE_FIELDS}
    depth = 0
    for (predictor,) in clf._predictors:
        nodes = predictor.nodes
        if nodes["is_categorical"].any():
            raise ValueError("rerank trees: categorical splits are not supported")
        offset = len(columns["value"])
        roots.append(offset)
        leaf = nodes["is_leaf"].astype(bool)
        columns["feature"].extend(np.where(leaf, -1, nodes["feature_idx"]).tolist())
        columns["threshold"].extend(nodes["num_threshold"].tolist())
        columns["left"].extend(np.where(leaf, -1, nodes["left"].astype(np.int64) + offset))
        columns["right"].extend(np.where(leaf, -1, nodes["right"].astype(np.int64) + offset))
        columns["value"].extend(np.where(leaf, nodes["value"], 0.0).tolist())
        depth = max(depth, int(nodes["depth"].max()))
    return TreeModel.from_dict(
        {
            "format": FORMAT,
            "name": name,
            "embedder": embedder,
            "features": list(features),
            "intercept": float(np.ravel(clf._baseline_prediction)[0]),
            "depth": depth,
            "roots": roots,
            **{k: [v.item() if hasattr(v, "item") else v for v in vs] for k, vs in columns.items()},
            "trained": dict(trained),
        }
    )
