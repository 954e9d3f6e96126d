# ruff: noqa
"""Scratch: one shipped run; pickle each question's state, stored turn texts/vectors and question vectors."""

import sys, asyncio, pickle, logging, numpy as np

sys.path.insert(0, ".")
from pathlib import Path
from evals.locomo import load_jsonl_benchmark, run_eval
from evals.locomo.run import load_indexed, format_report
from configs.settings import get_settings
from graph.resources import Resources
from text.names import without_names

logging.basicConfig(level=logging.WARNING)
D = "/work/shared/bench/locomo"
turns, queries = load_jsonl_benchmark(Path(f"{D}/turns.jsonl"), Path(f"{D}/queries.jsonl"))
OUT = Path(sys.argv[1])


async def analyse(res, asked):
    convs = {}
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
        convs[c] = dict(dia=ix.dia_ids, texts=ix.texts, V=ix.vectors)
    qv = {}
    for a in asked:
        q = a.query.question
        qv[a.query.qid] = (
            np.asarray(await res.embeddings.aembed_query(q)),
            np.asarray(await res.embeddings.aembed_query(without_names(q))),
        )
    with open(OUT, "wb") as f:
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
        r = await run_eval(res, turns, queries, out_path=OUT.with_suffix(".jsonl"), analyse=analyse)
        print(format_report(r))
    finally:
        await res.aclose()


asyncio.run(main())
