# Two commands: `make run` (a local CapX with demo data and the development login on
# http://127.0.0.1:5000) and `make test` (the whole suite, browser tests included).
# Both work on a fresh clone: they create .venv with Python 3.11 and install the pinned packages.
# Also: `make test-fast` (everything but the browser tests), `make lint` (silent when clean),
# `make audit`, `make clean`.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
PORT   ?= 5000
DEMO_PROFILES ?= 300
# pytest-xdist workers: each has its own SQLite file (or MariaDB database, see tests/conftest.py).
TEST_WORKERS ?= 2

# Run a command and print its output only when it fails: a clean `make lint` prints nothing.
quietly = out=$$($(1) 2>&1) || { printf '%s\n' "$$out"; exit 1; }

.PHONY: install run test test-fast lint audit clean

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

# The local site: SQLite under instance/, the development login, demo data.
run: export CAPX_ENV = development
run: export CAPX_DEV_LOGIN = 1
run: install
	$(FLASK) db upgrade
	$(FLASK) capx load-reference
	$(FLASK) capx seed-demo --profiles $(DEMO_PROFILES)
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The whole suite on SQLite; set CAPX_TEST_DATABASE_URL to run it on MariaDB
# (e.g. mysql+pymysql://root@127.0.0.1/capx_test?charset=utf8mb4).
test: install
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The same without the browser tests (tests/browser, Chromium): the quick loop while working.
test-fast: install
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --ignore=tests/browser $(PYTEST_ARGS)

# ruff, bandit, mypy (mypy.ini) and the import contracts (.importlinter); the import-cycle and
# function-level-import checks are tests (tests/test_architecture.py).
lint: install
	@$(call quietly,$(BIN)/ruff check --quiet .)
	@$(call quietly,$(BIN)/bandit -q -r capx)
	@$(call quietly,$(BIN)/mypy --no-error-summary)
	@$(call quietly,$(BIN)/lint-imports --no-logo)

# Known vulnerabilities in every pinned package (pip-audit). Exit 1 on a finding; when no
# vulnerability service can be reached it prints a NOT AUDITED block and exits 0
# (CAPX_AUDIT_REQUIRED=1 makes that exit 2). See docs/security.md.
audit: install
	$(BIN)/python scripts/audit_dependencies.py

# Everything the other targets leave, including `make run`'s databases under instance/.
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .grimp_cache test-artifacts instance
