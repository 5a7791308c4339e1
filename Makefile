# CareLoop: `make run` (portal with demo data on SQLite), `make test` (the whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test install dev serve lint i18n vendor-check clean

$(BIN)/flask: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev: $(BIN)/flask
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/flask

dev: $(VENV)/.dev

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-data --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: dev
	$(BIN)/python scripts/vendor.py check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

serve: install
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

lint: dev
	$(BIN)/ruff check .

i18n: dev
	$(BIN)/python scripts/i18n.py update

vendor-check: dev
	$(BIN)/python scripts/vendor.py check

clean:
	rm -rf $(VENV) .pytest_cache
