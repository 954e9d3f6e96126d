# memoria: one image for the API server and the outbox worker.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MEMORIA_HOST=0.0.0.0
WORKDIR /app

# CPU-only torch first, from PyTorch's CPU index: the default wheel pulls CUDA.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml constraints.txt ./
COPY access access
COPY api api
COPY benchmarks benchmarks
COPY cli cli
COPY configs configs
COPY evals evals
COPY graph graph
COPY knowledge knowledge
COPY memory memory
COPY retrievers retrievers
COPY storage storage
COPY studio studio
COPY text text
COPY tools tools
COPY server.py langgraph.json ./
RUN pip install --no-cache-dir -c constraints.txt .
COPY data data
COPY web web

EXPOSE 8080
CMD ["memoria", "serve"]
