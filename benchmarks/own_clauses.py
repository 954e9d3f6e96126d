"""What the answer gate costs for recalled messages that also speak of someone else.

A message like "my sister has a cat called Pebble, I have a dog called Rusty" states of the
user only what its own clauses say (`text.said_of_user`). Until session 10 the answer gate
embedded those clauses on every turn that recalled such a message; now the outbox worker
classifies them once and stores them with the message's labels. This seeds one user with such
messages (varied templates, names from the benchmark corpus) through the write path, drains
the worker (its CPU per message), then calls the gate (`graph.semantic_evidence`) the way the
generate node does, on random 5-message contexts of them: CPU and wall time per call.

Run it in two trees on the same services to compare two versions of the gate and worker:

    PYTHONPATH=$PWD OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.own_clauses [--messages 120]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid

from langchain_core.messages import HumanMessage

from benchmarks.suite import TENANT_PREFIX
from configs.settings import get_settings
from evals.locomo import delete_tenant
from graph.resources import Resources
from graph.semantic_evidence import read_evidence, stored_labels
from memory.fact_extractors import offline_extractor
from storage.identity import Identity
from storage.tenancy import tenant_connection

_NAMES = ("Ana", "Bruno", "Carla", "Duarte", "Emma", "Finn", "Grace", "Hugo", "Isla", "Jack")
_PLACES = ("Lisbon", "Porto", "Braga", "Dublin", "Leeds", "Austin", "Lyon", "Ghent", "Riga")
_KIN = ("sister", "brother", "cousin", "mum", "flatmate", "neighbour", "boss", "husband")
_ANIMALS = ("cat", "dog", "rabbit", "parrot", "tortoise", "hamster")
_KIN_PT = ("irmã", "prima", "mãe", "vizinha", "sogra")
_ANIMALS_PT = ("gato", "cão", "coelho", "papagaio")
_TEMPLATES = (
    "My {kin} has a {a1} called {n1}, I have a {a2} called {n2}.",
    "My {kin} lives in {p1} now, but I'm still in {p2}.",
    "My {kin} works at {n1} Partners and I work at {n2} Labs.",
    "Our {a1} {n1} hates my {kin}'s {a2}, honestly I don't blame him.",
    "If I ever move I'd pick {p1}; for now I live in {p2} with my {a1} {n1}.",
    "A minha {kin_pt} tem um {a1_pt} chamado {n1} e eu tenho um {a2_pt} chamado {n2}.",
)
_QUESTIONS = (
    "What's my dog called?",
    "Where do I live?",
    "Where do I work?",
    "What's my cat's name?",
    "Como se chama o meu gato?",
)
_MESSAGES = """
    SELECT langchain_id::text AS id, content FROM memory_messages
    WHERE tenant_id = %s AND user_id = %s AND role = 'human'
"""


def _text(rng: random.Random) -> str:
    a1, a2 = rng.sample(_ANIMALS, 2)
    a1_pt, a2_pt = rng.sample(_ANIMALS_PT, 2)
    n1, n2 = rng.sample(_NAMES, 2)
    p1, p2 = rng.sample(_PLACES, 2)
    return rng.choice(_TEMPLATES).format(
        **{"kin": rng.choice(_KIN), "kin_pt": rng.choice(_KIN_PT), "a1_pt": a1_pt, "a2_pt": a2_pt},
        **{"a1": a1, "a2": a2, "n1": n1, "n2": n2, "p1": p1, "p2": p2},
    )


async def run(messages: int, rounds: int, seed: int) -> dict[str, float]:
    """Seed, index and time the gate; return the medians."""
    rng = random.Random(seed)
    tenant = f"{TENANT_PREFIX}own-{uuid.uuid4().hex[:8]}"
    ident = Identity(tenant, "u0", "t0")
    async with Resources(get_settings()) as res:
        try:
            for i in range(messages):
                thread = Identity(tenant, "u0", f"t{i % 10}")
                await res.conversation.append(
                    thread, [HumanMessage(_text(rng), id=str(uuid.uuid4()))]
                )
            cpu = time.process_time()
            await res.outbox_worker(offline_extractor).drain()
            worker_ms = (time.process_time() - cpu) * 1000 / messages
            async with tenant_connection(res.pool, tenant) as conn:
                rows = await (await conn.execute(_MESSAGES, (tenant, "u0"))).fetchall()
            pool = [
                {
                    "id": f"msg:{r['id']}",
                    "source": "conversation",
                    "content": r["content"],
                    "metadata": {"role": "human"},
                }
                for r in rows
            ]
            cpu_ms, wall_ms = [], []
            for _ in range(rounds):
                context = rng.sample(pool, 5)
                question = rng.choice(_QUESTIONS)
                cpu, wall = time.process_time(), time.perf_counter()
                known = await stored_labels(res.pool, ident, context)
                await read_evidence(res.attributes, res.embeddings, question, context, known)
                cpu_ms.append((time.process_time() - cpu) * 1000)
                wall_ms.append((time.perf_counter() - wall) * 1000)
        finally:
            await delete_tenant(res, tenant)
    return {
        "worker_cpu_ms_per_message": round(worker_ms, 2),
        "gate_cpu_ms_p50": round(statistics.median(cpu_ms), 2),
        "gate_cpu_ms_mean": round(statistics.fmean(cpu_ms), 2),
        "gate_wall_ms_p50": round(statistics.median(wall_ms), 2),
        "gate_wall_ms_p95": round(sorted(wall_ms)[int(0.95 * (len(wall_ms) - 1))], 2),
    }


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.own_clauses")
    parser.add_argument("--messages", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.messages, args.rounds, args.seed))
    sys.stdout.write(" ".join(f"{k}={v}" for k, v in result.items()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
