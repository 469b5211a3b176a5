# historyweb: `make run` serves the site, `make test` runs every test. Both set up from scratch.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 8000
# HOST=0.0.0.0 serves the LAN: phones on the same Wi-Fi reach the remote and the follow page.
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed

.PHONY: help install install-test install-mutate mutate run test lint migrate load dump check-deploy clean bench-samples bench-hostile axe bench bench-shared bench-live bench-faults bench-deck bench-search bench-runners

help:
	@echo "make run    create .venv, install, migrate, load the history if empty, serve on $(HOST):$(PORT)"
	@echo "            (make run HOST=0.0.0.0 serves the LAN, for a phone as the remote)"
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

$(STAMP)-mutate: requirements/mutate.txt requirements/test.txt $(STAMP)-test
	$(BIN)/pip install --quiet -r requirements/mutate.txt
	touch $@

install: $(STAMP)
install-test: $(STAMP)-test
install-mutate: $(STAMP)-mutate

# axe-core for the accessibility tests: from npm, into the git-ignored node_modules/. Without npm,
# make test goes on and those tests skip (the run says so first: tests/system.py).
AXE_VERSION := 4.14.1
AXE := node_modules/axe-core/axe.min.js
NPM := $(shell command -v npm)
$(AXE):
	npm install --prefix . --no-save --no-audit --no-fund --silent axe-core@$(AXE_VERSION)
axe: $(AXE)

migrate: install
	$(PY) manage.py migrate --noinput

load: migrate
	$(PY) manage.py load_history --if-empty

run: load
	HISTORYWEB_BIND_HOST=$(HOST) $(PY) manage.py runserver $(HOST):$(PORT)

dump: install
	$(PY) manage.py dump_history

test: install-test $(if $(NPM),$(AXE))
	$(PY) manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/pytest

# Mutation testing of the modules where a bug hurts most (mutate/groups.toml): about 20 minutes,
# so not in CI. Run it before resolving a change to those modules. `make mutate GROUPS=runner`
# runs some groups only.
mutate: install-mutate
	$(PY) mutate/run.py $(GROUPS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-deploy: install
	DJANGO_SETTINGS_MODULE=historyweb.settings.prod DJANGO_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
		DJANGO_ALLOWED_HOSTS=historyweb.example RUNNER_CLIENT_IP_HEADER=X-Real-IP $(PY) manage.py check --deploy --fail-level WARNING

# Pages vs a static file under load: each page's ratio is the median of 3 pairs (page and static
# file back to back, order alternating), so load from elsewhere hits both sides of a ratio alike.
# BENCH_DURATION=1 BENCH_CONNECTIONS=8 make bench is a quick check (see bench/load.py).
bench: install
	$(PY) bench/load.py

# The same with REDIS_URL and two servers on one PostgreSQL and one Redis (throwaway ones).
bench-shared: install
	$(PY) bench/load.py --shared

# The first view of the deck and the speaker view at about 500 eras: brotli bytes and render ms.
bench-deck: install
	$(PY) bench/page_weight.py --synthetic 470

# Median run time per runtime, cold and cached, beside a bare `python -I -c pass` (its budgets are in the script).
bench-samples: install
	$(PY) bench/bench_samples.py

# 200, then 1,000 followers on one live session, 50 moves from a remote, on a throwaway PostgreSQL:
# delivery p50/p95, CPU, page latency, PostgreSQL connections. E.g. on SQLite, 50 followers:
# make bench-live BENCH_LIVE_ARGS="--followers 50"
BENCH_LIVE_ARGS ?= --postgres
bench-live: install
	$(PY) bench/bench_live.py $(BENCH_LIVE_ARGS)

# Runs across machines: one, then two runner hosts (Celery workers pinned to a core each) on a
# redis-server of its own; runs/s, 300 learners' latency, cold runs and the pool's overhead.
bench-runners: install
	$(PY) bench/bench_runners.py

# The production setup on its own PostgreSQL and Redis, under pages, a remote, runs and followers,
# through faults: Redis and PostgreSQL restarts, a worker killed, SIGTERM with 50 streams, a full
# var/ (needs root), 1,000 followers. Prints figures and PASS/FAIL; exits 0 whatever they are.
# BENCH_FAULTS=1,4 runs some scenarios only (see bench/bench_faults.py).
bench-faults: install
	$(PY) bench/bench_faults.py

# Two memory-hungry runs at once (own tmpfs, memfd, forks): the drop in the host's MemAvailable,
# against a budget of 2 x RUNNER_MEMORY_LIMIT + 10%.
bench-hostile: install
	$(PY) bench/bench_hostile.py

# The search's hit rate on the learner queries of tests/search_queries.py, and its misses.
bench-search: install
	$(PY) bench/search_queries.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache node_modules
