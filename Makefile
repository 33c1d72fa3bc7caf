# Two commands on a fresh machine with Python 3.11+:
#   make run   venv, install, migrate, seed, serve http://127.0.0.1:8000 on SQLite, with a webhook
#              worker beside the server (make worker runs one alone)
#   make serve the production server alone (granian, started by serve.py), on $(HOST):$(PORT)
#   make test  venv, install, run the whole suite (it starts its own redis-server)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export FLASK_APP := app
# The installer and the lock tool are pinned like everything else.
PIP_VERSION := 26.3
UV_VERSION := 0.13.9
LOCK_FLAGS := --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock'

.PHONY: run serve worker test lint lock schemas clean

# The venv holds exactly requirements-dev.lock, so it is made anew whenever the lock changes:
# every file checked against its hash, no resolver run, no uv needed.
$(VENV)/.locked: requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON))"; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

# Then the project itself, editable and without dependencies, built by the lock's setuptools.
$(VENV)/.installed: $(VENV)/.locked requirements-dev.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Regenerate both lock files from pyproject.toml with a pinned uv, in a throwaway venv. An
# existing lock's versions are kept where pyproject.toml still allows them; to move on, e.g.
# `make lock LOCK_ARGS=--upgrade` or `make lock LOCK_ARGS='--upgrade-package flask'`.
# requirements-dev.lock: the runtime dependencies, the dev extra and the build backend
# ([build-system] requires, for --no-build-isolation). requirements.lock, for the image: the
# runtime dependencies and the build backend, at the dev lock's versions.
lock:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT \
	&& $(PYTHON) -m venv "$$tmp" \
	&& "$$tmp/bin/python" -m pip install --quiet uv==$(UV_VERSION) \
	&& build=$$($(PYTHON) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))') \
	&& echo "$$build" | "$$tmp/bin/uv" pip compile $(LOCK_FLAGS) --extra dev $(LOCK_ARGS) \
		pyproject.toml - -o requirements-dev.lock \
	&& echo "$$build" | "$$tmp/bin/uv" pip compile $(LOCK_FLAGS) -c requirements-dev.lock \
		pyproject.toml - -o requirements.lock

# The webhook worker runs beside the server and stops with it.
run: $(VENV)/.installed
	$(BIN)/flask db upgrade
	$(BIN)/flask seed
	$(CONSUMER) & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; $(MAKE) serve

# A webhook worker (huey consumer) on JOBS_URL; run more of them, here or on other machines
# (with JOBS_URL on a shared Redis), to deliver more at once.
WORKER_THREADS ?= 4
CONSUMER = $(BIN)/huey_consumer worker.huey --workers $(WORKER_THREADS) --worker-type thread
worker: $(VENV)/.installed
	$(CONSUMER)

serve: $(VENV)/.installed
	BIND=$(HOST):$(PORT) $(BIN)/python serve.py

test: $(VENV)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

schemas: $(VENV)/.installed
	$(BIN)/flask export-schemas

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache .hypothesis

.PHONY: bench
# The benchmarks (scripts, not tests), on loopback, in about 12 minutes: the cache benchmark
# (the product on the production server against bare Flask on the same server: req/s, p50, p99
# and their ratios), then the write benchmark (writes/s and p99 on SQLite and PostgreSQL).
# BENCH_ARGS=--quick for a smoke run of the first.
bench: $(VENV)/.installed
	$(BIN)/python bench/cache_bench.py $(BENCH_ARGS)
	@if [ -f bench/write_bench.py ]; then $(BIN)/python bench/write_bench.py; \
	else echo "bench/write_bench.py is missing: no write figures"; fi
