# ruff: noqa
import sys, re, pickle, numpy as np

sys.argv = [sys.argv[0], "/tmp/recall10/base.pkl", ""]
exec(open("evals/locomo/probes/probe.py").read().split("async def main")[0])
from collections import Counter

NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]{2,})\b")
STOP = {
    "Hey",
    "Thanks",
    "Thank",
    "Wow",
    "Yeah",
    "Yes",
    "Sounds",
    "That",
    "This",
    "What",
    "Have",
    "How",
    "Glad",
    "Awesome",
    "Good",
    "Great",
    "Sure",
    "Oh",
    "Hi",
    "Nice",
    "Look",
    "Take",
    "Did",
    "The",
    "And",
    "But",
    "It",
    "So",
    "Haha",
    "Congrats",
    "Lol",
    "Check",
}
for conv, c in C.items():
    spk = set()
    c["ents"] = [set(m for m in NAME.findall(t)) for t in c["texts"]]
    allc = Counter(e for s in c["ents"] for e in s)
    c["df"] = allc
for K in (3, 5, 10):
    for add in (10, 20):
        got = Counter()
        cost = 0
        for a, cs in zip(asked, cands):
            q = a.query
            c = C[q.conv_id]
            speakers = {x["metadata"].get("speaker") for x in cs if x["metadata"].get("speaker")}
            have = [x["metadata"].get("dia_id") for x in cs[:50]]
            ents = Counter()
            for d in have[:K]:
                i = c["idx"].get(d)
                if i is None:
                    continue
                for e in c["ents"][i]:
                    if e in STOP or e in speakers or c["df"][e] > 15:
                        continue
                    ents[e] += 1
            hs = set(have)
            new = []
            # turns sharing those entities, rarer entity first
            for e, _ in sorted(ents.items(), key=lambda kv: c["df"][kv[0]]):
                for j, s in enumerate(c["ents"]):
                    if e in s and c["dia"][j] not in hs and c["dia"][j] not in new:
                        new.append(c["dia"][j])
            new = new[:add]
            cost += len(new)
            got[q.category] += len(set(q.evidence) & set(new))
        print(
            "top",
            K,
            "add",
            add,
            dict(got),
            "total",
            sum(got.values()),
            "mean added",
            round(cost / len(asked), 1),
        )
