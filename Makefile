# The front door. A newcomer needs two commands: `make run` and `make test`.
SHELL := /bin/bash
PY    := .venv/bin/python
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run index check test lint bench clean

setup:            ## create .venv and .venv-rasa, convert the offline model (idempotent)
	@scripts/setup.sh

index: setup      ## rebuild the search index when the guides or the model changed
	@$(PY) -m index build --if-stale

check: setup      ## validate every guide file
	@$(PY) -m index check

run: setup        ## set up if needed, build what is stale, serve everything that exists
	@scripts/run.sh

lint: setup
	@.venv/bin/ruff check index api tests scripts
	@.venv/bin/ruff format --check index api tests scripts
	@.venv/bin/mypy

test: setup       ## lint, type-check and run the test suite
	@$(MAKE) --no-print-directory lint
	@$(PY) -m pytest -q

bench: setup      ## measure search speed and memory; figures printed as JSON
	@$(PY) -m index build --if-stale
	@$(PY) -m index bench --json

clean:
	rm -rf var/index var/screenshots .pytest_cache .mypy_cache .ruff_cache
