# `make run` and `make test` are all a newcomer needs: both build the virtualenv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint schema token clean webclient

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The browser-side subscription client (npm graphql-ws) the e2e tests drive.
NODE_CLIENT := tests/e2e/browser_client
NODE_STAMP := $(NODE_CLIENT)/node_modules/.installed

$(NODE_STAMP): $(NODE_CLIENT)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(NODE_CLIENT) --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm not found: the browser-client e2e test will be skipped"; fi

# The reference web client served at / (graph/webclient): npm ci from its lockfile, then
# esbuild writes graph/webclient/dist (gitignored). Without npm the server still runs and
# / answers 503 saying how to build it.
WEBCLIENT := graph/webclient
WEBCLIENT_STAMP := $(WEBCLIENT)/node_modules/.installed
WEBCLIENT_BUILT := $(WEBCLIENT)/dist/index.html
WEBCLIENT_SOURCES := $(WEBCLIENT)/build.mjs $(wildcard $(WEBCLIENT)/src/*.* $(WEBCLIENT)/src/pages/*.js)

$(WEBCLIENT_STAMP): $(WEBCLIENT)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(WEBCLIENT) --no-audit --no-fund --loglevel=error && touch $(WEBCLIENT_STAMP); \
	else echo "npm not found: the web client at / will not be built"; fi

$(WEBCLIENT_BUILT): $(WEBCLIENT_STAMP) $(WEBCLIENT_SOURCES)
	@if [ -f $(WEBCLIENT_STAMP) ]; then node $(WEBCLIENT)/build.mjs; fi

webclient: $(WEBCLIENT_BUILT)

# The web client's browser journey: playwright-core (it never downloads a browser)
# driving Debian's chromium, installed here when missing.
JOURNEY := tests/e2e/web_journey
JOURNEY_STAMP := $(JOURNEY)/node_modules/.installed
CHROMIUM ?= /usr/bin/chromium

$(JOURNEY_STAMP): $(JOURNEY)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(JOURNEY) --no-audit --no-fund --loglevel=error && touch $(JOURNEY_STAMP); \
	else echo "npm not found: the web client's browser test will be skipped"; fi

$(CHROMIUM):
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium not found at $(CHROMIUM): install Debian's chromium package"; fi

run: $(STAMP) $(WEBCLIENT_BUILT)
	$(BIN)/python -m graph.serve

test: $(STAMP) $(NODE_STAMP) $(WEBCLIENT_BUILT) $(JOURNEY_STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy domain infra llm_service

schema: $(STAMP)
	$(BIN)/python -m graph.export_schema > schema.graphql

token: $(STAMP)
	$(BIN)/mission-planner token $${USER_ID:-dev-user}

clean:
	rm -rf $(VENV)
