# ruff: noqa
import sys

exec(open("evals/locomo/probes/probe2.py").read().split("exec('async def main'")[0])
import asyncio


async def run():
    convs = sorted({a.query.conv_id for a in asked})
    for depth in [int(x) for x in sys.argv[2].split(",")]:
        for groups in ([], ["sbm2"]):
            train.RERANK_DEPTH = depth
            patch(groups)
            rows, ch = await held_out_rows(asked, {c: Setup(cands, cw) for c in convs}, emb)
            print("depth", depth, groups, summ(rows), "C", ch, flush=True)


asyncio.run(run())
