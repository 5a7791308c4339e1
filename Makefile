# CareLoop: `make run` (portal with demo data on SQLite), `make test` (the whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= -q
export FLASK_APP := wsgi

.PHONY: run test install dev serve lint i18n vendor-check check-deploy clean

# The venv is (re)built when it is missing, when its Python no longer runs (moved or
# upgraded interpreter), or when pyproject.toml changed since the last install: the stamp
# files hold the sha256 of the pyproject.toml they were installed from (.dev: with the dev
# extras, which also satisfies a plain install).
define ensure_venv
	@set -e; h=$$(sha256sum pyproject.toml | cut -c1-64); \
	if ! $(BIN)/python -c "import sys" >/dev/null 2>&1; then \
	  echo "== creating $(VENV)"; rm -f $(VENV)/.installed $(VENV)/.dev; \
	  $(PY) -m venv --clear $(VENV); \
	  $(BIN)/python -m pip install -q --upgrade pip; \
	fi; \
	if [ "$$(cat $(VENV)/$(1) 2>/dev/null)" != "$$h" ] && \
	   [ "$$(cat $(VENV)/$(3) 2>/dev/null)" != "$$h" ]; then \
	  echo "== installing the project$(if $(2), with [$(2)],) into $(VENV)"; \
	  $(BIN)/python -m pip install -q -e '.$(if $(2),[$(2)],)'; \
	  echo "$$h" > $(VENV)/$(1); \
	fi
endef

install:
	$(call ensure_venv,.installed,,.dev)

dev:
	$(call ensure_venv,.dev,dev,.dev)

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-data --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: dev
	$(BIN)/python scripts/vendor.py check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Production-style serving (gunicorn.conf.py) against DATABASE_URL; see README
# ("Production"): `flask db upgrade` and `flask check-deploy` come first.
serve: install
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

check-deploy: install
	$(BIN)/flask check-deploy

lint: dev
	$(BIN)/ruff check .

i18n: dev
	$(BIN)/python scripts/i18n.py update

vendor-check: dev
	$(BIN)/python scripts/vendor.py check

clean:
	rm -rf $(VENV) .pytest_cache
