# ruff: noqa
import sys

exec(open("evals/locomo/probes/probe2.py").read().split("exec('async def main'")[0])
import asyncio


async def run():
    convs = sorted({a.query.conv_id for a in asked})
    catalog = {}
    for a, cs in zip(asked, cands):
        for x in cs:
            if x["source"] == "conversation" and x["metadata"].get("dia_id"):
                catalog.setdefault((a.query.conv_id, x["metadata"]["dia_id"]), x)
    for spec in sys.argv[2].split(";"):
        K, w, feat = spec.split(":")
        K, w = int(K), int(w)
        groups = [g for g in feat.split(",") if g]
        if K == 0:
            train.RERANK_DEPTH = w
            patch(groups)
            rows, ch = await held_out_rows(asked, {c: Setup(cands, cw) for c in convs}, emb)
            train.RERANK_DEPTH = 40
            print(spec, summ(rows), "C", ch, flush=True)
            continue
        new = []
        added = 0
        miss = 0
        for a, cs in zip(asked, cands):
            c = C[a.query.conv_id]
            head = list(cs[:40])
            hs = {x["metadata"].get("dia_id") for x in head}
            inlist = {x["metadata"].get("dia_id"): x for x in cs}
            floor = min(x["scores"].get("fused", 0) for x in cs)
            extra = []
            for x in head[:K]:
                i = c["idx"].get(x["metadata"].get("dia_id"))
                if i is None:
                    continue
                for j in range(i - w, i + w + 1):
                    if not (0 <= j < len(c["dia"])) or c["sess"][j] != c["sess"][i]:
                        continue
                    d = c["dia"][j]
                    if d in hs:
                        continue
                    y = inlist.get(d)
                    if y is None:
                        y = catalog.get((a.query.conv_id, d))
                        if y is None:
                            miss += 1
                            continue
                        y = copy.deepcopy(y)
                        y["scores"] = {"fused": floor}
                        y["ranks"] = {}
                    hs.add(d)
                    extra.append(y)
            added += len(extra)
            new.append(head + extra + [x for x in cs[40:] if x["metadata"].get("dia_id") not in hs])
        train.RERANK_DEPTH = (
            40 + max(len(n) - len(c2) for n, c2 in zip(new, cands)) if False else 200
        )
        # depth: rerank head + extras only
        per = [40 + 0 for _ in new]
        train.RERANK_DEPTH = 40 + (added // len(new) + 10)
        patch(groups)
        rows, ch = await held_out_rows(asked, {c: Setup(new, cw) for c in convs}, emb)
        train.RERANK_DEPTH = 40
        print(
            spec,
            summ(rows),
            "C",
            ch,
            "added/q",
            round(added / len(new), 1),
            "uncat",
            miss,
            flush=True,
        )


asyncio.run(run())
