import sys, json, numpy as np
sys.path.insert(0, '.')
from evals.locomo.data import read_jsonl, queries_from_records
from evals.locomo.metrics import score_query, aggregate
D=__import__('os').environ.get('LOCOMO_DIR', '../shared/bench/locomo')
queries={q.qid:q for q in queries_from_records(read_jsonl(f'{D}/queries.jsonl'))}
base={}
for l in open(sys.argv[1]):
    r=json.loads(l); base[r['qid']]=r['ranked']
names=sys.argv[2].split(',')
Z=[np.load(f'/tmp/probes/{n}.npz') for n in names]
dia=[str(x) for x in Z[0]['dia']]; qids=[str(x) for x in Z[0]['qid']]
conv_of=[d.split('|')[0] for d in dia]; did=[d.split('|')[1] for d in dia]
def norm(M): return M/np.maximum(np.linalg.norm(M,axis=1,keepdims=True),1e-12)
views={}
for n,z in zip(names,Z):
    P,V,Q=norm(z['P']),norm(z['V']),norm(z['Q'])
    views[n]=(P,V,Q)
convs=sorted(set(conv_of))
idx={c:[i for i,x in enumerate(conv_of) if x==c] for c in convs}
def dense_scores(n,qi,c,view):
    P,V,Q=views[n]; I=idx[c]
    if view=='P': s=P[I]@Q[qi]
    elif view=='V': s=V[I]@Q[qi]
    else: s=np.maximum(P[I]@Q[qi],V[I]@Q[qi])
    return {did[i]:float(v) for i,v in zip(I,s)}
rows=[]  # (conv,qid,cat,base ranked, dense dict per n)
for qi,qid in enumerate(qids):
    q=queries[qid]
    if qid not in base or not q.evidence: continue
    ds={n:dense_scores(n,qi,q.conv_id,'M') for n in names}
    valid=set(did[i] for i in idx[q.conv_id])
    rows.append((q.conv_id,q,base[qid],ds,valid))
def evalfn(rank_fn, sel=None):
    out=[]
    for conv,q,b,ds,valid in rows:
        if sel and conv not in sel: continue
        m,_=score_query(rank_fn(b,ds),q.evidence,valid=valid,depth=50)
        if m: out.append((conv,q.category,m))
    return out
def summ(out):
    a=aggregate([(c,m) for _,c,m in out])['overall']; return a
def dense_only(n):
    return lambda b,ds: sorted(ds[n],key=lambda k:-ds[n][k])[:50]
for n in names:
    a=summ(evalfn(dense_only(n))); print('dense only',n,'R@5 %.3f R@10 %.3f MRR %.3f'%(a['R@5'],a['R@10'],a['MRR']))
a=summ(evalfn(lambda b,ds:b)); print('shipped   R@5 %.3f R@10 %.3f R@20 %.3f MRR %.3f'%(a['R@5'],a['R@10'],a['R@20'],a['MRR']))
def rrf(w,k,extra,n):
    def f(b,ds):
        sc={}
        for r,d in enumerate(b): sc[d]=sc.get(d,0)+1/(k+r+1)
        dr=sorted(ds[n],key=lambda x:-ds[n][x])
        for r,d in enumerate(dr[:extra]): sc[d]=sc.get(d,0)+w/(k+r+1)
        return sorted(sc,key=lambda x:-sc[x])[:50]
    return f
def cv(maker, grid):
    held=[]
    for c in convs:
        others=[x for x in convs if x!=c]
        best=max(grid,key=lambda g: (lambda a:a['R@5']+a['MRR'])(summ(evalfn(maker(*g),set(others)))))
        held+=evalfn(maker(*best),{c}); print('  fold',c,best)
    return summ(held)
for n in names:
    grid=[(w,k,e,n) for w in (0.1,0.2,0.3,0.5,0.8) for k in (5,20,60) for e in (10,20,50)]
    a=cv(rrf,grid); print('CV rrf shipped+',n,'R@5 %.3f R@10 %.3f R@20 %.3f MRR %.3f'%(a['R@5'],a['R@10'],a['R@20'],a['MRR']))
