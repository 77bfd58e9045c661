# Madoguchi: `make run` (the demo city on SQLite, no server to install) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test install install-dev lint messages clean

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found; set PYTHON=python3" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo --base-url http://$(HOST):$(PORT)
	@echo ""
	@echo "  Web chat demo page : http://$(HOST):$(PORT)/demo/mihon/"
	@echo "  Staff console      : http://$(HOST):$(PORT)/console/"
	@echo "  Admin (editors)    : http://$(HOST):$(PORT)/admin/"
	@echo "  Demo logins        : admin / madoguchi-admin, editor / madoguchi-editor, staff / madoguchi-staff"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

test: lint
	@DATABASE_URL=$$(bash tests/services.sh) && \
	  echo "tests on $$DATABASE_URL with real Redis and Celery workers started by the tests" && \
	  DATABASE_URL=$$DATABASE_URL $(PY) -m pytest $(PYTEST_ARGS)

# Lint: ruff (local imports need a reason: PLC0415), imports point down only (lint-imports), the typed core (mypy).
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

messages: install
	$(PY) manage.py makemessages --all --no-obsolete --ignore=.venv --ignore=tests --ignore=var --ignore='faq/demo/*'
	msgen locales/en/LC_MESSAGES/django.po -o locales/en/LC_MESSAGES/django.po
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles
