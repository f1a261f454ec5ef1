# make run   - serve the course on http://127.0.0.1:8000 (ENGINE=db by default)
# make test  - run the whole test suite, in parallel on every core
# Both create .venv from requirements.txt first when needed.

PYTHON ?= python3
VENV ?= .venv
ENGINE ?= db
# Install another Django over requirements.txt, e.g. DJANGO=Django==6.1.3
DJANGO ?=
PYTEST_ARGS ?=
# A recipe that runs make again (a test does) prints no "Entering directory".
MAKEFLAGS += --no-print-directory
# Test processes (pytest-xdist): one per core; WORKERS=0 runs the suite in one.
WORKERS ?= auto

PY := $(VENV)/bin/python
SETTINGS := sitecore.settings.$(ENGINE)
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test lint format migrate css clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# The stamp is rebuilt when requirements.txt changes; a broken install leaves no stamp.
$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(if $(DJANGO),$(PY) -m pip install --quiet "$(DJANGO)")
	$(PY) -m pip check
	touch $@

migrate: $(STAMP) ## Create or update the database for ENGINE
	DJANGO_SETTINGS_MODULE=$(SETTINGS) $(PY) manage.py migrate --no-input

run: migrate ## Serve on 127.0.0.1:8000 (ENGINE= any file in sitecore/settings/, e.g. file)
	DJANGO_SETTINGS_MODULE=$(SETTINGS) $(PY) manage.py runserver 127.0.0.1:8000

# Lesson 15: two processes, one session store. DEBUG off as in production, and
# one SECRET_KEY for both: the development key that migrate keeps in var/.
.PHONY: run-multi
run-multi: migrate ## Lesson 15: two gunicorn processes on 127.0.0.1:8001 and :8002 (ENGINE= as for run)
	@echo "Open http://127.0.0.1:8001/lessons/scaling-out/ and http://127.0.0.1:8002/lessons/scaling-out/ (Ctrl-C stops both)"
	export DJANGO_SETTINGS_MODULE=$(SETTINGS) DJANGO_DEBUG=0 DJANGO_SECRET_KEY="$$(cat var/.secret_key)"; \
	$(PY) -m gunicorn sitecore.wsgi --bind 127.0.0.1:8001 --no-control-socket & \
	trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	$(PY) -m gunicorn sitecore.wsgi --bind 127.0.0.1:8002 --no-control-socket

# Production (README, "Running in production"): DEBUG off, HTTPS only, static
# files collected into var/static and served by WhiteNoise, 2 gunicorn workers.
# Needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS; uses DATABASE_URL (PostgreSQL)
# and REDIS_URL (Redis in front of the database) when they are set.
BIND ?= 127.0.0.1:8000
.PHONY: production
production: $(STAMP) ## Serve with production settings under gunicorn on 127.0.0.1:8000 (BIND=host:port)
	export DJANGO_SETTINGS_MODULE=sitecore.settings.production; \
	$(PY) manage.py migrate --no-input && \
	$(PY) manage.py collectstatic --no-input --verbosity 0 && \
	exec $(PY) -m gunicorn sitecore.wsgi --bind $(BIND) --workers 2 --no-control-socket

# loadgroup: tests that share a module's server or browser stay on one worker
# (tests/conftest.py groups them); every other test goes to whichever is free.
test: $(STAMP) ## Run the whole suite, on every core (WORKERS=0: in one process)
	$(PY) -m pytest -n $(WORKERS) --dist loadgroup $(PYTEST_ARGS)

# pytest keeps each test module, its asserts rewritten, as bytecode in
# __pycache__; where PYTHONDONTWRITEBYTECODE is set, every process of every
# run would rewrite them all again (about 3 s each). Empty is not set.
test: export PYTHONDONTWRITEBYTECODE =

lint: $(STAMP) ## ruff check and ruff format --check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP) ## Let ruff fix and format the code
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

css: $(STAMP) ## Regenerate the Pygments rules inside static/css/course.css
	DJANGO_SETTINGS_MODULE=sitecore.settings.db $(PY) -c "import django; django.setup(); \
	from pathlib import Path; from myapp.source import stylesheet; \
	css = Path('static/css/course.css'); text = css.read_text(); \
	start = text.index('\n', text.index('/* Pygments: begin')) + 1; \
	end = text.index('/* Pygments: end */'); \
	css.write_text(text[:start] + stylesheet() + '\n' + text[end:])"

clean: ## Remove the virtualenv and runtime state (database, session files, secret key)
	rm -rf $(VENV) var db.sqlite3
