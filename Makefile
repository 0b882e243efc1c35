# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL used by the test suite next to SQLite (this machine runs it with trust auth).
MICROCRED_TEST_POSTGRES_URL ?= postgresql+psycopg://root@127.0.0.1:5432/test
export MICROCRED_TEST_POSTGRES_URL

.PHONY: run test bench lint typecheck install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

run: install
	$(BIN)/microcred init
	$(BIN)/microcred demo
	$(BIN)/microcred serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check src tests benchmarks

typecheck: install-dev
	$(BIN)/mypy --strict src

test: install-dev lint typecheck
	$(BIN)/pytest --cov=microcred --cov-branch --cov-report=term --cov-fail-under=90 -p no:cacheprovider

bench: install-dev
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) instance .coverage htmlcov .pytest_cache .mypy_cache .ruff_cache
