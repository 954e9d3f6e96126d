# ruff: noqa
"""Scratch: one shipped run; pickle each question's state, the stored turn texts/vectors and question vectors."""

import sys, asyncio, pickle, logging, numpy as np, os

sys.path.insert(0, ".")
from pathlib import Path
from evals.locomo import load_jsonl_benchmark, run_eval
from evals.locomo.run import load_indexed
from configs.settings import get_settings
from graph.resources import Resources
from text.names import without_names

logging.basicConfig(level=logging.WARNING)
D = "/work/shared/bench/locomo"
turns, queries = load_jsonl_benchmark(Path(f"{D}/turns.jsonl"), Path(f"{D}/queries.jsonl"))


async def analyse(res, asked):
    asked = [a for a in asked]
    convs = {}
    order = {t.dia_id: i for i, t in enumerate(turns)}
    for a in asked:
        c = a.query.conv_id
        if c in convs:
            continue
        ix = await load_indexed(
            res,
            a.ident.tenant_id,
            a.ident.user_id,
            {t.dia_id: t.turn_idx for t in turns if t.conv_id == c},
        )
        tv = np.asarray(await res.embeddings.aembed_documents(ix.texts), dtype=np.float32)
        convs[c] = dict(dia=ix.dia_ids, texts=ix.texts, V=ix.vectors, T=tv)
    qv = {}
    for a in asked:
        q = a.query.question
        qv[a.query.qid] = (
            np.asarray(await res.embeddings.aembed_query(q)),
            np.asarray(await res.embeddings.aembed_query(without_names(q))),
        )
    with open(sys.argv[1], "wb") as f:
        pickle.dump(
            dict(
                asked=[(a.query, a.ident, dict(a.state)) for a in asked],
                convs=convs,
                qv=qv,
                emb=res.settings.memoria_embedding_model,
            ),
            f,
        )
    return None


async def main():
    res = Resources(get_settings())
    try:
        r = await run_eval(
            res, turns, queries, out_path=Path("/tmp/recall11/base.jsonl"), analyse=analyse
        )
        from evals.locomo.run import format_report

        print(format_report(r))
    finally:
        await res.aclose()


asyncio.run(main())
