# ruff: noqa
import sys

sys.argv = [sys.argv[0], "/tmp/recall10/base.pkl", ""]
exec(open("evals/locomo/probes/probe.py").read().split("async def main")[0])
from collections import Counter

for K in (10, 20, 40):
    for w in (1, 2):
        got = Counter()
        added = 0
        for a, cs in zip(asked, cands):
            q = a.query
            c = C[q.conv_id]
            have = [x["metadata"].get("dia_id") for x in cs[:50]]
            hs = set(have)
            new = set()
            for d in have[:K]:
                i = c["idx"].get(d)
                if i is None:
                    continue
                for j in range(i - w, i + w + 1):
                    if (
                        0 <= j < len(c["dia"])
                        and c["sess"][j] == c["sess"][i]
                        and c["dia"][j] not in hs
                    ):
                        new.add(c["dia"][j])
            added += len(new)
            got[q.category] += len(set(q.evidence) & new)
        print(
            "neighbours of top",
            K,
            "±",
            w,
            dict(got),
            sum(got.values()),
            "added/q",
            round(added / len(asked), 1),
        )
