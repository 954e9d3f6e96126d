import sys,time,json,statistics as st
sys.path.insert(0, '.')
from retrievers.embedders import EMBEDDERS
qs=[json.loads(l)['question'] for l in open('../shared/bench/locomo/queries.jsonl')][:120]
for n in ('use','minilm','e5'):
    e=EMBEDDERS[n](); e.embed_query('warm up'); e.embed_query('warm up again')
    cpu=[];wall=[]
    for q in qs:
        c0=time.process_time(); w0=time.perf_counter(); e.embed_query(q); cpu.append((time.process_time()-c0)*1000); wall.append((time.perf_counter()-w0)*1000)
    cpu.sort(); wall.sort()
    print(n,'cpu p50 %.1f p95 %.1f ms; wall p50 %.1f p95 %.1f'%(st.median(cpu),cpu[int(.95*len(cpu))],st.median(wall),wall[int(.95*len(wall))]),flush=True)
