# historyweb: `make run` serves the site, `make test` runs every test. Both set up from scratch.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: help install install-test run test lint migrate load dump check-deploy clean bench-samples axe bench

help:
	@echo "make run    create .venv, install, migrate, load the history if empty, serve on 127.0.0.1:$(PORT)"
	@echo "make test   install what the tests need and run them all"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): requirements/base.txt | $(PY)
	$(BIN)/pip install --quiet -r requirements/base.txt
	touch $@

$(STAMP)-test: requirements/test.txt requirements/base.txt $(STAMP)
	$(BIN)/pip install --quiet -r requirements/test.txt
	touch $@

install: $(STAMP)
install-test: $(STAMP)-test

# axe-core for the accessibility tests: from npm, into the git-ignored node_modules/.
AXE_VERSION := 4.14.1
AXE := node_modules/axe-core/axe.min.js
$(AXE):
	npm install --prefix . --no-save --no-audit --no-fund --silent axe-core@$(AXE_VERSION)
axe: $(AXE)

migrate: install
	$(PY) manage.py migrate --noinput

load: migrate
	$(PY) manage.py load_history --if-empty

run: load
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

dump: install
	$(PY) manage.py dump_history

test: install-test $(AXE)
	$(PY) manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-deploy: install
	DJANGO_SETTINGS_MODULE=historyweb.settings.prod DJANGO_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
		DJANGO_ALLOWED_HOSTS=historyweb.example RUNNER_CLIENT_IP_HEADER=X-Real-IP $(PY) manage.py check --deploy --fail-level WARNING

bench: install
	$(PY) bench/load.py

# Median run time per runtime, cold and cached, beside a bare `python -I -c pass` (issue 4 budgets).
bench-samples: install
	$(PY) bench/bench_samples.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache node_modules
