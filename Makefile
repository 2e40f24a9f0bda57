# `make run` and `make test` are all a newcomer needs: both build the virtualenv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint check schema token clean graphiql-assets browser webclient bench run-cluster

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

# graphql-schema-linter, run over schema.graphql by tests/test_schema_lint.py.
SCHEMA_LINT := tests/schema_lint
SCHEMA_LINT_STAMP := $(SCHEMA_LINT)/node_modules/.installed

$(SCHEMA_LINT_STAMP): $(SCHEMA_LINT)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(SCHEMA_LINT) --no-audit --no-fund --loglevel=error && touch $(SCHEMA_LINT_STAMP); \
	else echo "npm not found: the schema lint test will be skipped"; fi

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
# driving Debian's chromium (the `browser` target installs it when missing).
JOURNEY := tests/e2e/web_journey
JOURNEY_STAMP := $(JOURNEY)/node_modules/.installed

$(JOURNEY_STAMP): $(JOURNEY)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(JOURNEY) --no-audit --no-fund --loglevel=error && touch $(JOURNEY_STAMP); \
	else echo "npm not found: the web client's browser test will be skipped"; fi

# GraphiQL's files, the npm packages Strawberry's page names, served by the API
# (graph/graphiql.py); without npm, /graphql still serves the API and the IDE page
# says what is missing.
GRAPHIQL_ASSETS := graph/static/graphiql
GRAPHIQL_STAMP := $(GRAPHIQL_ASSETS)/node_modules/.installed

$(GRAPHIQL_STAMP): $(GRAPHIQL_ASSETS)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix $(GRAPHIQL_ASSETS) --no-audit --no-fund --loglevel=error && touch $(GRAPHIQL_STAMP); \
	else echo "npm not found: GraphiQL's page will say its files are not installed"; fi

graphiql-assets: $(GRAPHIQL_STAMP)

# The headless browser the e2e tests drive (npm playwright-core with Debian's
# chromium; playwright's own browser download is never used).
CHROMIUM := /usr/bin/chromium

browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && apt-get install -y -qq chromium; \
		else echo "chromium missing (apt-get install chromium): the browser tests will be skipped"; fi; \
	fi

run: $(STAMP) $(GRAPHIQL_STAMP) $(WEBCLIENT_BUILT)
	$(BIN)/python -m graph.serve

# pytest-xdist workers: most tests wait on servers in subprocesses (uvicorn, chromium,
# PostgreSQL), so 3 workers on 2 cores; PYTEST_WORKERS=0 runs in one process. Each
# worker has scratch PostgreSQL databases of its own (tests/conftest.py); loadscope
# keeps a module on one worker, so its module-scoped server starts once.
PYTEST_WORKERS ?= 3
PYTEST_DIST ?= loadscope

test: $(STAMP) $(NODE_STAMP) $(SCHEMA_LINT_STAMP) $(GRAPHIQL_STAMP) $(WEBCLIENT_BUILT) $(JOURNEY_STAMP) browser
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist $(PYTEST_DIST) $(PYTEST_ARGS)

# What CI checks before the tests (.ci/run); any finding fails. mypy is strict on the
# packages and checks the bodies of the tests and benchmarks (pyproject [tool.mypy]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy domain infra llm_service graph tests benchmarks

# Everything CI runs, in its order.
check: lint test

# Every figure of benchmarks/README.md, short versions (under 5 minutes), then one table.
# Each script starts its own servers on free loopback ports, its own scratch PostgreSQL
# database (dropped at the end) and, where Redis is needed, a throwaway redis-server.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all $(BENCH_ARGS)

# Two API processes, two LLM-service workers and a round-robin front (infra/cluster.py)
# on the machine's PostgreSQL (database mission_planner_cluster, created if missing) and a
# redis-server of the cluster's own on port 8090. CLUSTER_ARGS="--base-port 9000" moves it.
run-cluster: $(STAMP)
	@command -v redis-server >/dev/null 2>&1 || { \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && apt-get install -y -qq redis-server; \
		else echo "redis-server missing (apt-get install redis-server)"; exit 1; fi; }
	$(BIN)/python -m infra.cluster $(CLUSTER_ARGS)

schema: $(STAMP)
	$(BIN)/python -m graph.export_schema > schema.graphql

token: $(STAMP)
	$(BIN)/mission-planner token $${USER_ID:-dev-user}

clean:
	rm -rf $(VENV)
