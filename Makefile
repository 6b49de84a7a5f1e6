# Everything a developer or CI needs, from a fresh clone:
#   make run    the API with demo data and GraphiQL on http://127.0.0.1:8000 (HOST/PORT respected)
#   make test   lint, type checks and every test, in random order (installs what the tests need)
# uv is bootstrapped from PyPI into .tools/, the project's virtualenv is .venv/.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# The system-package and asset steps call apt/npm: never run two at once.
.NOTPARALLEL:

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_STAMP := $(TOOLS)/.uv-$(UV_VERSION)
VENV := .venv
VENV_STAMP := $(VENV)/.synced
BIN := $(VENV)/bin
ASSETS_STAMP := src/appointment_api/static/vendor/.complete
# Type-checked on top of the packages listed in pyproject.toml.
TYPED_TESTS := tests/conftest.py tests/support
# The scripts import the app (src) and the test support (tests).
TYPED_SCRIPTS := scripts

# uv must use the machine's Python, never download one.
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install system-packages assets js-packages run stack stack-smoke test test-clock \
	test-pythons fuzz lint format typecheck pytest schema bench clean

help:
	@echo "make run         serve the API locally (SQLite, demo data, GraphiQL)"
	@echo "make stack       the full stack without Docker: PostgreSQL, Redis, SQS, 2 APIs, 2 workers"
	@echo "make stack-smoke start the full stack, book through it, check CONFIRMED live, stop it"
	@echo "make test        system packages + assets + lint + typecheck + all tests"
	@echo "make test-clock  integration + e2e tests with every clock moved to other instants"
	@echo "make test-pythons unit tests + a boot of the app on Python 3.11, 3.12 and 3.13"
	@echo "make fuzz        the fuzzing tests with FUZZ_CASES operations each (default $(FUZZ_CASES))"
	@echo "make install     bootstrap uv into $(TOOLS)/ and sync $(VENV)/ from uv.lock"
	@echo "make assets      fetch the self-hosted GraphiQL files"
	@echo "make js-packages install the npm packages the tests drive (tests/js) into $(TOOLS)/js"
	@echo "make lint        ruff check + ruff format --check"
	@echo "make format      ruff format + ruff check --fix"
	@echo "make typecheck   mypy (strict)"
	@echo "make pytest      the tests alone"
	@echo "make schema      regenerate schema/schema.graphql from the code"
	@echo "make bench       run the benchmarks (read + write), rewrite bench/RESULTS.md"
	@echo "make clean       remove the tools, the virtualenv, caches and fetched assets"

install: $(VENV_STAMP)

$(UV_STAMP):
	PYTHON=$(PYTHON) scripts/bootstrap-uv.sh $(TOOLS) $(UV_VERSION)
	touch $@

$(VENV_STAMP): $(UV_STAMP) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

system-packages:
	scripts/ensure-system-packages.sh

assets: $(ASSETS_STAMP)

# Runs only while the marker the fetch script writes last is missing.
$(ASSETS_STAMP): uv.lock | $(VENV_STAMP)
	scripts/ensure-system-packages.sh node
	$(BIN)/python scripts/fetch_graphiql_assets.py

# npm ci of tests/js/package-lock.json; a no-op while the lock file is unchanged.
js-packages:
	scripts/ensure-system-packages.sh node
	scripts/install-js-packages.sh

run: install assets
	$(BIN)/appointment-api dev

# compose.yaml's processes as children of scripts/stack.py, on free ports; Ctrl-C stops them.
# STACK_ARGS adds options, e.g. make stack STACK_ARGS="--workdir /tmp/stack" (keeps the logs).
stack: install assets
	scripts/ensure-system-packages.sh postgres redis
	$(BIN)/python scripts/stack.py run --graphiql $(STACK_ARGS)

stack-smoke: install
	scripts/ensure-system-packages.sh postgres redis
	$(BIN)/python scripts/stack.py smoke $(STACK_ARGS)

test: install system-packages assets js-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy $(TYPED_TESTS)
	MYPYPATH=src:tests $(BIN)/mypy $(TYPED_SCRIPTS)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy
	$(BIN)/mypy $(TYPED_TESTS)
	MYPYPATH=src:tests $(BIN)/mypy $(TYPED_SCRIPTS)

pytest: install system-packages assets js-packages
	$(BIN)/pytest $(PYTEST_ARGS)

# The tests that start the app's processes, and the demo data's, run once per instant of
# CLOCK_INSTANTS (scripts/test-clock.sh has the default ones) with libfaketime.
CLOCK_TESTS ?= tests/integration tests/e2e tests/unit/test_demo_world.py
test-clock: install system-packages assets js-packages
	scripts/ensure-system-packages.sh faketime
	scripts/test-clock.sh $(BIN)/python -p no:cacheprovider $(CLOCK_TESTS) $(PYTEST_ARGS)

# The fuzzing tests (tests/integration/test_fuzz_*.py) send FUZZ_CASES operations per test and
# database; `make test` runs them with 300. FUZZ_SEED=N replays a run.
FUZZ_CASES ?= 2000
FUZZ_TESTS := tests/integration/test_fuzz_generated.py tests/integration/test_fuzz_schemathesis.py
fuzz: install
	scripts/ensure-system-packages.sh postgres
	FUZZ_CASES=$(FUZZ_CASES) $(BIN)/pytest -p no:randomly -s $(FUZZ_TESTS) $(PYTEST_ARGS)

# One virtualenv per Python version under .venvs/, from the same uv.lock.
test-pythons: install
	scripts/test-pythons.sh $(UV) $(PYTHON_VERSIONS)

schema: install
	$(BIN)/appointment-api export-schema --output schema/schema.graphql

# BENCH_ARGS picks a suite or a smoke run, e.g. make bench BENCH_ARGS="write --quick".
bench: install system-packages
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(TOOLS) $(VENV) .venvs .mypy_cache .ruff_cache .pytest_cache .hypothesis
	rm -rf src/appointment_api/static/vendor
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
