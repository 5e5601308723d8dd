# Signpost: `make run` serves the demo on http://127.0.0.1:5000; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
PY        := $(VENV)/bin/python
# Development mode for the local commands only (never exported to the tests).
FLASK     := FLASK_DEBUG=1 $(VENV)/bin/flask --app wsgi
HOST      ?= 127.0.0.1
PORT      ?= 5000
CHROMIUM  ?= /usr/bin/chromium

.PHONY: help install assets postcodes db run test test-unit test-browser lint bench clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/nhsuk/.copied: node_modules/.installed
	mkdir -p static/vendor/nhsuk
	cp node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css \
	   node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js static/vendor/nhsuk/
	cp -r node_modules/nhsuk-frontend/dist/nhsuk/assets static/vendor/nhsuk/
	touch $@

install: $(VENV)/.installed assets ## Install Python and front-end dependencies

assets: static/vendor/nhsuk/.copied ## Copy NHS.UK frontend CSS/JS into static/

postcodes: $(VENV)/.installed ## Build the offline postcode index (once)
	$(FLASK) build-postcodes

db: install postcodes ## Migrate the database and load vocabularies, NICE data and demo data
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) compute-insights

run: db ## Install everything and serve the demo on http://127.0.0.1:5000
	$(FLASK) run --no-debugger --host $(HOST) --port $(PORT)

test: install postcodes ## Install everything and run every test (unit, integration, browser)
	@command -v $(CHROMIUM) >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	SIGNPOST_POSTCODE_INDEX=$(CURDIR)/instance/postcodes.sqlite $(VENV)/bin/pytest

test-unit: install ## Run the tests that need no browser
	SIGNPOST_POSTCODE_INDEX=$(CURDIR)/instance/postcodes.sqlite $(VENV)/bin/pytest -m "not browser"

lint: install ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: install postcodes ## Speed and memory at 100,000 services (writes bench-results/)
	$(PY) -m signpost.bench --services $${SERVICES:-100000}

clean: ## Remove installed dependencies and local data
	rm -rf $(VENV) node_modules static/vendor instance
