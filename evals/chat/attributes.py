"""Train the semantic attribute classifier on the labelled bank; check it; write its weights.

    python -m evals.chat.attributes train [--model use|e5] [--question T --statement T ...]
    python -m evals.chat.attributes cv [--model use]    # bank cross-validation, per kind

`train` embeds `memory/attribute_bank.yaml` with the embedding model (questions as queries,
statements as stored texts, as the product embeds them), fits one multinomial logistic
regression per kind (scikit-learn, here only) and writes `memory/models/attributes-<model>.json`
(plain JSON: classes, coefficients, intercepts, thresholds) that `memory.fact_semantics` reads
with numpy. Thresholds are chosen on the chat eval (see BENCHMARKS.md), not on the bank.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import yaml

from memory.fact_semantics import weights_path
from retrievers.embedders import EMBEDDERS

BANK = Path(__file__).resolve().parents[2] / "memory" / "attribute_bank.yaml"
DEFAULT_THRESHOLDS = {
    "question": 0.5,
    "statement": 0.15,
    "personal": 0.5,
    "demote": 0.1,
    "product": 0.6,
    "margin": 0.6,
}


def load_bank(path: Path = BANK) -> dict[str, dict[str, list[str]]]:
    """Return {class: {"questions": [...], "statements": [...]}} from the bank file."""
    return yaml.safe_load(path.read_text())


def examples(bank: dict, kind: str) -> tuple[list[str], list[str]]:
    """Return the texts of one kind ("questions" or "statements") and their classes."""
    texts, labels = [], []
    for label, kinds in bank.items():
        for text in kinds.get(kind, []):
            texts.append(str(text))
            labels.append(label)
    return texts, labels


def _fit(vectors: np.ndarray, labels: list[str], classes: list[str]):  # noqa: ANN202
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=4.0, max_iter=2000)
    model.fit(vectors, [classes.index(label) for label in labels])
    return model


def _embed(model_name: str, bank: dict) -> dict[str, tuple[np.ndarray, list[str]]]:
    embedder = EMBEDDERS[model_name]()
    out = {}
    for kind, embed in (
        ("questions", embedder.embed_documents),
        ("statements", embedder.embed_documents),
    ):
        texts, labels = examples(bank, kind)
        if kind == "questions":
            vectors = np.asarray([embedder.embed_query(t) for t in texts], dtype=np.float32)
        else:
            vectors = np.asarray(embed(texts), dtype=np.float32)
        out[kind] = (vectors, labels)
    return out


def train(model_name: str, thresholds: dict[str, float]) -> Path:
    """Fit both kinds on the whole bank and write the weights file; return its path."""
    bank = load_bank()
    classes = list(bank)
    embedded = _embed(model_name, bank)
    data: dict = {
        "model_id": EMBEDDERS[model_name]().model_id,
        "classes": classes,
        "thresholds": thresholds,
    }
    for kind, key in (("questions", "question"), ("statements", "statement")):
        vectors, labels = embedded[kind]
        fitted = _fit(vectors, labels, classes)
        coef = np.zeros((len(classes), vectors.shape[1]), dtype=np.float64)
        intercept = np.full(len(classes), -30.0)  # a class with no example is never chosen
        for row, index in enumerate(fitted.classes_):
            coef[index] = fitted.coef_[row]
            intercept[index] = fitted.intercept_[row]
        data[key] = {
            "coef": np.round(coef, 5).tolist(),
            "intercept": np.round(intercept, 5).tolist(),
        }
    path = weights_path(model_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    return path


def cross_validate(model_name: str, folds: int = 5) -> dict[str, float]:
    """Return the bank's stratified k-fold accuracy per kind (a sanity check, not a goal)."""
    from sklearn.model_selection import StratifiedKFold

    bank = load_bank()
    classes = list(bank)
    embedded = _embed(model_name, bank)
    scores = {}
    for kind, (vectors, labels) in embedded.items():
        y = np.asarray(labels)
        right = 0
        splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        for train_idx, test_idx in splits.split(vectors, y):
            fitted = _fit(vectors[train_idx], list(y[train_idx]), classes)
            predicted = [
                classes[fitted.classes_[i]]
                for i in fitted.predict_proba(vectors[test_idx]).argmax(axis=1)
            ]
            right += sum(p == t for p, t in zip(predicted, y[test_idx], strict=True))
        scores[kind] = right / len(y)
    return scores


def _say(line: str) -> None:
    sys.stdout.write(f"{line}\n")


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m evals.chat.attributes")
    parser.add_argument("command", choices=["train", "cv"])
    parser.add_argument("--model", default="use", choices=sorted(EMBEDDERS))
    for name, value in DEFAULT_THRESHOLDS.items():
        parser.add_argument(f"--{name}", type=float, default=value, help=f"threshold ({value})")
    args = parser.parse_args(argv)
    if args.command == "cv":
        _say(json.dumps(cross_validate(args.model), indent=2))
        return 0
    thresholds = {name: getattr(args, name) for name in DEFAULT_THRESHOLDS}
    _say(f"wrote {train(args.model, thresholds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
