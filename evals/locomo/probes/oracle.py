import sys, pickle, numpy as np
sys.argv=[sys.argv[0],'/tmp/recall9/base.pkl','']
exec(open('evals/locomo/probes/probe.py').read().split('async def main')[0])
from collections import defaultdict
tot=defaultdict(int); inlist=defaultdict(int); top40=defaultdict(int)
for a,cs in zip(asked,cands):
    ev=set(a.query.evidence); have=[x['metadata'].get('dia_id') for x in cs]
    tot[a.query.category]+=len(ev); inlist[a.query.category]+=len(ev&set(have)); top40[a.query.category]+=len(ev&set(have[:40]))
print('evidence',dict(tot),'in list',dict(inlist),'in top40',dict(top40))
for vec in ('S','SV'):
  for ns in (1,2,3,5):
    for add in (5,10,20):
        found=defaultdict(int)
        for a,cs in zip(asked,cands):
            # candidates beyond 40 count as missing, as in the probe (they're added after head)
            got=set(hier_new(a,cs[:40],ns,add,vec))
            found[a.query.category]+=len(set(a.query.evidence)&got)
        print(vec,ns,add,dict(found))
