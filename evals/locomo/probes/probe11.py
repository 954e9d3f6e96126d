# ruff: noqa
"""Scratch (session 11): new reranker features over one shipped run's candidates, LOCO-CV.

Groups: prevq (the previous same-session turn asks and matches the question), atype (answer
type: a count question and a number, "where" and a place, an activity question and -ing
verbs, "who" and a person), info (content words, small talk), dup / dupt (redundancy with
higher-ranked candidates, by vector / by words). Usage: probe11.py base.pkl 'g1,g2;g3;...'
(an empty group list is the shipped features).
"""

import sys, asyncio, pickle, logging, math, re, numpy as np

sys.path.insert(0, ".")
import evals.locomo.train as train
import retrievers.learned_rerank as lr
import retrievers.rerank_features as rf
from evals.locomo.run import Asked
from evals.locomo.train import Setup, held_out_rows
from evals.locomo.metrics import aggregate
from retrievers.rerank import served_constants
from text.words import QueryTerms, STOPWORDS, terms

logging.basicConfig(level=logging.WARNING)
d = pickle.load(open(sys.argv[1], "rb"))
asked = [Asked(q, i, s) for q, i, s in d["asked"]]
asked = [a for a in asked if a.state.get("route") and a.query.evidence]
emb = d["emb"]


def norm(M):
    M = np.asarray(M, dtype=np.float64)
    return M / np.maximum(np.linalg.norm(M, axis=-1, keepdims=True), 1e-12)


C = {}
for conv, v in d["convs"].items():
    dia = v["dia"]
    sess = np.array([int(x.split(":")[0][1:]) for x in dia])
    C[conv] = dict(
        dia=dia, T=norm(v["T"]), sess=sess, idx={x: i for i, x in enumerate(dia)}, texts=v["texts"]
    )
QV = {k: (norm(a), norm(b)) for k, (a, b) in d["qv"].items()}
by_text = {}
for a in asked:
    by_text.setdefault(a.query.question, a.query)

COUNT_Q = re.compile(r"\bhow (?:many|much|long|often|old)\b|\bwhat (?:year|age)\b", re.I)
WHERE_Q = re.compile(r"\bwhere\b|\bwhat (?:city|country|place|state|area|town)\b", re.I)
ACT_Q = re.compile(
    r"\bwhat (?:\w+ )?(?:activities|hobbies|sports|events|things|ways)\b|\bwhat does \w+ do\b|"
    r"\bwhat do \w+ do\b|\bwhat has \w+ done\b|\bhow does \w+\b",
    re.I,
)
WHO_Q = re.compile(r"\bwho\b|\bwhose\b", re.I)
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty "
    "fifty hundred once twice thrice couple few several first second third dozen".split()
)
PLACE_WORDS = frozenset(
    "park beach city country town state home house shelter gym church store studio museum "
    "school college university office hospital mountain mountains lake river forest trail "
    "restaurant cafe bar library center centre festival concert camp abroad downtown "
    "neighborhood neighbourhood island coast village street".split()
)
KIN_WORDS = frozenset(
    "mom mother dad father sister brother aunt uncle grandma grandpa grandmother grandfather "
    "friend friends buddy cousin wife husband partner son daughter mentor boss coworker "
    "colleague neighbor neighbour teacher coach".split()
)
SMALL = frozenset(
    "hey hi hello thanks thank wow yeah yes cool awesome great glad sorry congrats nice "
    "sure totally ok okay good".split()
)
CAP = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]{2,}\b")
NUM = re.compile(r"\b\d+\b")


def words_of(text):
    return [w.strip(".,!?;:'\"()").lower() for w in text.split()]


def answer_type(q, text, speakers):
    ws = words_of(text)
    wset = set(ws)
    has_num = bool(NUM.search(text)) or not wset.isdisjoint(NUMBER_WORDS)
    caps = {w for w in CAP.findall(text)} - speakers
    has_place = bool(caps) or not wset.isdisjoint(PLACE_WORDS)
    n_ing = sum(1 for w in ws if len(w) > 4 and w.endswith("ing") and w not in STOPWORDS)
    has_person = bool(caps) or not wset.isdisjoint(KIN_WORDS)
    return (
        float(bool(COUNT_Q.search(q)) and has_num),
        float(bool(WHERE_Q.search(q)) and has_place),
        float(bool(ACT_Q.search(q))) * math.log1p(n_ing),
        float(bool(WHO_Q.search(q)) and has_person),
    )


def content_words(text):
    return {t for t in terms(text) if t not in STOPWORDS and len(t) > 2}


GROUP_COLS = {
    "prevq": ("prev_cov_ask", "prev_cos_z"),
    "prevc": ("prev_cov_ask",),
    "atype": ("count_num", "where_place", "act_ing", "who_person"),
    "atype1": ("type_match",),
    "info": ("content_share", "small_talk"),
    "dup": ("dup_above", "dup_top3"),
    "dupt": ("dupt_above",),
    "dupagg": ("dup_above_agg", "dup_top3_agg"),
    "aggx": tuple(f"agg_{f}" for f in rf.FEATURES),
    "prevr": ("prev_cov_ask_react",),
    "prevc20": ("prev_cov_ask20",),
    "prevc20n": ("prev_cov_ask20n",),
}
AGG = re.compile(
    r"\b(what (?:\w+ )?(?:activities|kinds?|types?|things|items|events|books|places|countries|cities|"
    r"ways|hobbies|causes|pets|instruments|sports|symbols|games)|how many|both|what are|what do|"
    r"what has|what have|which)\b",
    re.I,
)
REACT = re.compile(
    r"\b(?:think|thinks|thought|feel|felt|describe|described|react|reaction|say|said|respond)\b",
    re.I,
)


def extra_cols(group, q, cands):
    c = C[q.conv_id]
    wanted = QueryTerms(q.question)
    speakers = {str(x["metadata"].get("speaker") or "") for x in cands}
    rows = []
    if group in ("prevq", "prevc"):
        qn = QV[q.qid][1]
        cos = []
        for x in cands:
            i = c["idx"].get(x["metadata"].get("dia_id"))
            if i and c["sess"][i - 1] == c["sess"][i]:
                prev = c["texts"][i - 1]
                asks = "?" in prev
                rows.append([wanted.match(prev)[0] * asks])
                cos.append(float(c["T"][i - 1] @ qn))
            else:
                rows.append([0.0])
                cos.append(np.nan)
        if group == "prevq":
            cos = np.asarray(cos)
            m, s = np.nanmean(cos), (np.nanstd(cos) or 1.0)
            z = np.where(np.isnan(cos), 0.0, (cos - m) / s)
            rows = [r + [zz] for r, zz in zip(rows, z)]
        return np.asarray(rows, dtype=np.float64)
    if group in ("atype", "atype1"):
        for x in cands:
            t = answer_type(q.question, x["content"], speakers)
            rows.append(t if group == "atype" else (max(t[:2] + t[3:]) + t[2],))
        return np.asarray(rows, dtype=np.float64)
    if group == "info":
        for x in cands:
            ws = words_of(x["content"])
            cw = content_words(x["content"])
            small = sum(1 for w in ws if w in SMALL)
            rows.append((len(cw) / max(len(ws), 1), small / max(len(ws), 1)))
        return np.asarray(rows, dtype=np.float64)
    if group == "dup":
        M = c["T"]
        ids = [c["idx"].get(x["metadata"].get("dia_id")) for x in cands]
        for r, i in enumerate(ids):
            if i is None:
                rows.append((0.0, 0.0))
                continue
            above = [float(M[i] @ M[j]) for j in ids[:r] if j is not None]
            top3 = [float(M[i] @ M[j]) for j in ids[:3] if j is not None and j != i]
            rows.append((max(above, default=0.0), max(top3, default=0.0)))
        return np.asarray(rows, dtype=np.float64)
    if group == "dupt":
        sets = [content_words(x["content"]) for x in cands]
        for r, s in enumerate(sets):
            best = 0.0
            for o in sets[:r]:
                if s and o:
                    best = max(best, len(s & o) / len(s | o))
            rows.append((best,))
        return np.asarray(rows, dtype=np.float64)
    if group in ("prevc20", "prevc20n"):
        # only what the read path's neighbours statement shows: the +-2 spans of the top 20 hits
        hits = [
            c["idx"][x["metadata"]["dia_id"]]
            for x in cands
            if x["source"] == "conversation"
            and ("vector" in x["ranks"] or "lexical" in x["ranks"])
            and x["metadata"].get("dia_id") in c["idx"]
        ][:20]
        for x in cands:
            i = c["idx"].get(x["metadata"].get("dia_id"))
            ok = (
                i is not None
                and i > 0
                and c["sess"][i - 1] == c["sess"][i]
                and any(abs(i - h) <= 2 and abs(i - 1 - h) <= 2 for h in hits)
            )
            if ok:
                prev = c["texts"][i - 1]
                asks = ("?" in prev) if group == "prevc20" else rf.asking_share(prev) > 0
                rows.append((wanted.match(prev)[0] * asks,))
            else:
                rows.append((0.0,))
        return np.asarray(rows, dtype=np.float64)
    if group == "dupagg":
        return extra_cols("dup", q, cands) * float(bool(AGG.search(q.question)))
    if group == "aggx":
        return ORIG_CF(q.question, cands) * float(bool(AGG.search(q.question)))
    if group == "prevr":
        return extra_cols("prevc", q, cands) * float(bool(REACT.search(q.question)))
    raise KeyError(group)


ORIG_F = rf.FEATURES
ORIG_CF = rf.candidate_features


def make(groups):
    names = ORIG_F + tuple(f"{g}_{k}" for g in groups for k in GROUP_COLS[g])

    def cf(query, cands):
        base = ORIG_CF(query, cands)
        if not groups or not len(cands):
            return np.zeros((0, len(names))) if not len(cands) else base
        q = by_text[query]
        return np.hstack([base] + [extra_cols(g, q, cands) for g in groups])

    return names, cf


def patch(groups):
    f, cf = make(groups)
    for m in (train, lr):
        m.FEATURES = f
        m.candidate_features = cf


def summ(rows):
    a = aggregate([(c, m) for _, c, m in rows])
    o = a["overall"]
    s = "R@1 %.3f R@5 %.3f R@10 %.3f R@20 %.3f MRR %.3f" % (
        o["R@1"],
        o["R@5"],
        o["R@10"],
        o["R@20"],
        o["MRR"],
    )
    for k, v in a.items():
        if k != "overall":
            s += " | %s %.3f/%.3f" % (str(k)[:6], v["R@5"], v["R@10"])
    return s


cands = [a.state["candidates"] for a in asked]
const = served_constants()


async def main():
    convs = sorted({a.query.conv_id for a in asked})
    out = {}
    for w in sys.argv[2].split(";"):
        groups = [g for g in w.split(",") if g]
        patch(groups)
        rows, ch = await held_out_rows(asked, {c: Setup(cands, const) for c in convs}, emb)
        print(w or "base", summ(rows), "C", ch, flush=True)
        out[w or "base"] = rows
    pickle.dump(out, open("/tmp/recall11/probe_rows.pkl", "wb"))


asyncio.run(main())
