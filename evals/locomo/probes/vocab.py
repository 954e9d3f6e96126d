import sys, json, math, time, numpy as np
sys.path.insert(0, '.')
from collections import Counter
from evals.locomo.data import read_jsonl, queries_from_records, turns_from_records, turn_content
from evals.locomo.metrics import score_query, aggregate, bm25_tokens, BM25
from retrievers.embedders import EMBEDDERS
D=__import__('os').environ.get('LOCOMO_DIR', '../shared/bench/locomo')
queries=[q for q in queries_from_records(read_jsonl(f'{D}/queries.jsonl')) if q.evidence]
turns=sorted(turns_from_records(read_jsonl(f'{D}/turns.jsonl')),key=lambda t:(t.conv_id,t.turn_idx))
base={}
for l in open(sys.argv[1]):
    r=json.loads(l); base[r['qid']]=r['ranked']
emb=EMBEDDERS[sys.argv[2]]()
convs=sorted({t.conv_id for t in turns})
C={}
for c in convs:
    T=[t for t in turns if t.conv_id==c]
    toks=[bm25_tokens(turn_content(t)) for t in T]
    vocab=sorted({w for d in toks for w in d if len(w)>2 and not w.isdigit()})
    t0=time.perf_counter()
    W=np.asarray(emb.embed_documents(vocab) if emb.symmetric else emb.embed_query_batch(vocab) if hasattr(emb,'embed_query_batch') else emb.embed_documents(vocab),dtype=np.float32)
    W/=np.maximum(np.linalg.norm(W,axis=1,keepdims=True),1e-12)
    print(c,len(vocab),'words embedded in %.1fs'%(time.perf_counter()-t0),flush=True)
    C[c]=dict(ids=[t.dia_id for t in T],bm=BM25(toks,k1=1.2,b=0.2),vocab=vocab,W=W,vi={w:i for i,w in enumerate(vocab)})
qv={}
allw=sorted({w for q in queries for w in bm25_tokens(q.question)})
QW=np.asarray(emb.embed_documents(allw),dtype=np.float32); QW/=np.maximum(np.linalg.norm(QW,axis=1,keepdims=True),1e-12)
qwi={w:i for i,w in enumerate(allw)}
NAMES={t.speaker.lower() for t in turns}
def expand(c,q,k,cut):
    cc=C[c]; out={}
    for w in set(bm25_tokens(q.question)):
        sims=cc['W']@QW[qwi[w]]
        top=np.argsort(-sims)[:k+1]
        for j in top:
            v=cc['vocab'][j]
            if sims[j]<cut or v==w or v[:4]==w[:4]: continue
            out[v]=max(out.get(v,0),float(sims[j]))
    return out
def bm_w(cc,terms):
    s=np.zeros(len(cc['ids']))
    for t,wt in terms.items():
        s+=wt*np.asarray(cc['bm'].scores([t]))
    return s
pre={}
def run(k,cut,w,mode,sel=None):
    out=[]
    for q in queries:
        c=q.conv_id
        if sel and c not in sel: continue
        cc=C[c]
        key=(q.qid,k,cut)
        if key not in pre:
            orig={t:1.0 for t in bm25_tokens(q.question)}
            ex=expand(c,q,k,cut)
            pre[key]=(bm_w(cc,orig),bm_w(cc,ex),ex)
        so,se,ex=pre[key]
        s=so+w*se
        lex=[cc['ids'][i] for i in np.argsort(-s)[:50] if s[i]>0]
        if mode=='lex': ranked=lex
        else:
            sc={}
            for r,d in enumerate(base[q.qid]): sc[d]=sc.get(d,0)+1/(mode[1]+r+1)
            # expansion-only list, so it brings what the orig words miss
            exl=[cc['ids'][i] for i in np.argsort(-se)[:20] if se[i]>0]
            for r,d in enumerate(exl): sc[d]=sc.get(d,0)+mode[0]/(mode[1]+r+1)
            ranked=sorted(sc,key=lambda x:-sc[x])[:50]
        m,_=score_query(ranked,q.evidence,valid=set(cc['ids']),depth=50)
        if m: out.append((c,q.category,m))
    return out
def summ(o): return aggregate([(c,m) for _,c,m in o])['overall']
def show(tag,a): print(tag,'R@5 %.3f R@10 %.3f R@20 %.3f MRR %.3f'%(a['R@5'],a['R@10'],a['R@20'],a['MRR']),flush=True)
import os
if not os.environ.get('SAVE_ONLY'):
    show('bm25 plain',summ(run(3,0.99,0,'lex')))
    for k in (3,5):
        for cut in (0.5,0.6,0.7):
            for w in (0.3,0.6):
                show(f'bm25+exp k{k} cut{cut} w{w}',summ(run(k,cut,w,'lex')))
    ex=[(q.question,list(expand(q.conv_id,q,3,0.6).items())[:6]) for q in queries[:8]]
    for e in ex: print(e)
    grid=[(k,cut,0,(w,kk)) for k in (3,5) for cut in (0.5,0.6,0.7) for w in (0.1,0.2,0.4) for kk in (5,20)]
    held=[]
    for c in convs:
        best=max(grid,key=lambda g:(lambda a:a['R@5']+a['MRR'])(summ(run(*g,sel=set(convs)-{c}))))
        print(' fold',c,best); held+=run(*best,sel={c})
    show('CV shipped+expansion rrf',summ(held))
# save expansion-only BM25 scores (turns x queries) in embed.py's row/col order for feat.py
z=np.load('/tmp/probes/minilm.npz'); dia=[str(x) for x in z['dia']]; qids=[str(x) for x in z['qid']]
S=np.zeros((len(dia),len(qids)),dtype=np.float32)
row={d:i for i,d in enumerate(dia)}; col={q:i for i,q in enumerate(qids)}
K,CUT=int(sys.argv[3]),float(sys.argv[4])
for q in queries:
    cc=C[q.conv_id]; ex=expand(q.conv_id,q,K,CUT); s=bm_w(cc,ex)
    for i,d in enumerate(cc['ids']): S[row[q.conv_id+'|'+d],col[q.qid]]=s[i]
np.savez('/tmp/probes/vexp.npz',S=S,dia=z['dia'],qid=z['qid'])
print('saved vexp')
