"""Choose the fallback extractor's threshold by cross-validation by persona (dev + dev2).

`python -m evals.chat.fallback [--model use] [--folds 5] evals/chat/scenarios.yaml
evals/chat/dev2.yaml` reads every user message the personas tell, runs the word rules, and lists
what the fallback (`memory/fact_fallback.py`) would store at any threshold. A fallback fact is
right when its sentence holds one of the persona's current values of that attribute, stale
when it holds the changed fact's old value, wrong otherwise. Per fold, the threshold that
maximises right - wrong - stale on the other personas is applied to the held-out ones; the
report gives the per-fold choice and the held-out counts (never the held-out set).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from evals.chat.scenarios import Persona, load_scenarios
from memory import fact_semantics
from memory.fact_extraction import extract_facts
from memory.fact_fallback import Fallback
from retrievers.embedders import EMBEDDERS
from text.words import fold

# The scenario fact keys a fallback fact of each attribute should quote a value of.
_KEYS = {
    "name": ("name",),
    "home": ("home",),
    "hometown": ("home",),
    "job": ("job",),
    "workplace": ("employer",),
    "partner": ("partner",),
    "family": ("family",),
    "pet": ("pet", "pet_species"),
    "health": ("health",),
    "hobby": ("hobby",),
    "preference": ("preference",),
}
GRID = [round(0.2 + 0.02 * i, 2) for i in range(40)]


@dataclass(frozen=True)
class Candidate:
    """What the fallback would store from one message, and whether it is right."""

    persona: str
    probability: float
    verdict: str  # right | wrong | stale
    sentence: str


def _values(p: Persona, attribute: str) -> tuple[set[str], set[str]]:
    keys = _KEYS.get(attribute.partition(":")[0], ())
    current = {fold(p.facts[k]) for k in keys if k in p.facts}
    stale = set()
    if p.change.fact in keys:
        current.discard(fold(p.change.old))
        current.add(fold(p.change.new))
        stale.add(fold(p.change.old))
    return current, stale


async def candidates(personas: Sequence[Persona], model_name: str) -> list[Candidate]:
    """Return every fallback fact the personas' messages give at threshold 0."""
    embedder = EMBEDDERS[model_name]()
    classifier = fact_semantics.load(model_name)
    if classifier is None:
        raise SystemExit(f"no attribute classifier for {model_name}")
    fallback = Fallback(classifier, embedder, threshold=0.0)
    out = []
    for p in personas:
        messages = [m for thread in p.tell for m in thread] + list(p.change.thread)
        for message in messages:
            for reading in await fallback.readings(message, extract_facts(message)):
                current, stale = _values(p, reading.attribute)
                said = fold(reading.sentence)
                verdict = (
                    "right"
                    if any(c and c in said for c in current)
                    else "stale"
                    if any(s and s in said for s in stale)
                    else "wrong"
                )
                out.append(Candidate(p.id, reading.probability, verdict, reading.sentence))
    return out


def _counts(cands: Sequence[Candidate], threshold: float) -> dict[str, int]:
    kept = [c for c in cands if c.probability >= threshold]
    return {k: sum(c.verdict == k for c in kept) for k in ("right", "wrong", "stale")}


def _best(cands: Sequence[Candidate]) -> float:
    def gain(t: float) -> tuple[int, float]:
        n = _counts(cands, t)
        return n["right"] - n["wrong"] - n["stale"], t

    return max(GRID, key=gain)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


def main(argv: list[str] | None = None) -> int:
    """Print the per-fold thresholds and held-out counts."""
    parser = argparse.ArgumentParser(prog="python -m evals.chat.fallback")
    parser.add_argument("scenarios", nargs="+")
    parser.add_argument("--model", default="use")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    personas = [p for path in args.scenarios for p in load_scenarios(path).personas]
    cands = asyncio.run(candidates(personas, args.model))
    ids = sorted({p.id for p in personas})
    total = {"right": 0, "wrong": 0, "stale": 0}
    for k in range(args.folds):
        test = set(ids[k :: args.folds])
        threshold = _best([c for c in cands if c.persona not in test])
        n = _counts([c for c in cands if c.persona in test], threshold)
        total = {key: total[key] + n[key] for key in total}
        _say(f"fold {k}: threshold {threshold:.2f} held-out {n}")
    _say(f"held-out total: {total}")
    for t in GRID:
        _say(f"  all personas at {t:.2f}: {_counts(cands, t)}")
    _say(f"chosen on all personas: {_best(cands):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
