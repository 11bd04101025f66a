# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export SMARTCOMMERCE_DATA ?= $(CURDIR)/data

.PHONY: install demo pdf test dev lint bench validate clean system-deps

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -c requirements.lock -e '.[dev]'
	touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

# Two weeks of time series (they hold the 25-hour day when clocks go back): the demo stays
# under a minute; `smartcommerce demo` alone generates the four weeks of docs/demo-territory.md.
demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/smartcommerce demo --days 14

# Every commune report to A4 PDF with headless Chromium (after `make demo`; about 2 s a
# commune, so not part of the demo run). Without Chromium it says so and writes nothing.
pdf: install
	$(BIN)/smartcommerce pdf

test: install system-deps $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m pytest -q

dev: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -m assets.definitions -h 127.0.0.1 -p 3000

validate: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dg check defs

# Debian's PostgreSQL and redis-server, which the integration tests start on loopback (their
# own data folders, stopped at the end). Installed with apt-get when root; otherwise say how.
system-deps:
	bash .ci/system-deps.sh

lint: install
	$(BIN)/ruff check pipelines assets benchmarks tests

bench: install
	$(BIN)/python -m benchmarks.pipeline
	$(BIN)/python -m benchmarks.pipeline --pipeline --days 2 --communes 10,50,262,581
	$(BIN)/python -m benchmarks.history --communes 262 --days 365 --out docs/performance.md
	$(BIN)/python -m benchmarks.ingest --scale 3 --out docs/performance.md
	$(BIN)/python -m benchmarks.transit --out docs/performance.md
	$(BIN)/python -m benchmarks.cockpit --out docs/performance.md
	$(BIN)/python -m benchmarks.probes --rows 10000000 --old-rows 2000000 --out docs/performance.md
	$(BIN)/python -m benchmarks.routing --communes 262 --out docs/performance.md

clean:
	rm -rf data .dagster_home
