# ruff: noqa
import json, sys, collections

q = {}
for l in open("/work/shared/bench/locomo/queries.jsonl"):
    d = json.loads(l)
    q[d["qid"]] = d
res = {}
for l in open(sys.argv[1]):
    d = json.loads(l)
    res[d["qid"]] = d["ranked"]
names = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
tab = collections.defaultdict(collections.Counter)
for qid, d in q.items():
    ev = [e for e in d["evidence"]]
    if not ev or qid not in res:
        continue
    r = res[qid]
    for e in ev:
        c = d["category"]
        if e in r[:10]:
            k = "top10"
        elif e in r[:20]:
            k = "11-20"
        elif e in r:
            k = "21-50"
        else:
            k = "absent"
        tab[c][k] += 1
        tab[0][k] += 1
print("| category | gold turns | top 10 | 11-20 | 21-50 | outside top 50 |")
print("|---|---|---|---|---|---|")
for c in [1, 2, 3, 4, 0]:
    t = tab[c]
    n = sum(t.values())
    print(
        f"| {names.get(c, 'all')} | {n} | "
        + " | ".join(f"{t[k]} ({t[k] / n:.0%})" for k in ["top10", "11-20", "21-50", "absent"])
        + " |"
    )
