# Quick start: `make demo` (synthetic program on embedded SQLite, then the dashboard) and
# `make test`. Everything installs into .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CASELOAD := $(VENV)/bin/caseload
DEMO_DIR ?= data/demo
export DATABASE_URL ?= sqlite:///$(CURDIR)/data/caseload.db

.PHONY: venv demo demo-data test test-sqlite lint bench clean

venv: $(VENV)/.installed $(VENV)/.pycanon

# pip is not quiet: a first install takes minutes, and each package it fetches is a line.
$(VENV)/.installed: pyproject.toml
	@echo "==> creating $(VENV) and installing Caseload with its test tools (first time: a few minutes)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install --progress-bar on -e ".[test]"
	@echo "==> $(VENV) ready"
	touch $@

# pycanon, the k-anonymity library the export tests cross-check against, pins exact older
# numpy, pandas, scipy and reportlab and a CLI's tools; its measures need only numpy and
# pandas, so it is installed without its dependencies (a stamp of its own, so an existing
# environment gets it from `make venv` too).
$(VENV)/.pycanon: $(VENV)/.installed
	$(PY) -m pip install --no-deps "pycanon>=1.3.6"
	touch $@

demo-data: venv
	$(CASELOAD) init-db
	$(CASELOAD) synth --out $(DEMO_DIR) --clients 300 --days 120 --seed 7
	$(CASELOAD) ingest $(DEMO_DIR)/*.csv

demo: demo-data
	$(CASELOAD) users demo
	$(CASELOAD) serve --host 127.0.0.1 --port 8050

PYTEST_ARGS ?=
test: venv
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

test-sqlite: venv
	$(PY) -m pytest --db sqlite

lint: venv
	$(VENV)/bin/ruff check etl dashboard tests benchmarks alembic
	$(VENV)/bin/ruff format --check etl dashboard tests benchmarks alembic

# The benchmarks' own tools (locust, py-spy) on top of the test environment.
$(VENV)/.bench: $(VENV)/.installed
	$(PY) -m pip install --progress-bar on -e ".[test,bench]"
	touch $@

bench: $(VENV)/.bench
	$(PY) -m benchmarks $(BENCH)

clean:
	rm -rf $(VENV) data/caseload.db* $(DEMO_DIR) benchmarks/out
