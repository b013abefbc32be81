# Opspor — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?=
# Test processes (pytest-xdist); whole files stay on one worker, so a module's shared live server or
# provider is started once. `make test PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= auto

.PHONY: run test lint bench bench-server bench-page-weight bench-load bench-load-200 chromium nginx wrk xmlsec1 node-deps messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: requirements-dev.lock $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@

## Set up and serve the app with demo data on http://127.0.0.1:8000
run: $(VENV)/.runtime
	OPSPOR_DEMO=1 $(BIN)/opspor demo-data --if-empty
	OPSPOR_DEMO=1 $(BIN)/opspor serve --host 127.0.0.1 --port 8000

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
	      || (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null); \
	  else \
	    echo "The browser tests need Debian's chromium: run 'sudo apt-get install -y chromium'." >&2; exit 1; \
	  fi; \
	fi
	@/usr/bin/chromium --version 2>/dev/null | grep -i chromium || true

## Debian's nginx for the proxy test (tests/test_deploy_nginx.py), like chromium
nginx:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's nginx for the proxy test..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null \
	      || (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null); \
	  else \
	    echo "The proxy test needs Debian's nginx: run 'sudo apt-get install -y nginx-light'." >&2; \
	  fi; \
	fi

wrk:
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's wrk for the server benchmark..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null \
	      || (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null); \
	  else \
	    echo "The server benchmark needs Debian's wrk: run 'sudo apt-get install -y wrk'." >&2; exit 1; \
	  fi; \
	fi

## Debian's xmlsec1, which pysaml2 signs, verifies and decrypts SAML messages with (the app needs it
## too when SAML sign-in is configured), like chromium
xmlsec1:
	@if ! command -v xmlsec1 >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's xmlsec1 for SAML sign-in..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q xmlsec1 >/dev/null \
	      || (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q xmlsec1 >/dev/null); \
	  else \
	    echo "SAML sign-in and its tests need Debian's xmlsec1: run 'sudo apt-get install -y xmlsec1'." >&2; exit 1; \
	  fi; \
	fi

node-deps: tests/node/node_modules/.package-lock.json

tests/node/node_modules/.package-lock.json: tests/node/package.json tests/node/package-lock.json
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Install everything the tests need and run the whole suite
test: $(VENV)/.dev chromium nginx xmlsec1 node-deps
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench

## Benchmarks (never part of the tests); each prints its figures
bench: $(VENV)/.dev chromium wrk
	$(BIN)/python -m bench.run_all

## Opspor against a bare FastAPI + SQLAlchemy + Jinja2 app, side by side (wrk; BENCH_SECONDS per endpoint)
bench-server: $(VENV)/.dev wrk
	OPSPOR_BENCH_SECONDS=$${BENCH_SECONDS:-12} $(BIN)/python -m bench.server

## 200 locust users against PostgreSQL and `opspor serve --workers 2` (OPSPOR_BENCH_DATABASE_URL to override)
bench-load-200: $(VENV)/.dev
	OPSPOR_BENCH_DATABASE_URL=$${OPSPOR_BENCH_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	  $(BIN)/python -m bench.load --users 200 --seconds 90 --workers 2 --database postgresql

messages: $(VENV)/.dev
	$(BIN)/pybabel extract -F babel.cfg --no-location -o backend/locale/messages.pot .

clean:
	rm -rf $(VENV) var/opspor.db*
