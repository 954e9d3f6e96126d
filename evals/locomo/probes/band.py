# ruff: noqa
"""Scratch: the gold turns one shipped run ranks 11-50, each with why it is there (session 11)."""

import sys, json, pickle, re, collections, numpy as np

sys.path.insert(0, ".")
from text.words import QueryTerms

d = pickle.load(open(sys.argv[1], "rb"))
res = {json.loads(l)["qid"]: json.loads(l)["ranked"] for l in open(sys.argv[2])}
verbose = "-v" in sys.argv
turns = {}
for l in open("/work/shared/bench/locomo/turns.jsonl"):
    t = json.loads(l)
    turns[(t["conv_id"], t["dia_id"])] = t
C = {}
for conv, v in d["convs"].items():
    T = np.asarray(v["T"], dtype=np.float64)
    T /= np.maximum(np.linalg.norm(T, axis=1, keepdims=True), 1e-12)
    C[conv] = dict(dia=v["dia"], texts=v["texts"], T=T, idx={x: i for i, x in enumerate(v["dia"])})
AGG = re.compile(
    r"\b(what (?:\w+ )?(?:activities|kinds?|types?|things|items|events|books|places|countries|cities|"
    r"ways|hobbies|causes|pets|instruments|sports|symbols|games)|how many|both|what are|what do|which)\b",
    re.I,
)
NAME = re.compile(r"\b[A-Z][a-z]{2,}\b")
why_count = collections.Counter()
by_cat = collections.defaultdict(collections.Counter)
rows = []
for q, ident, state in d["asked"]:
    if not q.evidence or q.qid not in res:
        continue
    r = res[q.qid]
    c = C[q.conv_id]
    wanted = QueryTerms(q.question)
    for e in q.evidence:
        if e not in r:
            continue
        rank = r.index(e) + 1
        if rank <= 10:
            continue
        t = turns[(q.conv_id, e)]
        i = c["idx"].get(e)
        prev = (
            c["texts"][i - 1]
            if i and turns.get((q.conv_id, c["dia"][i - 1]), {}).get("session") == t["session"]
            else ""
        )
        own = wanted.match(c["texts"][i])[0]
        pcov = wanted.match(prev)[0] if prev else 0.0
        named = {w for w in NAME.findall(q.question)}
        speakers = {turns[k]["speaker"] for k in turns if k[0] == q.conv_id}
        asked_of = named & speakers
        top10 = r[:10]
        gold_in_top = [x for x in top10 if x in q.evidence]
        # a non-gold top-10 turn that is a near-duplicate of a gold or higher turn
        dup = 0.0
        for a_ in top10:
            if a_ in q.evidence:
                continue
            for b_ in top10[:3]:
                if b_ != a_ and a_ in c["idx"] and b_ in c["idx"]:
                    dup = max(dup, float(c["T"][c["idx"][a_]] @ c["T"][c["idx"][b_]]))
        words = len(t["text"].split())
        if asked_of and t["speaker"] not in asked_of:
            why = "speaker: said by the other person"
        elif len(q.evidence) >= 2 and gold_in_top:
            why = "one item of several, another already in the top 10"
        elif len(q.evidence) >= 2:
            why = "one item of several, none in the top 10"
        elif own < 0.2 and pcov > own:
            why = "answer after a turn that matches"
        elif own < 0.2 and t.get("blip_caption"):
            why = "photo / small talk, no shared words"
        elif own < 0.2:
            why = "no shared words (vocabulary gap)"
        elif dup > 0.85:
            why = "near-duplicates crowd the top 10"
        else:
            why = "shares words, outranked"
        why_count[why] += 1
        by_cat[why][q.category] += 1
        rows.append((why, q, e, rank, t, prev, own, pcov, top10))
print("| why | gold turns 11-50 | multi-hop | temporal | open-domain | single-hop |")
print("|---|---|---|---|---|---|")
for why, n in why_count.most_common():
    print(f"| {why} | {n} | " + " | ".join(str(by_cat[why][k]) for k in (1, 2, 3, 4)) + " |")
print("total", sum(why_count.values()))
if verbose:
    for why, q, e, rank, t, prev, own, pcov, top10 in sorted(rows, key=lambda x: (x[0], x[3])):
        print(f"\n[{why}] {q.qid} c{q.category} rank {rank} cov {own:.2f} prevcov {pcov:.2f}")
        print("  Q:", q.question, "| A:", q.answer)
        print("  gold:", t["speaker"], ":", t["text"][:160], "| img:", t.get("blip_caption"))
        print("  prev:", prev[:120])
        c = C[q.conv_id]
        for x in top10[:3]:
            print("   top:", x, ("*" if x in q.evidence else " "), c["texts"][c["idx"][x]][:110])
