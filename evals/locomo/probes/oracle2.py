import sys, pickle, numpy as np
sys.argv=[sys.argv[0],'/tmp/recall9/base.pkl','']
exec(open('evals/locomo/probes/probe.py').read().split('async def main')[0])
from collections import defaultdict
for view in ('T','V'):
  for k in (3,5,10):
    for n in (1,2,3,5):
        found=defaultdict(int); added=0
        for a,cs in zip(asked,cands):
            c=C[a.query.conv_id]; M=c[view]
            head=[x['metadata'].get('dia_id') for x in cs[:40]]
            have=set(head); new=[]
            for dd in head[:k]:
                i=c['idx'].get(dd)
                if i is None: continue
                sims=M@M[i]; sims[i]=-9
                for j in np.argsort(-sims)[:n]:
                    if c['dia'][j] not in have and c['dia'][j] not in new: new.append(c['dia'][j])
            added+=len(new)
            found[a.query.category]+=len(set(a.query.evidence)&set(new))
        print(view,k,n,'added/q %.1f'%(added/len(asked)),dict(found),sum(found.values()))
