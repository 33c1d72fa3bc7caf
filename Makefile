# Two commands on a fresh machine with Python 3.11+:
#   make run   venv, install, migrate, seed, serve http://127.0.0.1:8000 on SQLite
#   make serve the production server alone (gunicorn with gunicorn.conf.py), on $(HOST):$(PORT)
#   make test  venv, install, run the whole suite (it starts its own redis-server)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export FLASK_APP := app

.PHONY: run serve test lint schemas clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/flask db upgrade
	$(BIN)/flask seed
	$(MAKE) serve

serve: $(VENV)/.installed
	BIND=$(HOST):$(PORT) $(BIN)/gunicorn --config gunicorn.conf.py

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
# The cache benchmark (a script, not a test): gunicorn + redis-server + wrk (or a Python load
# generator) on loopback; prints req/s, p50, p99 and each case's ratio to a constant-bytes baseline.
bench: $(VENV)/.installed
	$(BIN)/python bench/cache_bench.py $(BENCH_ARGS)
