# The front door. A newcomer needs two commands: `make run` and `make test`.
SHELL := /bin/bash
PY    := .venv/bin/python
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
RASA_PY := .venv-rasa/bin/python
RASA  := ../.venv-rasa/bin/rasa
BOT_OUT := var/bot-results

.PHONY: setup run index check test lint bench clean bot-lookups bot-train bot-test bot-lint bot-eval-real telegram scale-test

setup:            ## create .venv and .venv-rasa, convert the offline model (idempotent)
	@scripts/setup.sh

index: setup      ## rebuild the search index when the guides or the model changed
	@$(PY) -m index build --if-stale

check: setup      ## validate every guide file
	@$(PY) -m index check

run: setup        ## set up if needed, build what is stale, serve everything that exists
	@scripts/run.sh

lint: setup
	@.venv/bin/ruff check index api bench tools tests scripts civic
	@.venv/bin/ruff format --check index api bench tools tests scripts civic
	@.venv/bin/mypy

test: setup       ## lint, type-check and run the test suite
	@$(MAKE) --no-print-directory lint
	@$(PY) -m pytest -q
	@$(MAKE) --no-print-directory bot-test
	@$(MAKE) --no-print-directory scale-test

telegram: setup   ## Telegram bot by long polling (development); needs TELEGRAM_BOT_TOKEN and `make run` for answers
	@$(PY) -m api.channels.telegram --polling

bench: setup      ## measure search speed and memory; figures printed as JSON
	@$(PY) -m index build --if-stale
	@$(PY) -m index bench --json
	@$(PY) -m bench.case_creates --json
	@$(PY) -m bench.chat_load --json  # /api/chat p50/p95, 20 users: degraded, and full when a Rasa model exists
	@# conversation figures (issue #14): through `make run` when it is up and ready, else in-process from search
	@base="http://127.0.0.1:$${PORT:-8000}"; \
	if curl -fsS -o /dev/null --max-time 3 "$$base/readyz"; then how="--base $$base"; \
	  echo "[bench] make run is up at $$base: conversation evaluators on the full path" >&2; \
	else how=--degraded; echo "[bench] make run is not up: conversation evaluators in-process, degraded" >&2; fi; \
	$(PY) -m bench.chat_eval --json $$how && $(PY) -m bench.precision_eval --json $$how; \
	$(PY) -m bench.complaint_eval --json --base $$base  # typed complaint conversations: needs make run (skips else)
	@$(PY) -m bench.category_eval --json  # a complaint story's category and errand, in-process (held-out half)
	@$(PY) -m bench.index_swap --json  # a guide edited under load: index rebuilt and swapped, failed requests (0)
	@$(PY) -m bench.scale --json  # 1 vs 2 gateway+Rasa replicas behind nginx, a Rasa killed (needs a model)
	@scripts/bench_bot_train.sh  # a forced full Rasa training, timed

clean:
	rm -rf var/index var/screenshots .pytest_cache .mypy_cache .ruff_cache

bot-lookups: setup  ## regenerate nlu_data/nlu/lookups.yml from the guides (only rewritten when it changed)
	@$(RASA_PY) scripts/gen_lookups.py

bot-train: bot-lookups  ## train the Rasa model; rasa's fingerprint skips training when data and config are unchanged
	@# TF_DETERMINISTIC_OPS: the same data, config and seed give the same model (without it two trainings differed by
	@# ~1.5 points on the outside messages); `rasa train --force` after changing it, the cache ignores the environment
	@cd bot && TF_DETERMINISTIC_OPS=1 $(RASA) train --domain domain --data ../nlu_data --config config.yml --out models --fixed-model-name baihua

bot-lint: setup  ## ruff on the actions (Python 3.10, so outside the app's py311 lint)
	@.venv/bin/ruff check --target-version py310 bot/actions bot/addons
	@.venv/bin/ruff format --check --target-version py310 bot/actions bot/addons

bot-test: bot-lint bot-train  ## validate data, held-out NLU targets, dialogue stories, action tests against a fake gateway
	@$(RASA_PY) -c "import pytest" 2>/dev/null || .venv-rasa/bin/pip install -q -r bot/requirements-test.txt
	@cd bot && $(RASA) data validate --domain domain --data ../nlu_data --config config.yml --quiet
	@cd bot && $(RASA) test nlu --nlu ../tests/bot/nlu_holdout.yml --model models/baihua.tar.gz --out ../$(BOT_OUT)/nlu --quiet
	@$(RASA_PY) scripts/check_nlu_targets.py $(BOT_OUT)/nlu/intent_report.json
	@cd bot && $(RASA) test core --stories ../tests/test_conversations.yml --model models/baihua.tar.gz --out ../$(BOT_OUT)/core --fail-on-prediction-errors --quiet
	@$(RASA_PY) -m pytest -q tests/bot

scale-test: bot-train index  ## 2 gateways + 2 Rasa behind nginx on PostgreSQL and Redis (apt-installed when missing)
	@RUN_SCALE_TESTS=1 $(PY) -m pytest -q tests/scale

bot-eval-real: bot-train  ## report ask_howto vs file_complaint on real citizen messages (../shared/eval; skipped when absent)
	@$(RASA_PY) scripts/eval_real_messages.py --model bot/models/baihua.tar.gz
