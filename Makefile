# Two commands on a fresh machine: `make serve` (the demo on SQLite) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install serve test lint schema clean bench chromium

$(STAMP): pyproject.toml plugins/cstp/pyproject.toml plugins/csv_scores/pyproject.toml \
		plugins/intasc/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' -e plugins/cstp -e plugins/csv_scores \
		-e plugins/intasc
	touch $(STAMP)

install: $(STAMP)

serve: install
	$(BIN)/mypd-graph db upgrade
	$(BIN)/mypd-graph demo load --if-empty
	$(BIN)/mypd-graph serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Debian's Chromium for the browser tests (they skip without it); needs root or sudo.
chromium:
	bash scripts/install-chromium.sh

lint: install
	$(BIN)/ruff check mypd_graph plugins tests bench
	$(BIN)/ruff format --check mypd_graph plugins tests bench

schema: install
	$(BIN)/mypd-graph schema export --output schema.graphql

bench: install
	$(BIN)/python bench/graphql_overhead.py

clean:
	rm -rf $(VENV) build *.egg-info mypd.db mypd.db-wal mypd.db-shm mypd-audit.db mypd-audit.db-wal mypd-audit.db-shm
