# Two commands on a fresh machine: `make run` and `make test`.
# Each step runs only when its inputs changed: the venv when pyproject.toml or
# requirements/lock.txt does, training when data/, domain/ or config.yml do.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Every package the venv gets, exact versions with sha256 hashes, from pyproject.toml (+ dev) by `make lock`.
LOCK := requirements/lock.txt
# pip-tools lives in a venv of its own: in ours it would upgrade `packaging` past Rasa's pin.
PIPTOOLS := var/piptools
PIPTOOLS_VERSION := 7.7.0
SPACY_MODEL := var/spacy/en_msp/meta.json
MODEL := models/msp.tar.gz
READERS := models/readers/manifest.json
GOVUK := bot/web/static/govuk/govuk-frontend.min.js
# Rasa's training data: data/nlu, data/rules, data/stories (data/readers is the learned readers').
RASA_DATA := data/nlu data/rules data/stories
TRAINING_INPUTS := $(shell find $(RASA_DATA) domain -type f -name '*.yml' 2>/dev/null) config.yml
# The learned readers' inputs: their fair data (never a held-out set) and the code that trains them.
READER_INPUTS := $(shell find data/nlu data/readers tests/data/tuning tests/data/heldout_v2 tests/data/heldout_v3 \
	tests/data/heldout_v4 tests/data/heldout_v5 tests/data/heldout_v6 tests/data/heldout_v7 tests/data/heldout_v8 -type f -name '*.yml' 2>/dev/null) \
	tests/data/danger_heldout.yml tests/data/outcomes_heldout.yml tests/data/heldout_safety_answers_v1.yml \
	$(wildcard bot/language/train_readers.py bot/language/train_answers.py bot/language/training_data.py bot/language/lexical.py \
	bot/language/embedding.py bot/language/danger_kinds.py bot/language/patterns/danger_kinds.yml \
	bot/language/danger.py bot/language/danger_rules.py bot/language/patterns/danger.yml)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONPATH := $(CURDIR)

# Rasa 3.6 needs Python 3.10: take python3.10 from PATH, else the newest pyenv 3.10.
PYTHON310 ?= $(shell for p in $$(command -v python3.10 2>/dev/null) \
	$$(ls -d $$HOME/.pyenv/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r); do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null && { echo "$$p"; break; }; done)

.PHONY: help install lock train migrate assets run chat test unit validate story-test e2e production lint benchmark clean

help:
	@echo "make run    install what is missing, train if needed, start the assistant"
	@echo "make chat   talk to the running assistant in this terminal"
	@echo "make test   install, train, run every test"
	@echo "make lint   ruff, mypy, and import-linter (the layers of bot/, no import cycles)"
	@echo "make lock   re-resolve requirements/lock.txt from pyproject.toml (after changing its dependencies)"

define NEED_PYTHON310
@if [ -z "$(PYTHON310)" ]; then \
		echo "Python 3.10 is missing (Rasa 3.6 refuses 3.11). Install it, e.g. 'pyenv install 3.10.13'," >&2; \
		echo "or point PYTHON310 at it: make PYTHON310=/path/to/python3.10 ..." >&2; exit 1; fi
endef

# The venv is installed from the lock alone: every file checked against its hash, nothing resolved
# here (--no-deps). Our own package is then installed editable (it cannot be hashed), built with the
# lock's setuptools (--no-build-isolation), and pip check fails the build if anything is inconsistent.
$(STAMP): pyproject.toml $(LOCK)
	$(NEED_PYTHON310)
	@echo "Building $(VENV) with $(PYTHON310) from $(LOCK)"
	rm -rf $(VENV)
	$(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<25" wheel
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $(STAMP)

install: $(STAMP)

# Re-resolve the lock after changing pyproject.toml's dependencies. Versions already in the lock are
# kept where pyproject.toml still allows them; `make lock LOCK_ARGS=--upgrade` takes the newest
# allowed, `LOCK_ARGS="--upgrade-package NAME"` one package. --allow-unsafe pins setuptools too (Rasa
# needs its own); no index or wheel folder of this machine is written into the file.
lock:
	$(NEED_PYTHON310)
	@[ -x $(PIPTOOLS)/bin/pip-compile ] && [ "$$($(PIPTOOLS)/bin/pip-compile --version)" = "pip-compile, version $(PIPTOOLS_VERSION)" ] || { \
		rm -rf $(PIPTOOLS) && $(PYTHON310) -m venv $(PIPTOOLS) && \
		$(PIPTOOLS)/bin/pip install --quiet "pip-tools==$(PIPTOOLS_VERSION)"; }
	@mkdir -p $(dir $(LOCK))
	$(PIPTOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --extra dev $(LOCK_ARGS) \
		--output-file $(LOCK) pyproject.toml
	@{ echo "# The exact versions and sha256 hashes of every package the venv gets (Python 3.10, Linux x86_64)."; \
		echo "# Made by 'make lock' (pip-tools $(PIPTOOLS_VERSION) in its own venv, $(PIPTOOLS)) from pyproject.toml"; \
		echo "# with the dev extra; edit pyproject.toml and run 'make lock', never this file."; \
		echo "# Installed by the Makefile with: pip install --require-hashes --no-deps -r $(LOCK)"; \
		cat $(LOCK); } > $(LOCK).tmp && mv $(LOCK).tmp $(LOCK)

# The venv is order-only (|): reinstalling packages alone does not retrain.
$(SPACY_MODEL): bot/language/nlp.py | $(STAMP)
	$(PY) -m bot.language.nlp var/spacy/en_msp

$(MODEL): $(SPACY_MODEL) $(TRAINING_INPUTS) | $(STAMP)
	$(PY) -m rasa train --domain domain --data $(RASA_DATA) --config config.yml \
		--out models --fixed-model-name msp
	touch $(MODEL)

# The learned readers (danger, its kind, wishes): seeded, thresholds by leave-one-set-out
# cross-validation on training data; retrained when their data or code changes.
$(READERS): $(SPACY_MODEL) $(READER_INPUTS) | $(STAMP)
	$(PY) -m bot.language.train_readers --out models/readers

train: $(MODEL) $(READERS)

migrate: $(STAMP)
	$(VENV)/bin/msp migrate

# GOV.UK Frontend from npm (pinned in package.json, locked in package-lock.json),
# copied into the web app's static folder. Nothing is hand-copied.
# The CSS is built from GOV.UK Frontend's Sass with Arial (bot/web/scss/govuk.scss).
$(GOVUK): package-lock.json bot/web/scss/govuk.scss
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf bot/web/static/govuk && mkdir -p bot/web/static/govuk
	node_modules/.bin/sass --load-path=node_modules --style=compressed --no-source-map --quiet-deps \
		bot/web/scss/govuk.scss bot/web/static/govuk/govuk-frontend.min.css
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js bot/web/static/govuk/
	cp -r node_modules/govuk-frontend/dist/govuk/assets bot/web/static/govuk/assets

assets: $(GOVUK)

run: $(MODEL) $(READERS) migrate assets
	$(VENV)/bin/msp setup
	$(VENV)/bin/msp serve

chat: $(STAMP)
	$(VENV)/bin/msp chat

validate: $(STAMP)
	$(PY) -m rasa data validate --domain domain --data $(RASA_DATA) --config config.yml --fail-on-warnings

unit: $(STAMP) $(SPACY_MODEL)
	$(PY) -m pytest -q -m "not e2e"

story-test: $(MODEL)
	$(PY) -m rasa test core --model $(MODEL) --stories tests/test_stories.yml \
		--endpoints endpoints.yml --fail-on-prediction-errors --out results/stories

e2e: $(MODEL) $(READERS) assets
	$(PY) -m pytest -q -m e2e

# The production path alone: PostgreSQL, Redis, two instances, faults (docs/production.md).
production: $(MODEL) $(READERS) assets
	$(PY) -m pytest -q -m production

# pytest runs last so that its summary is the closing line CI reads.
test: $(MODEL) $(READERS) assets
	$(MAKE) lint
	$(MAKE) validate
	$(MAKE) story-test
	$(PY) -m pytest -q

# lint-imports checks the contracts in pyproject.toml ([tool.importlinter]): bot/'s layers and no cycles.
lint: $(STAMP)
	$(VENV)/bin/ruff check bot tests benchmarks
	$(VENV)/bin/mypy bot
	$(VENV)/bin/lint-imports

benchmark: $(MODEL) $(READERS)
	$(PY) benchmarks/heldout.py
	$(PY) benchmarks/readers_cost.py  # what the learned readers add per turn, and their memory
	$(PY) benchmarks/learning_curve.py  # does more training data still help? (a few minutes)
	$(PY) benchmarks/encryption.py  # what encryption at rest adds per turn
	$(PY) benchmarks/web_turns.py  # what the chat page adds per turn over calling Rasa directly
	$(PY) benchmarks/scale.py  # 20,000 and 100,000 demo enquiries: report, export, list (a few minutes)
	$(PY) benchmarks/concurrency.py  # 20 and 50 conversations at once: ours vs the starter bot (about 8 minutes)

clean:
	rm -rf $(VENV) models results var/spacy node_modules bot/web/static/govuk
