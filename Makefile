# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL used by the test suite next to SQLite (this machine runs it with trust auth).
MICROCRED_TEST_POSTGRES_URL ?= postgresql+psycopg://root@127.0.0.1:5432/test
export MICROCRED_TEST_POSTGRES_URL

.PHONY: run test bench lint typecheck imports install install-dev clean chromium pango axe messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

run: install pango
	$(BIN)/microcred init
	$(BIN)/microcred demo
	$(BIN)/microcred serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check src tests benchmarks

typecheck: install-dev
	$(BIN)/mypy --strict src

# The layers of docs/architecture.md, enforced (contracts in pyproject.toml [tool.importlinter]).
imports: install-dev
	$(BIN)/lint-imports --no-cache

# The browser tests drive Debian's Chromium (Playwright's own browser download is never used).
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# WeasyPrint (PDF transcripts) needs Pango from Debian; installed only when missing.
pango:
	ldconfig -p | grep -q libpangoft2-1.0 || (apt-get update && apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)

# Re-vendor axe-core from the npm registry (tests/browser/vendor; see its README).
AXE_VERSION ?= 4.14.1
axe:
	cd $$(mktemp -d) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz \
	  && cp package/axe.min.js $(CURDIR)/tests/browser/vendor/axe.min.js \
	  && cp package/LICENSE $(CURDIR)/tests/browser/vendor/axe-core.LICENSE

# Extract the web app's messages and merge them into the French catalogue (then translate the new entries).
messages: install-dev
	$(BIN)/pybabel extract -F src/microcred/web/locale/babel.cfg --no-location --sort-output -k _ -k N_ \
	  --project=microcred -o src/microcred/web/locale/messages.pot .
	$(BIN)/pybabel update -i src/microcred/web/locale/messages.pot -d src/microcred/web/locale -l fr --no-location

# The independent verifier's npm packages (tests/interop, pinned by its package-lock.json): `npm ci` only when
# node_modules is missing or older than the lockfile.
INTEROP := tests/interop
interop: $(INTEROP)/node_modules/.package-lock.json

$(INTEROP)/node_modules/.package-lock.json: $(INTEROP)/package-lock.json $(INTEROP)/package.json
	@command -v npm >/dev/null || { echo "Node.js 20+ and npm are needed for tests/interop"; exit 1; }
	cd $(INTEROP) && npm ci --no-audit --no-fund
	touch $@

# Two workers (this machine has 2 cores); --dist loadscope keeps each module's fixtures (browser, servers) on one
# worker. Measured on a clean clone: 15.5 min serial, 9.2 min with two workers, same 725 tests and coverage.
test: install-dev chromium pango interop lint typecheck imports
	$(BIN)/pytest -n 2 --dist loadscope --cov=microcred --cov-branch --cov-report=term --cov-fail-under=90 \
	  -p no:cacheprovider

# What users run, each figure next to a baseline of the same run (docs/benchmarks.md); ~4 min. `make bench
# BENCH_JSON=f` also writes the figures as JSON; `$(BIN)/python -m benchmarks.run --quick` is a smoke run.
bench: install-dev interop
	$(BIN)/python -m benchmarks.run $(if $(BENCH_JSON),--json "$(BENCH_JSON)")

clean:
	rm -rf $(VENV) instance .coverage htmlcov .pytest_cache .mypy_cache .ruff_cache
