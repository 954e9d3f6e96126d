# memoria: `make run` serves the agent, `make test` runs the suite; both set everything up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MEMORIA := $(VENV)/bin/memoria
STAMP := $(VENV)/.installed-stamp

# Embedding work is fastest and steadiest single-threaded on small machines; models load
# from local files only.
export OMP_NUM_THREADS ?= 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run serve reindex test test-unit test-faults lint services-up services-down services-status ingest-sample eval eval-chat bench clean

setup: $(STAMP)

# torch first: 2.13.0 resolves to a local CPU build; letting a dependency pick torch pulls CUDA.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@# The browser test drives Debian's Chromium (Playwright's own browser download fails here).
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || echo "WARNING: could not install chromium; the browser test will fail"
	touch $(STAMP)

# reindex does nothing unless MEMORIA_EMBEDDING_MODEL changed since vectors were stored.
run: setup services-up reindex ingest-sample serve

serve: setup
	$(MEMORIA) serve

services-up: setup
	$(MEMORIA) services up

services-down: setup
	$(MEMORIA) services down

services-status: setup
	$(MEMORIA) services status

reindex: setup
	$(MEMORIA) reindex

ingest-sample: setup
	$(MEMORIA) ingest data/sample_kb

# Lint first: a layer that imports upwards fails the run before any test does.
test: lint
	$(PY) -m pytest

test-unit: setup
	$(PY) -m pytest tests/unit

# Also part of `make test`; on its own for CI jobs that run it separately.
test-faults: setup
	$(PY) -m pytest -m fault

# LoCoMo retrieval on the dev split beside the repo; EVAL_ARGS adds flags, e.g. --method bm25.
LOCOMO_DIR ?= ../shared/bench/locomo
EVAL_ARGS ?=

eval: setup
	mkdir -p .memoria/eval
	$(MEMORIA) eval locomo --turns $(LOCOMO_DIR)/turns.jsonl --queries $(LOCOMO_DIR)/queries.jsonl --out .memoria/eval/results.jsonl $(EVAL_ARGS)

# Does it remember its users? The chat scenario set (evals/chat), served in this process.
eval-chat: setup
	mkdir -p .memoria/eval
	$(MEMORIA) eval chat --in-process --out .memoria/eval/chat.json $(EVAL_ARGS)

# Speed of the product's own paths (~30 min on 2 cores, most of it seeding 100k messages);
# BENCH_ARGS adds suite flags, e.g. --with-1m. Figures and machine go to BENCHMARKS.md.
BENCH_ARGS ?=

bench: setup services-up
	mkdir -p .memoria/bench
	$(MEMORIA) bench suite --out .memoria/bench/suite.json $(BENCH_ARGS)
	$(MEMORIA) bench write --out .memoria/bench/write.json
	$(MEMORIA) bench write --worker off --rate 0 --out .memoria/bench/write-ack-only.json

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) .memoria .pytest_cache
