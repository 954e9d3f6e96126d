"""Scratch: does a second dense view help as reranker features / new candidates, under LOCO-CV?"""
import sys, asyncio, copy, json, logging, numpy as np
sys.path.insert(0, '.')
from pathlib import Path
import evals.locomo.train as train
import retrievers.learned_rerank as lr
import retrievers.rerank_features as rf
from evals.locomo import load_jsonl_benchmark, run_eval
from evals.locomo.train import Setup, held_out_rows
from evals.locomo.metrics import aggregate
from retrievers.rerank import LocalReranker
from configs.settings import get_settings
from graph.resources import Resources
logging.basicConfig(level=logging.WARNING)
NAMES=sys.argv[1].split(',')
D=__import__('os').environ.get('LOCOMO_DIR', '../shared/bench/locomo')
turns, queries = load_jsonl_benchmark(Path(f'{D}/turns.jsonl'), Path(f'{D}/queries.jsonl'))
def norm(M): return M/np.maximum(np.linalg.norm(M,axis=1,keepdims=True),1e-12)
Z={n:np.load(f'/tmp/probes/{n}.npz') for n in NAMES}
z0=Z[NAMES[0]]
dia=[str(x) for x in z0['dia']]; qids=[str(x) for x in z0['qid']]
row_of={d:i for i,d in enumerate(dia)}
qi_of={q:i for i,q in enumerate(qids)}
conv_rows={}
for i,d in enumerate(dia): conv_rows.setdefault(d.split('|')[0],[]).append(i)
SIM={}
for n,z in Z.items():
    if 'S' in z: SIM[n]=z['S']; continue
    P,V,Q=norm(z['P']),norm(z['V']),norm(z['Q'])
    SIM[n]=np.maximum(P@Q.T, V@Q.T)  # turns x queries
q_by_text={}
for q in queries: q_by_text.setdefault(q.question,(q.conv_id,q.qid))
ORIG_F=rf.FEATURES; ORIG_CF=rf.candidate_features
def make(extra_names):
    feats=ORIG_F+tuple(f'{n}_{k}' for n in extra_names for k in ('cos','z','lrank'))
    def cf(query,cands):
        base=ORIG_CF(query,cands)
        if not extra_names: return base
        conv,qid=q_by_text[query]; qi=qi_of[qid]
        cols=[]
        for n in extra_names:
            allv=SIM[n][conv_rows[conv],qi]; srt=np.sort(allv)[::-1]
            v=np.array([SIM[n][row_of[conv+'|'+c['metadata']['dia_id']],qi] for c in cands])
            rank=np.searchsorted(-srt,-v)+1
            cols+= [v,(v-v.mean())/(v.std() or 1),np.log(rank)]
        return np.hstack([base,np.column_stack(cols)])
    return feats,cf
def patch(extra_names):
    feats,cf=make(extra_names)
    for m in (train,lr): m.FEATURES=feats; m.candidate_features=cf
def summ(rows):
    a=aggregate([(c,m) for _,c,m in rows])['overall']
    return 'R@1 %.3f R@5 %.3f R@10 %.3f R@20 %.3f MRR %.3f'%(a['R@1'],a['R@5'],a['R@10'],a['R@20'],a['MRR'])
async def analyse(res, asked):
    asked=[a for a in asked if a.state.get('route') and a.query.evidence]
    convs=sorted({a.query.conv_id for a in asked})
    cw=LocalReranker().coverage_weight
    cands=[a.state.get('candidates',[]) for a in asked]
    setup=Setup(cands,cw)
    emb=res.settings.memoria_embedding_model
    out={}
    for extra in [[],*[[n] for n in NAMES]] + ([NAMES] if len(NAMES)>1 else []):
        patch(extra); rows,_=await held_out_rows(asked,{c:setup for c in convs},emb)
        out[f"feat {extra}"]=summ(rows); print(f"feat {extra}",out[f"feat {extra}"],flush=True)
    # new candidates from the second view, inserted at the head's end
    catalog={}
    for a,cs in zip(asked,cands):
        for c in cs:
            if c['source']=='conversation' and c['metadata'].get('dia_id'):
                catalog.setdefault((a.query.conv_id,c['metadata']['dia_id']),c)
    for n in NAMES:
      for add in (5,10,20):
        new=[]
        for a,cs in zip(asked,cands):
            have={c['metadata'].get('dia_id') for c in cs}
            conv=a.query.conv_id; qi=qi_of[a.query.qid]; R=conv_rows[conv]
            order=[R[j] for j in np.argsort(-SIM[n][R,qi])]
            extra=[]
            for r in order[:add*3]:
                d=dia[r].split('|')[1]
                if d in have or (conv,d) not in catalog: continue
                c=copy.deepcopy(catalog[(conv,d)]); floor=min(x['scores'].get('fused',0) for x in cs)
                c['scores']={'fused':floor}; c['ranks']={}; extra.append(c)
                if len(extra)>=add: break
            cs=list(cs); new.append(cs[:train.RERANK_DEPTH]+extra+cs[train.RERANK_DEPTH:])
        train.RERANK_DEPTH=40+add
        patch([n]); rows,_=await held_out_rows(asked,{c:Setup(new,cw) for c in convs},emb)
        print(f"feat+new {n} add {add}",summ(rows),flush=True)
        train.RERANK_DEPTH=40
    return out
async def main():
    res=Resources(get_settings())
    try:
        r=await run_eval(res,turns,queries,out_path=Path('/tmp/probes/feat.jsonl'),analyse=analyse)
    finally: await res.aclose()
asyncio.run(main())
