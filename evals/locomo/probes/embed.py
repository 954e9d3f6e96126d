import sys, json, time, numpy as np
sys.path.insert(0, '.')
from evals.locomo.data import read_jsonl, turns_from_records, queries_from_records, turn_content
from retrievers.embedders import EMBEDDERS
D=__import__('os').environ.get('LOCOMO_DIR', '../shared/bench/locomo')
turns = turns_from_records(read_jsonl(f'{D}/turns.jsonl'))
queries = queries_from_records(read_jsonl(f'{D}/queries.jsonl'))
turns.sort(key=lambda t:(t.conv_id,t.turn_idx))
plain=[turn_content(t) for t in turns]
prev=[]; last=None
for t,p in zip(turns,plain):
    key=(t.conv_id,t.session)
    prev.append(f"{last[1]}\n{p}" if last and last[0]==key else p); last=(key,p)
name=sys.argv[1]
emb=EMBEDDERS[name]()
t0=time.perf_counter(); P=np.asarray(emb.embed_documents(plain),dtype=np.float32); t1=time.perf_counter()
V=np.asarray(emb.embed_documents(prev),dtype=np.float32); t2=time.perf_counter()
qs=[q.question for q in queries]
Q=np.asarray([emb.embed_query(q) for q in qs],dtype=np.float32); t3=time.perf_counter()
print(name, 'plain %.1f ms/turn'%((t1-t0)/len(plain)*1000), 'prev %.1f'%((t2-t1)/len(plain)*1000), 'query %.1f ms'%((t3-t2)/len(qs)*1000))
np.savez(f'/tmp/probes/{name}.npz', P=P, V=V, Q=Q, dia=np.array([t.conv_id+'|'+t.dia_id for t in turns]), qid=np.array([q.qid for q in queries]))
